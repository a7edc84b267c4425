"""A FakeSession for app tests: the Session interface in-process, driven by a script.

It emits events and awaits the approver exactly like the engine does (ToolCall,
then the approver, PermissionDecision, CommandOutput*, ToolResult,
EditApplied, Checkpoint), applies proposals to real files with
`apply_proposal` only after approval, and records what was approved, applied
and said to the model.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from tui.app.app import StepwiseApp
from tui.engine.agents.commands import CommandCatalog
from tui.engine.permissions.modes import canonical_mode, next_mode
from tui.engine.session.approval import Approval, ApprovalKind, ApprovalRequest, Approver
from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    CommandOutput,
    Compaction,
    ConversationRewind,
    EditApplied,
    Event,
    ModeChange,
    PermissionDecision,
    Rewind,
    Status,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)
from tui.engine.workspace.fileio import digest_bytes
from tui.engine.workspace.proposals import AppliedEdit, Proposal, apply_proposal

TURN_USAGE = {
    "input_tokens": 100,
    "output_tokens": 50,
    "cache_creation_input_tokens": 100,
    "cache_read_input_tokens": 800,
}


@dataclass
class Say:
    """The model streams `text` in pieces of `chunk` characters."""

    text: str
    chunk: int = 7


@dataclass
class Think:
    text: str


@dataclass
class Edit:
    """One edit call changing `files` (relative path -> new content)."""

    files: dict[str, str]
    explanation: str = ""


@dataclass
class Command:
    command: str
    output: list[str] = field(default_factory=list)
    exit_code: int = 0


@dataclass
class Plan:
    """An `exit_plan_mode` call presenting `plan` (Markdown)."""

    plan: str


@dataclass
class Pause:
    """Wait until `gate` is set or the turn is cancelled (for interrupt tests)."""

    gate: asyncio.Event


Step = Say | Think | Edit | Command | Plan | Pause


class FakeSession:
    """The engine Session interface, scripted turn by turn."""

    async def start_mcp(self, *, ask: bool) -> None:
        """No servers to start."""

    def __init__(
        self,
        root: Path,
        approver: Approver,
        turns: list[list[Step]] | None = None,
        *,
        agent_name: str = "coder",
        model: str = "claude-test-1",
        branch: str | None = "main",
        history: list[Event] | None = None,
    ) -> None:
        self.id = "fake-session"
        self.unsandboxed = False
        self.root = root
        self.path = root / "session.jsonl"
        self.approver = approver
        self.turns = list(turns or [])
        self.agent_name = agent_name
        self.model = model
        self.branch = branch
        self.usage: dict[str, int] = dict.fromkeys(TURN_USAGE, 0)
        self.cost_usd = 0.0
        self.usage_by_agent: dict[str, dict[str, float]] = {}
        self.context_window = 10_000
        self.context_tokens = 0
        self.compactions: list[str] = []
        """The focus of each /compact."""
        self.busy = False
        self.commands = CommandCatalog()
        self.warnings: list[str] = []
        self.mcp = None
        """No MCP servers (tests/app/test_app_mcp.py drives a real session for them)."""
        self._mode = "default"
        self._listeners: list[Callable[[Event], None]] = []
        self._history: list[Event] = list(history or [])
        self._cancel = asyncio.Event()
        self._ids = itertools.count(1)
        self._originals: dict[str, bytes | None] = {}
        self._steps: list[tuple[Checkpoint, dict[str, bytes | None]]] = []
        self._base = Checkpoint(step=0, commit="base", label="session base")
        # What the tests check:
        self.prompts: list[tuple[str, list[dict[str, str]]]] = []
        self.asked: list[ApprovalRequest] = []
        self.warmed_up = False
        self.approvals: list[Approval] = []
        self.applied: list[AppliedEdit] = []
        self.commands_run: list[str] = []
        self.model_messages: list[str] = []
        """What the tool results told the model (denial messages included)."""
        self.session_rules: set[str] = set()
        self.saved_rules: list[str] = []
        self.cancel_calls = 0
        self.closed = False

    # --- events -------------------------------------------------------------------

    def warm_up(self) -> None:
        self.warmed_up = True

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        if event.persistent:
            self._history.append(event)
        if isinstance(event, AssistantMessage):
            for key, value in event.usage.items():
                self.usage[key] += value
            self.cost_usd += event.cost_usd
            self.context_tokens = sum(v for k, v in event.usage.items() if k != "output_tokens")
        elif isinstance(event, Compaction):
            self.context_tokens = event.tokens_after
        for listener in self._listeners:
            listener(event)

    def history(self) -> list[Event]:
        return list(self._history)

    # --- modes --------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        mode = canonical_mode(mode)
        old, self._mode = self._mode, mode
        if old != mode:
            self.emit(ModeChange(old=old, new=mode))

    def cycle_mode(self) -> str:
        self.set_mode(next_mode(self._mode))
        return self._mode

    # --- turns --------------------------------------------------------------------

    async def run(self, text: str, attachments: list[dict[str, str]] | None = None) -> TurnEnd:
        self.busy = True
        self._cancel.clear()
        self.prompts.append((text, list(attachments or [])))
        self.emit(UserMessage(text=text, attachments=list(attachments or [])))
        steps = self.turns.pop(0) if self.turns else [Say("(no scripted reply)")]
        reason = "end_turn"
        try:
            for step in steps:
                if not await self._step(step):
                    reason = "cancelled"
                    break
        finally:
            self.busy = False
            self.emit(Status(state="idle"))
            end = TurnEnd(reason=reason, num_turns=1)
            self.emit(end)
        return end

    async def _step(self, step: Step) -> bool:
        """Run one step; False when the turn was cancelled during it."""
        if isinstance(step, Say):
            return await self._say(step)
        if isinstance(step, Think):
            self.emit(ThinkingDelta(index=0, text=step.text))
            self.emit(
                AssistantMessage(
                    content=[{"type": "thinking", "thinking": step.text}], model=self.model, stop_reason=None
                )
            )
            return True
        if isinstance(step, Pause):
            waiter = asyncio.ensure_future(step.gate.wait())
            canceller = asyncio.ensure_future(self._cancel.wait())
            await asyncio.wait({waiter, canceller}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            canceller.cancel()
            return not self._cancel.is_set()
        if isinstance(step, Edit):
            await self._edit(step)
        elif isinstance(step, Plan):
            await self._plan(step)
        else:
            await self._command(step)
        return not self._cancel.is_set()

    async def _say(self, step: Say) -> bool:
        self.emit(Status(state="streaming"))
        shown = ""
        for start in range(0, len(step.text), step.chunk):
            if self._cancel.is_set():
                break
            piece = step.text[start : start + step.chunk]
            shown += piece
            self.emit(TextDelta(index=0, text=piece))
            await asyncio.sleep(0)
        partial = self._cancel.is_set()
        self.emit(
            AssistantMessage(
                content=[{"type": "text", "text": shown}],
                model=self.model,
                stop_reason=None if partial else "end_turn",
                usage=dict(TURN_USAGE),
                cost_usd=0.0125,
                partial=partial,
            )
        )
        return not partial

    async def _authorize(self, request: ApprovalRequest, auto: bool = False) -> Approval:
        if request.suggested_rule in self.session_rules or auto:
            by = "session" if not auto else "mode"
            self.emit(
                PermissionDecision(
                    tool_use_id=request.tool_use_id,
                    behavior="allow",
                    decided_by=by,
                    reason="granted earlier" if not auto else f"mode {self._mode}",
                    rule=request.suggested_rule if not auto else None,
                    mode=self._mode,
                )
            )
            return Approval.once()
        self.asked.append(request)
        self.emit(Status(state="waiting", detail=request.target))
        approval = await self.approver(request)
        self.approvals.append(approval)
        if approval.kind in (ApprovalKind.SESSION, ApprovalKind.SAVE) and approval.rule:
            self.session_rules.add(approval.rule)
            if approval.kind is ApprovalKind.SAVE:
                self.saved_rules.append(approval.rule)
        self.emit(
            PermissionDecision(
                tool_use_id=request.tool_use_id,
                behavior="allow" if approval.approved else "deny",
                decided_by="user",
                reason=request.reason,
                rule=approval.rule,
                mode=self._mode,
                choice=str(approval.kind),
                message=approval.message,
            )
        )
        return approval

    def _deny(self, tool_use_id: str, what: str, approval: Approval) -> None:
        text = f"Permission denied: {what} was not run."
        if approval.message:
            text += f" The user says: {approval.message}"
        self.model_messages.append(text)
        self.emit(ToolResult(tool_use_id=tool_use_id, content=text, is_error=True))

    async def _edit(self, step: Edit) -> None:
        tool_use_id = f"toolu_{next(self._ids)}"
        proposals = tuple(self._proposal(rel, new, step.explanation) for rel, new in step.files.items())
        target = ", ".join(step.files)
        self.emit(
            ToolCall(tool_use_id=tool_use_id, name="edit_file", tool="edit_file", input=dict(step.files), target=target)
        )
        request = ApprovalRequest(
            tool_use_id=tool_use_id,
            tool="edit_file",
            kind="edit",
            target=target,
            input=dict(step.files),
            reason="default mode asks before editing files",
            suggested_rule=f"edit_file({next(iter(step.files))})",
            explanation=step.explanation,
            proposals=proposals,
        )
        approval = await self._authorize(request, auto=self._mode == "acceptEdits")
        if not approval.approved:
            self._deny(tool_use_id, f"the edit of {target}", approval)
            return
        befores: dict[str, bytes | None] = {}
        edits: list[AppliedEdit] = []
        for index, proposal in enumerate(proposals):
            hunks = approval.hunks.get(index) if approval.kind is ApprovalKind.HUNKS else None
            text = approval.text.get(index) if approval.kind is ApprovalKind.EDITED else None
            if hunks is not None and not hunks:
                continue
            befores[proposal.rel_path] = proposal.path.read_bytes() if proposal.path.exists() else None
            self._originals.setdefault(proposal.rel_path, befores[proposal.rel_path])
            edits.append(apply_proposal(proposal, self.root, hunks=hunks, text=text))
        self.applied.extend(edits)
        result = "\n".join(f"Edited {edit.proposal.rel_path}" for edit in edits) or "Nothing applied."
        self.model_messages.append(result)
        self.emit(ToolResult(tool_use_id=tool_use_id, content=result, duration_ms=12))
        for edit in edits:
            self.emit(
                EditApplied(
                    tool_use_id=tool_use_id,
                    path=edit.proposal.rel_path,
                    before_blob=None,
                    after_blob="blob",
                    hunks_total=len(edit.proposal.hunks),
                    hunks_applied=list(edit.hunks_applied),
                    edited_by_user=edit.edited_by_user,
                    diff=edit.diff,
                )
            )
        if edits:
            checkpoint = Checkpoint(
                step=len(self._steps) + 1,
                commit=f"c{len(self._steps) + 1}",
                label=f"edit_file: {target}",
                tool_use_id=tool_use_id,
            )
            self._steps.append((checkpoint, befores))
            self.emit(checkpoint)

    def _proposal(self, rel: str, new_text: str, explanation: str) -> Proposal:
        path = (self.root / rel).resolve()
        old = path.read_bytes() if path.exists() else None
        return Proposal.build(
            path,
            rel,
            old.decode() if old is not None else None,
            new_text,
            old_digest=digest_bytes(old) if old is not None else None,
            explanation=explanation,
        )

    async def _command(self, step: Command) -> None:
        tool_use_id = f"toolu_{next(self._ids)}"
        self.emit(
            ToolCall(
                tool_use_id=tool_use_id,
                name="Bash",
                tool="run_in_terminal",
                input={"command": step.command},
                target=step.command,
            )
        )
        request = ApprovalRequest(
            tool_use_id=tool_use_id,
            tool="run_in_terminal",
            kind="execute",
            target=step.command,
            input={"command": step.command},
            reason="default mode asks before running commands",
            suggested_rule=f"run_in_terminal({step.command.split()[0]}:*)",
            explanation="run the tests",
            cwd=str(self.root),
        )
        approval = await self._authorize(request)
        if not approval.approved:
            self._deny(tool_use_id, f"the command {step.command}", approval)
            return
        self.commands_run.append(step.command)
        self.emit(Status(state="running", detail=step.command))
        for chunk in step.output:
            self.emit(CommandOutput(tool_use_id=tool_use_id, text=chunk))
            await asyncio.sleep(0)
        output = "".join(step.output)
        self.model_messages.append(output)
        self.emit(ToolResult(tool_use_id=tool_use_id, content=output, is_error=step.exit_code != 0, duration_ms=1500))

    async def _plan(self, step: Plan) -> None:
        tool_use_id = f"toolu_{next(self._ids)}"
        self.emit(
            ToolCall(
                tool_use_id=tool_use_id,
                name="ExitPlanMode",
                tool="exit_plan_mode",
                input={"plan": step.plan},
                target="plan",
            )
        )
        request = ApprovalRequest(
            tool_use_id=tool_use_id,
            tool="exit_plan_mode",
            kind="plan",
            target="plan",
            input={"plan": step.plan},
            reason="plan mode: the plan needs your approval",
            plan=step.plan,
        )
        approval = await self._authorize(request)
        if not approval.approved:
            self._deny(tool_use_id, "the plan", approval)
            return
        self.set_mode("default")
        self.emit(ToolResult(tool_use_id=tool_use_id, content="Plan approved."))

    def cancel(self) -> None:
        self.cancel_calls += 1
        self._cancel.set()

    # --- checkpoints --------------------------------------------------------------

    def checkpoints(self) -> list[Checkpoint]:
        return [self._base] + [checkpoint for checkpoint, _ in self._steps]

    async def undo(self) -> Rewind | None:
        if not self._steps:
            return None
        return self._restore_to(self._steps[-2][0].step if len(self._steps) > 1 else 0, undo=True)

    async def rewind(self, step: int, *, code: bool = True, conversation: bool = False) -> Rewind | ConversationRewind:
        if step not in {c.step for c in self.checkpoints()}:
            raise ValueError(f"no checkpoint {step}")
        if not code:
            event = ConversationRewind(to_step=step)
            self.emit(event)
            return event
        return self._restore_to(step, undo=False, conversation=conversation)

    @property
    def context_share(self) -> float:
        return self.context_tokens / self.context_window

    async def compact(self, focus: str = "") -> Compaction | None:
        self.compactions.append(focus)
        before = self.context_tokens
        event = Compaction(
            summary=f"summary ({focus or 'no focus'})",
            replaced=2,
            tokens_before=before,
            tokens_after=before // 10,
            focus=focus,
        )
        self.emit(event)
        return event

    def _restore_to(self, step: int, *, undo: bool, conversation: bool = False) -> Rewind:
        written: list[str] = []
        deleted: list[str] = []
        while self._steps and self._steps[-1][0].step > step:
            _, befores = self._steps.pop()
            for rel, before in befores.items():
                path = self.root / rel
                if before is None:
                    path.unlink(missing_ok=True)
                    deleted.append(rel)
                else:
                    path.write_bytes(before)
                    written.append(rel)
        event = Rewind(
            to_step=step,
            step=len(self._steps) + 1,
            commit="restored",
            undo=undo,
            written=written,
            deleted=deleted,
            conversation=conversation,
        )
        self.emit(event)
        return event

    def changed_files(self) -> list[tuple[str, str]]:
        changed: list[tuple[str, str]] = []
        for rel, original in sorted(self._originals.items()):
            path = self.root / rel
            now = path.read_bytes() if path.exists() else None
            if now == original:
                continue
            changed.append(("A" if original is None else "D" if now is None else "M", rel))
        return changed

    def is_dirty(self) -> bool:
        return bool(self.changed_files())

    def diff(self, path: str | None = None) -> str:
        parts: list[str] = []
        for _status, rel in self.changed_files():
            if path is not None and rel != path:
                continue
            original = self._originals[rel]
            old = original.decode().splitlines(keepends=True) if original is not None else []
            new_path = self.root / rel
            new = new_path.read_text().splitlines(keepends=True) if new_path.exists() else []
            parts.extend(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
        return "".join(parts)

    async def close(self) -> None:
        self.closed = True


def make_app(
    root: Path, turns: list[list[Step]] | None = None, **app_options: object
) -> tuple[StepwiseApp, list[FakeSession]]:
    """A StepwiseApp whose factory opens a FakeSession on `root`; the list receives the sessions."""
    sessions: list[FakeSession] = []

    async def factory(approver: Approver) -> FakeSession:
        session = FakeSession(root, approver, turns)
        sessions.append(session)
        return session

    return StepwiseApp(factory, **app_options), sessions  # type: ignore[arg-type]


async def until(pilot: Pilot[object], predicate: Callable[[], object], what: str, rounds: int = 400) -> None:
    """Let the app process messages until `predicate()` holds (bounded, no wall-clock timing)."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause()
    raise AssertionError(f"gave up waiting for {what}")
