"""Helpers for the hostile-input and fault suites: a guarded workspace and a session on the fake server.

`guarded` is a temp git repository plus a sentinel folder outside it; its
`snapshot()` records every byte outside the workspace that an attack could
reach (the sentinel folder, and `.git/` except stepwise's own bookkeeping).
`harness.run(...)` drives the real engine (`Session`) against the scripted
server and returns what the "model" got back.

At the end of the run a summary line per suite says how many attacks (faults,
sandbox checks) were tried and how many held.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_anthropic import FakeAnthropic, Reply, text, tool_pairing_problems
from tui.engine.session.approval import Approval, ApprovalRequest, HeadlessApprover
from tui.engine.session.events import ToolCall, ToolResult
from tui.engine.session.log import SessionRecord, read_session
from tui.engine.session.loop import TurnOutcome

# --- the summary lines --------------------------------------------------------

_SUITES = {
    "test_adversarial.py": ("adversarial", "attacks tried"),
    "test_faults.py": ("faults", "injected"),
    "test_sandbox.py": ("sandbox", "checks run"),
}
_tally: dict[str, list[int]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    suite = _SUITES.get(Path(report.fspath).name)
    if suite is None:
        return
    counts = _tally.setdefault(suite[0], [0, 0])
    # A skip (no bwrap, not Linux) tries nothing; an xfail is an attack that was not held.
    if report.when == "call" or (report.when == "setup" and report.failed):
        counts[0] += 1
        counts[1] += int(report.passed)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, label in _SUITES.values():
        if name in _tally:
            tried, held = _tally[name]
            terminalreporter.write_line(f"{name}: {tried} {label}, {held} held")


# --- the guarded workspace -------------------------------------------------------

# stepwise's own bookkeeping inside .git/: checkpoint objects, refs, reflogs and private indexes.
_GIT_BOOKKEEPING = ("objects/", "refs/stepwise/", "logs/", "stepwise/")


@dataclass
class Guarded:
    root: Path
    outside: Path
    """A sentinel folder beside the workspace that no attack may change."""

    def snapshot(self) -> dict[str, bytes | str]:
        """Every file (bytes) and symlink (target) in the sentinel folder and in `.git/` but the bookkeeping."""
        state: dict[str, bytes | str] = {}
        for label, base in (("outside", self.outside), ("git", self.root / ".git")):
            for folder, dirs, files in os.walk(base):
                for name in sorted(dirs + files):
                    path = Path(folder) / name
                    rel = path.relative_to(base).as_posix()
                    if label == "git" and (rel + "/").startswith(_GIT_BOOKKEEPING):
                        continue
                    key = f"{label}:{rel}"
                    if path.is_symlink():
                        state[key] = "-> " + os.readlink(path)
                    elif path.is_file():
                        state[key] = path.read_bytes()
                    else:
                        state[key] = "<dir>"
        return state


@pytest.fixture
def guarded(git_repo: Path, tmp_path: Path) -> Guarded:
    """The git repo (`app.py`, `README.md`) with hooks and config to protect, and a sentinel folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not touch\n")
    (git_repo / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    return Guarded(git_repo, outside.resolve())


# --- sessions on the scripted server -------------------------------------------------


async def _no_wait(_seconds: float) -> None:
    """Retries in tests do not wait (the backoff itself is tested with the provider)."""


class RecordingApprover:
    """Answers with `answer(request)` (deny by default) and keeps every request."""

    def __init__(self, answer: Callable[[ApprovalRequest], Approval] | None = None) -> None:
        self.answer = answer or (lambda request: Approval.deny("denied by the test"))
        self.requests: list[ApprovalRequest] = []

    decided_by = "user"

    async def __call__(self, request: ApprovalRequest) -> Approval:
        self.requests.append(request)
        return self.answer(request)


@dataclass
class Run:
    outcome: TurnOutcome
    server: FakeAnthropic
    record: SessionRecord
    first_request: int
    """Index of this run's first message request on the server."""
    warnings: list[str] = field(default_factory=list)

    def result(self, tool_use_id: str) -> dict[str, Any]:
        """The tool_result block for `tool_use_id` as the server received it."""
        for request in self.server.message_requests[self.first_request :]:
            for message in request.body["messages"]:
                if message["role"] != "user" or isinstance(message["content"], str):
                    continue
                for block in message["content"]:
                    if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_use_id:
                        return block
        raise AssertionError(f"the server never received a tool_result for {tool_use_id}")

    def assert_consistent(self) -> None:
        """The log reads back cleanly and every tool call got exactly one result (log and API)."""
        assert self.record.problems == []
        calls = [e.tool_use_id for e in self.record.events if isinstance(e, ToolCall)]
        results = [e.tool_use_id for e in self.record.events if isinstance(e, ToolResult)]
        assert sorted(calls) == sorted(results) and len(set(calls)) == len(calls)
        for request in self.server.message_requests[self.first_request :]:
            if request.body:
                assert tool_pairing_problems(request.body["messages"]) == []


@dataclass
class Harness:
    root: Path
    server: FakeAnthropic

    async def run(
        self,
        *replies: Reply | Any,
        mode: str = "default",
        allow: list[str] | None = None,
        deny: list[str] | None = None,
        approver: Any = None,
        prompt: str = "go",
        sandbox: bool | None = None,
        closing: bool = True,
    ) -> Run:
        """Script `replies` (then a closing "done." when `closing`), run one turn, close the session."""
        from tui.engine.model.provider import AnthropicProvider
        from tui.engine.session.session import Session, SessionOptions

        self.server.enqueue(*replies)
        if closing:
            self.server.script(text("done."))
        first = len(self.server.message_requests)
        options = SessionOptions(
            cwd=self.root, permission_mode=mode, allow=list(allow or []), deny=list(deny or []), sandbox=sandbox
        )
        provider = AnthropicProvider(backoff_base_s=0.0, sleep=_no_wait)
        session = Session.open(options, approver or HeadlessApprover(), provider=provider)
        try:
            outcome = await session.run(prompt)
        finally:
            await session.close()
            await provider.aclose()
        return Run(outcome, self.server, read_session(session.path), first, list(session.warnings))


@pytest.fixture
def harness(guarded: Guarded, model_env: FakeAnthropic) -> Harness:
    return Harness(guarded.root, model_env)


@pytest.fixture
def harness_for(model_env: FakeAnthropic) -> Callable[[Path], Harness]:
    """A harness for a workspace the test builds itself (a separate git folder, a worktree)."""
    return lambda root: Harness(root.resolve(), model_env)
