"""Hooks, in Claude Code's format: commands the user configured to run at points of a session.

Configured under `hooks` in Claude Code's settings files, stepwise's own settings and agent
frontmatter::

    {"hooks": {"PreToolUse": [{"matcher": "Bash|Edit", "hooks": [{"type": "command", "command": "./guard.sh", "timeout": 30}]}]}}

A hook gets the documented JSON on stdin (`session_id`, `transcript_path`, `cwd`,
`hook_event_name`, `tool_name`, `tool_input`, ...) and `CLAUDE_PROJECT_DIR` in its
environment, and is killed at its timeout (60 s by default). Exit 0 is success (JSON on
stdout is read: `decision`, `hookSpecificOutput.permissionDecision`, `additionalContext`,
`continue`/`stopReason`; other output is plain text); exit 2 blocks, with stderr as the
reason; any other exit is a non-blocking error, reported, and the session goes on (so a
crashing guard fails open, as in Claude Code: SECURITY.md says so).

Tool matchers are regular expressions over Claude Code's tool names (`Bash`, `Edit|Write`,
`mcp__.*`), because that is what users write; stepwise's canonical names match too;
`SubagentStart`/`SubagentStop` matchers are over the sub-agent's name (`agent_type`). A
hook's `allow` can skip a prompt the mode asks for, never a hard limit, an ask or a deny
rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args

from tui.engine.session.events import Event, HookRan
from tui.engine.workspace.fileio import atomic_write

HookEventName = Literal[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "Stop",
    "SubagentStart",
    "SubagentStop",
    "SessionStart",
    "SessionEnd",
    "PreCompact",
    "PostCompact",
    "Notification",
]
HOOK_EVENTS: tuple[HookEventName, ...] = get_args(HookEventName)
TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse", "PostToolUseFailure"})
AGENT_EVENTS = frozenset({"SubagentStart", "SubagentStop"})
"""Events whose matcher is the sub-agent's name (Claude Code's `agent_type`), not a tool's."""

DEFAULT_TIMEOUT_S = 60.0
MAX_HOOK_OUTPUT_CHARS = 10_000
"""What a hook prints is cut here before it reaches the model or the log."""

Verdict = Literal["allow", "deny", "ask", "block"]

CLAUDE_TOOL_NAMES: dict[str, str] = {
    "read_file": "Read",
    "create_file": "Write",
    "replace_string_in_file": "Edit",
    "multi_replace_string_in_file": "MultiEdit",
    "run_in_terminal": "Bash",
    "get_terminal_output": "BashOutput",
    "grep_search": "Grep",
    "file_search": "Glob",
    "list_dir": "LS",
    "exit_plan_mode": "ExitPlanMode",
}
"""The names hooks are written against, for stepwise's canonical tools."""

_CLAUDE_INPUT_KEYS = {"filePath": "file_path", "oldString": "old_string", "newString": "new_string", "query": "pattern"}


@dataclass(frozen=True)
class HookCommand:
    event: HookEventName
    command: str
    matcher: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    source: str = ""
    """Where it is configured: `.claude/settings.json`, `agent backend-dev`, ..."""

    def matches(self, tool: str | None) -> bool:
        """Whether the hook applies to `tool` (for `AGENT_EVENTS`, the sub-agent's name)."""
        if self.event not in TOOL_EVENTS | AGENT_EVENTS or self.matcher in ("", "*") or tool is None:
            return True
        names = [tool, CLAUDE_TOOL_NAMES.get(tool, tool)]
        try:
            pattern = re.compile(self.matcher)
        except re.error:
            return any(self.matcher == name for name in names)
        return any(pattern.fullmatch(name) for name in names)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.event}\0{self.matcher}\0{self.command}".encode()).hexdigest()[:16]

    def describe(self) -> str:
        where = f" {self.matcher}" if self.matcher else ""
        return f"{self.event}{where} → {self.command}"


@dataclass(frozen=True)
class HookResult:
    """One hook run: its exit, its output, and what it asks stepwise to do."""

    hook: HookCommand
    exit_code: int | None
    """None when it was killed at its timeout or could not start."""
    stdout: str = ""
    stderr: str = ""
    verdict: Verdict | None = None
    reason: str = ""
    additional_context: str = ""
    stop: bool = False
    """`continue: false`: end the turn."""
    error: str = ""
    duration_ms: int = 0

    @property
    def summary(self) -> str:
        """A few words for the chat, the replay and the export."""
        if self.error:
            return self.error
        if self.verdict == "block":
            return f"blocked: {self.reason}" if self.reason else "blocked"
        if self.verdict:
            return f"{self.verdict}{': ' + self.reason if self.reason else ''}"
        if self.stop:
            return f"stopped the turn{': ' + self.reason if self.reason else ''}"
        if self.exit_code not in (0, None):
            return (
                f"exit {self.exit_code} (not blocking){': ' + self.stderr.strip()[:200] if self.stderr.strip() else ''}"
            )
        return "added context" if self.additional_context else "ok"


