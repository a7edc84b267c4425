"""The app on the real engine: a real `Session` in the test's git repository, the model scripted.

The model is the only fake: the real anthropic SDK talks to the scripted server
(`tests/support/fake_anthropic.py`, the `model_env` fixture), so tool calls,
permissions, approvals, checkpoints and events are the engine's own. The
approver the session gets records what it was asked and answered, and passes
every request on to the app's own approver unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.fake_anthropic import FakeAnthropic
from tui.app.app import SessionChange, StepwiseApp
from tui.commands.app import changed_options
from tui.engine.session.approval import Approval, ApprovalRequest, Approver
from tui.engine.session.session import Session, SessionOptions

FIXED_USAGE = {
    "input_tokens": 100,
    "output_tokens": 50,
    "cache_creation_input_tokens": 100,
    "cache_read_input_tokens": 800,
}
"""A reply's scripted usage (`usage=` of `FakeAnthropic.script`): 1.1k tokens, 80% of the prompt cached."""


def fix_prices(repo: Path) -> None:
    """Project settings under which a `FIXED_USAGE` reply costs $0.0125 and fills 10% of the context window."""
    (repo / ".stepwise").mkdir(exist_ok=True)
    (repo / ".stepwise" / "settings.yaml").write_text(
        "prices: {sonnet: {input: 25, output: 50, cache_write: 25, cache_read: 6.25}}\n"
        "context_windows: {sonnet: 10000}\n"
    )


@dataclass
class Asked:
    """Between the engine and the app's approver: what the engine asked and what the user answered."""

    approver: Approver
    requests: list[ApprovalRequest] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    decided_by: str = "user"

    async def __call__(self, request: ApprovalRequest) -> Approval:
        self.requests.append(request)
        approval = await self.approver(request)
        self.approvals.append(approval)
        return approval


@dataclass
class Live:
    """The sessions the app opened and what each was asked."""

    server: FakeAnthropic
    sessions: list[Session] = field(default_factory=list)
    asked: Asked | None = None
    changes: list[SessionChange] = field(default_factory=list)
    """What the app asked the `reopen` callback for (`/agent`, `/model`, `/fork`, `/resume`), in order."""

    @property
    def session(self) -> Session:
        return self.sessions[-1]

    @property
    def requests(self) -> list[ApprovalRequest]:
        return self.asked.requests if self.asked else []

    @property
    def approvals(self) -> list[Approval]:
        return self.asked.approvals if self.asked else []

    def tool_results(self) -> list[dict[str, Any]]:
        """Every tool result sent to the model so far, in order."""
        return [
            block
            for request in self.server.message_requests
            for message in request.body["messages"][-1:]
            if message["role"] == "user" and isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]


def live_app(
    repo: Path, server: FakeAnthropic, *, reopen: bool = False, **app_options: Any
) -> tuple[StepwiseApp, Live]:
    """A StepwiseApp whose factory opens a real Session on `repo` (options from `session_options`);
    with `reopen`, `/agent`, `/model`, `/fork` and `/resume` reopen it as the CLI does."""
    live = Live(server)
    options = SessionOptions(cwd=repo, **app_options.pop("session_options", {}))

    def open_session(approver: Approver, session_options: SessionOptions) -> Session:
        live.asked = Asked(approver)
        session = Session.open(session_options, live.asked)
        live.sessions.append(session)
        return session

    async def factory(approver: Approver) -> Session:
        return open_session(approver, options)

    async def reopen_session(approver: Approver, change: SessionChange) -> Session:
        live.changes.append(change)
        return open_session(approver, changed_options(options, change))

    if reopen:
        app_options["reopen"] = reopen_session
    return StepwiseApp(factory, **app_options), live