def parse_hooks(config: object, source: str, warnings: list[str]) -> list[HookCommand]:
    """The hooks of one `hooks` mapping; entries that make no sense are reported and skipped."""
    if config is None:
        return []
    if not isinstance(config, dict):
        warnings.append(f"{source}: `hooks` must map event names to lists; ignored")
        return []
    found: list[HookCommand] = []
    for event, groups in config.items():
        if event not in HOOK_EVENTS:
            warnings.append(f"{source}: unknown hook event {event!r} (known: {', '.join(HOOK_EVENTS)}); ignored")
            continue
        if not isinstance(groups, list):
            warnings.append(f"{source}: hooks.{event} must be a list; ignored")
            continue
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                warnings.append(f"{source}: hooks.{event}: each entry needs a `hooks` list; ignored")
                continue
            matcher = group.get("matcher") or ""
            for hook in group["hooks"]:
                command = hook.get("command") if isinstance(hook, dict) else None
                if not isinstance(command, str) or not command.strip() or hook.get("type", "command") != "command":
                    warnings.append(
                        f"{source}: hooks.{event}: only {{type: command, command: ...}} hooks run; one skipped"
                    )
                    continue
                timeout = hook.get("timeout", DEFAULT_TIMEOUT_S)
                if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
                    timeout = DEFAULT_TIMEOUT_S
                found.append(HookCommand(cast(HookEventName, event), command, str(matcher), float(timeout), source))
    return found


def frontmatter_hooks(
    agent: str, extra: Mapping[str, Any], warnings: list[str], *, subagent: bool = False
) -> list[HookCommand]:
    """An agent file's own `hooks`, named after the agent. As Claude Code does, a sub-agent's hooks
    hold while it runs, and its `Stop` hooks run when it finishes (as `SubagentStop`)."""
    found = parse_hooks(extra.get("hooks"), f"agent {agent}", warnings)
    if subagent:
        found = [replace(hook, event="SubagentStop") if hook.event == "Stop" else hook for hook in found]
    return found


def claude_tool_input(tool: str, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    """The tool input as a hook written for Claude Code expects it (`file_path`, `command`, ...)."""
    shaped = {_CLAUDE_INPUT_KEYS.get(key, key): value for key, value in tool_input.items()}
    if tool == "run_in_terminal" and "explanation" in shaped:
        shaped["description"] = shaped.pop("explanation")
    return shaped


@dataclass
class Hooks:
    """The hooks of one session and how to run them."""

    commands: list[HookCommand]
    root: Path
    session_id: str
    transcript_path: Path
    env: dict[str, str] = field(default_factory=dict)
    emit: Callable[[Event], None] | None = None
    """Receives a `HookRan` event per hook run (the session's log)."""

    async def record(
        self,
        event: HookEventName,
        payload: Mapping[str, Any],
        tool: str | None = None,
        tool_use_id: str = "",
        agent: str | None = None,
    ) -> list[HookResult]:
        """`run`, with every run recorded as a `HookRan` event."""
        results = await self.run(event, payload, tool, agent)
        if self.emit is not None:
            for result in results:
                self.emit(
                    HookRan(
                        event=event,
                        command=result.hook.command,
                        source=result.hook.source,
                        matcher=result.hook.matcher,
                        exit_code=result.exit_code,
                        summary=result.summary,
                        tool_use_id=tool_use_id,
                        duration_ms=result.duration_ms,
                    )
                )
        return results

    def for_event(self, event: HookEventName, tool: str | None = None) -> list[HookCommand]:
        return [hook for hook in self.commands if hook.event == event and hook.matches(tool)]

    async def run(
        self, event: HookEventName, payload: Mapping[str, Any], tool: str | None = None, agent: str | None = None
    ) -> list[HookResult]:
        """Run every hook of `event` (matching `tool`, or the sub-agent `agent` for `AGENT_EVENTS`) in
        turn, with the documented JSON on stdin."""
        hooks = self.for_event(event, tool if tool is not None else agent)
        if not hooks:
            return []
        data = {
            "session_id": self.session_id,
            "transcript_path": str(self.transcript_path),
            "cwd": str(self.root),
            "hook_event_name": event,
            **payload,
        }
        if tool is not None:
            data["tool_name"] = CLAUDE_TOOL_NAMES.get(tool, tool)
        if agent is not None:
            data["agent_type"] = agent
        stdin = json.dumps(data, ensure_ascii=False).encode()
        return [await self._run_one(hook, stdin) for hook in hooks]

    async def _run_one(self, hook: HookCommand, stdin: bytes) -> HookResult:
        started = time.monotonic()
        env = {**os.environ, **self.env, "CLAUDE_PROJECT_DIR": str(self.root), "STEPWISE_PROJECT_DIR": str(self.root)}
        try:
            process = await asyncio.create_subprocess_exec(
                "/bin/bash" if Path("/bin/bash").exists() else "/bin/sh",
                "-c",
                hook.command,
                cwd=str(self.root),
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return HookResult(hook, None, error=f"could not start: {exc.strerror or exc}")
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin), timeout=hook.timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return HookResult(hook, None, error=f"killed at its {hook.timeout_s:g} s timeout", duration_ms=_ms(started))
        stdout = out.decode("utf-8", "replace")[:MAX_HOOK_OUTPUT_CHARS]
        stderr = err.decode("utf-8", "replace")[:MAX_HOOK_OUTPUT_CHARS]
        code = process.returncode
        if code == 2:
            return HookResult(
                hook, code, stdout, stderr, verdict="block", reason=stderr.strip(), duration_ms=_ms(started)
            )
        if code != 0:
            return HookResult(hook, code, stdout, stderr, duration_ms=_ms(started))
        return _read_output(hook, stdout, stderr, _ms(started))


def _read_output(hook: HookCommand, stdout: str, stderr: str, duration_ms: int) -> HookResult:
    """Exit 0: JSON on stdout is honoured; anything else is plain text (context for prompt and session events)."""
    try:
        data = json.loads(stdout) if stdout.strip().startswith("{") else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        plain = stdout.strip() if hook.event in ("UserPromptSubmit", "SessionStart") else ""
        return HookResult(hook, 0, stdout, stderr, additional_context=plain, duration_ms=duration_ms)
    found = data.get("hookSpecificOutput")
    specific: dict[str, Any] = found if isinstance(found, dict) else {}
    verdict: Verdict | None = None
    reason = ""
    permission = specific.get("permissionDecision")
    if permission in ("allow", "deny", "ask"):
        verdict = permission
        reason = str(specific.get("permissionDecisionReason") or data.get("reason") or "")
    elif data.get("decision") in ("block", "deny"):
        verdict = "block"
        reason = str(data.get("reason") or "")
    elif data.get("decision") in ("approve", "allow"):
        verdict = "allow"
        reason = str(data.get("reason") or "")
    context = specific.get("additionalContext") or data.get("additionalContext") or ""
    stop = data.get("continue") is False
    if stop:
        reason = str(data.get("stopReason") or reason)
    return HookResult(
        hook, 0, stdout, stderr, verdict, reason, str(context)[:MAX_HOOK_OUTPUT_CHARS], stop, duration_ms=duration_ms
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def blocking(results: Iterable[HookResult]) -> HookResult | None:
    """The first result that blocks (exit 2, `decision: block`, `permissionDecision: deny`)."""
    return next((r for r in results if r.verdict in ("block", "deny")), None)


def context_of(results: Iterable[HookResult]) -> str:
    return "\n\n".join(r.additional_context for r in results if r.additional_context)


# --- hooks the user has not seen ---------------------------------------------------


def unseen_hooks(commands: list[HookCommand], root: Path, seen_file: Path) -> list[HookCommand]:
    """Hooks added or changed since the last session in `root`; remembers the current set.

    A broken or missing record counts as nothing seen, so every hook is shown again.
    """
    try:
        record = json.loads(seen_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    key = str(root)
    seen = set(record.get(key, [])) if isinstance(record.get(key), list) else set()
    new = [hook for hook in commands if hook.fingerprint not in seen]
    if new or len(seen) != len(commands):
        record[key] = sorted({hook.fingerprint for hook in commands})
        with contextlib.suppress(OSError):
            atomic_write(seen_file, json.dumps(record, indent=1).encode())
    return new
