"""The agent loop: model turn, then for each tool call decide, ask, execute, record.

The loop is headless. It reports everything as events (`tui.engine.session.events`)
to one `emit` callable, and asks the `Approver` whenever the permission engine
says "ask". Every tool call gets exactly one tool result, also when it is
denied, fails or is cancelled, so the conversation stays valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from tui.engine.debug_log import log_failure
from tui.engine.model.provider import ModelRequest, ModelResponse, ProviderError, SubRequest
from tui.engine.permissions.engine import Decision, PermissionEngine
from tui.engine.permissions.pathguard import PathError
from tui.engine.permissions.rules import Rule, parse_rule
from tui.engine.session.approval import OUTSIDE_SANDBOX, Approval, ApprovalKind, ApprovalRequest, Approver
from tui.engine.session.conversation import Conversation, tool_result_block, user_content
from tui.engine.session.events import (
    AssistantMessage,
    CommandOutput,
    Decider,
    EditApplied,
    Error,
    Event,
    PermissionDecision,
    Status,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)
from tui.engine.session.hooks import (
    MAX_HOOK_OUTPUT_CHARS,
    HookEventName,
    HookResult,
    Hooks,
    blocking,
    claude_tool_input,
    context_of,
)
from tui.engine.session.review import review_feedback
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput
from tui.engine.tools.names import DELEGATION_TOOL, canonical_name
from tui.engine.tools.registry import UnknownTool, resolve

if TYPE_CHECKING:
    from tui.engine.session.compaction import Compactor
_log = logging.getLogger(__name__)


class ModelProvider(Protocol):
    """Anything that turns a request into a streamed response (the SDK, a recording)."""

    def sub_requests(self) -> SubRequest | None:
        """How to send requests outside the conversation; None when this provider sends none (a recording)."""

    async def stream(
        self, request: ModelRequest, emit: Callable[[Event], None], cancel: asyncio.Event
    ) -> ModelResponse: ...

    def warm_up(self) -> None:
        """Load what the first request needs now (called from a thread at start-up; may do nothing)."""

    async def aclose(self) -> None:
        """Release connections when the session ends (the provider can be used again afterwards)."""


class StepRecorder(Protocol):
    """Checkpoints the workspace; implemented by the session over git."""

    def before_change(self) -> None: ...

    def blob(self, data: bytes) -> str: ...

    def after_step(self, label: str, tool_use_id: str, edited: list[str]) -> None:
        """Record the step; `edited` are the files an edit wrote (empty for a command)."""


@dataclass
class LoopConfig:
    model: str
    system: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    max_turns: int = 50
    max_tokens: int = 16000
    only_tools: frozenset[str] | None = None
    """When set, calls to any other tool are refused (a sub-agent gets exactly its own tools)."""


@dataclass
class TurnOutcome:
    reason: str
    text: str = ""
    turns: int = 0
    denials: list[dict[str, Any]] = field(default_factory=list)
    stop_hook_runs: int = 0


MAX_STOP_HOOK_CONTINUES = 3
"""A Stop hook that always blocks cannot keep a turn going for ever."""


CANCELLED = "The user interrupted this turn; the tool call did not run."


class AgentLoop:
    """Runs user turns against a model, tools, permissions and an approver."""

    def __init__(
        self,
        *,
        config: LoopConfig,
        provider: ModelProvider,
        permissions: PermissionEngine,
        approver: Approver,
        context: ToolContext,
        recorder: StepRecorder,
        emit: Callable[[Event], None],
        conversation: Conversation | None = None,
        save_rule: Callable[[str], None] | None = None,
        on_mode_change: Callable[[str, str], None] | None = None,
        attach_context: Callable[[str, Action], str] | None = None,
        hooks: Hooks | None = None,
        resolver: Callable[[str, Any], tuple[Tool, dict[str, Any]]] | None = None,
    ) -> None:
        self.config = config
        self.provider = provider
        self.permissions = permissions
        self.approver = approver
        self.context = context
        self.recorder = recorder
        self.emit = emit
        self.conversation = conversation or Conversation()
        self._save_rule = save_rule
        self._on_mode_change = on_mode_change
        self._attach_context = attach_context
        self._turn_grants: list[Rule] = []
        self.hooks = hooks
        self._notifications: set[asyncio.Task[Any]] = set()
        self._resolve = resolver or resolve
        """Tool name -> tool and arguments; a session's resolver adds its MCP tools to the registry's."""
        self.cancel_event = asyncio.Event()
        self.compactor: Compactor | None = None
        """Compacts the conversation before a request that would not fit (set by the session)."""
        self.step_lock: asyncio.Lock | None = None
        """Held around each change and its checkpoint when several loops share the workspace."""

    def cancel(self) -> None:
        self.cancel_event.set()
        self.context.cancel.set()

    async def run_turn(
        self, text: str, attachments: list[dict[str, str]] | None = None, context: str = ""
    ) -> TurnOutcome:
        """One user turn: model and tools until the model ends its turn.

        `context` goes to the model after the prompt (what a SessionStart hook added).
        """
        self.cancel_event.clear()
        self.context.cancel.clear()
        outcome = TurnOutcome(reason="end_turn")
        try:
            if self.hooks is not None:
                results = await self.hooks.record("UserPromptSubmit", {"prompt": text})
                if (blocked := blocking(results)) is not None:
                    outcome.reason = "blocked"
                    self.emit(
                        Error(
                            message=f"A UserPromptSubmit hook blocked the prompt: {blocked.reason or 'no reason given'}",
                            kind="hook",
                        )
                    )
                    return outcome
                context = "\n\n".join(part for part in (context, context_of(results)) if part)
            self.emit(UserMessage(text=text, attachments=list(attachments or []), context=context))
            self.conversation.close_open_tool_calls()
            self.conversation.add_user(user_content(text, attachments, context))
            await self._turns(outcome)
        except asyncio.CancelledError:
            outcome.reason = "cancelled"
            raise
        except Exception:
            outcome.reason = "error"
            raise
        finally:
            self.clear_turn_grants()
            self.emit(Status(state="idle"))
            self.emit(TurnEnd(reason=outcome.reason, num_turns=outcome.turns))
        return outcome

    def grant_for_turn(self, rule: str, source: str) -> None:
        """Allow calls matching `rule` until this turn ends: a custom command's or a skill's
        `allowed-tools`. Like any allow rule it never lifts a deny rule or a hard limit.

        Raises:
            ValueError: `rule` is malformed.
        """
        parsed = parse_rule(rule, "allow", source)
        if all(existing.text != parsed.text for existing in self.permissions.session.allow):
            self.permissions.session.add(parsed)
            self._turn_grants.append(parsed)

    def clear_turn_grants(self) -> None:
        self.permissions.session.allow = [
            rule for rule in self.permissions.session.allow if rule not in self._turn_grants
        ]
        self._turn_grants.clear()

    async def _turns(self, outcome: TurnOutcome) -> None:
        while True:
            if outcome.turns >= self.config.max_turns:
                outcome.reason = "max_turns"
                self.emit(
                    Error(message=f"Stopped after {self.config.max_turns} model turns (maxTurns).", kind="max_turns")
                )
                return
            outcome.turns += 1
            try:
                response = await self._request()
            except ProviderError as exc:
                outcome.reason = "error"
                self.emit(Error(message=str(exc), kind=exc.kind, fatal=True))
                return
            content = response.content
            if response.partial:
                # A cancelled stream keeps its text; half-streamed tool calls are dropped.
                content = [b for b in content if b.get("type") != "tool_use"]
            self.emit(
                AssistantMessage(
                    content=content,
                    model=response.model,
                    stop_reason=response.stop_reason,
                    usage=response.usage,
                    cost_usd=response.cost_usd,
                    partial=response.partial,
                )
            )
            self.conversation.add_assistant(content)
            outcome.text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
            if response.partial:
                outcome.reason = "cancelled"
                return
            calls = [b for b in content if b.get("type") == "tool_use"]
            if not calls:
                if await self._stop_hook_continues(outcome):
                    continue
                outcome.reason = response.stop_reason or "end_turn"
                return
            results: list[dict[str, Any]] = []
            try:
                for batch in concurrent_batches(calls):
                    # Delegations side by side run at once; everything else one after the other.
                    outputs = await asyncio.gather(*(self._run_call(block, outcome) for block in batch))
                    results.extend(
                        tool_result_block(block["id"], output.content, output.is_error)
                        for block, output in zip(batch, outputs, strict=True)
                    )
            finally:
                # Even when a step fails hard (the log cannot be written, the task is
                # cancelled), every call keeps exactly one result, so the next
                # request is valid and matches what a resume rebuilds.
                self.conversation.add_user(results)
                self.conversation.close_open_tool_calls()
            if self.cancel_event.is_set():
                outcome.reason = "cancelled"
                return

    async def _stop_hook_continues(self, outcome: TurnOutcome) -> bool:
        """Run the Stop hooks; one that blocks sends its reason to the model, which goes on (bounded)."""
        if self.hooks is None or outcome.stop_hook_runs >= MAX_STOP_HOOK_CONTINUES:
            return False
        results = await self.hooks.record("Stop", {"stop_hook_active": outcome.stop_hook_runs > 0})
        blocked = blocking(results)
        if blocked is None:
            return False
        outcome.stop_hook_runs += 1
        message = f"A Stop hook asks you to go on: {blocked.reason or 'no reason given'}"
        self.emit(UserMessage(text=message))
        self.conversation.add_user(user_content(message))
        return True

    async def run_user_command(self, tool_use_id: str, command: str) -> ToolOutput:
        """A command the user's prompt asked for (a custom command's `` !`cmd` `` line).

        It is decided, approved, run and checkpointed like the model's own commands; its
        result goes into the user's message, not the conversation as a tool result.
        """
        block = {"id": tool_use_id, "name": "run_in_terminal", "input": {"command": command}}
        return await self._call_tool(block, TurnOutcome(reason="end_turn"))

    async def _request(self) -> ModelResponse:
        """One model request; with a compactor, compacted first when it would not fit, and once more
        (then retried once) when the API refuses it as too long."""
        compactor = self.compactor
        if compactor is not None:
            await compactor.before_request()
        for attempt in (1, 2):
            request = ModelRequest(
                model=self.config.model,
                system=self.config.system,
                tools=self.config.tools,
                messages=self.conversation.messages,
                max_tokens=self.config.max_tokens,
            )
            self.emit(Status(state="streaming"))
            if compactor is None:
                return await self.provider.stream(request, self.emit, self.cancel_event)
            compactor.sent(request.messages)
            try:
                response = await self.provider.stream(request, self.emit, self.cancel_event)
            except ProviderError as exc:
                if attempt == 2 or not compactor.recoverable(exc) or await compactor.compact("overflow") is None:
                    raise compactor.explained(exc, retried=attempt == 2) from None
                continue
            compactor.calibrate(response.usage)
            return response
        raise AssertionError("unreachable")

    async def _run_call(self, block: dict[str, Any], outcome: TurnOutcome) -> ToolOutput:
        if self.cancel_event.is_set():
            output = ToolOutput(CANCELLED, is_error=True)
            self.emit(ToolResult(tool_use_id=block["id"], content=output.content, is_error=True))
            return output
        return await self._call_tool(block, outcome)

    async def _call_tool(self, block: dict[str, Any], outcome: TurnOutcome) -> ToolOutput:
        tool_use_id, name = block["id"], block["name"]
        raw_input = block.get("input")
        started = time.monotonic()

        def finish(output: ToolOutput) -> ToolOutput:
            self.emit(
                ToolResult(
                    tool_use_id=tool_use_id,
                    content=output.content,
                    is_error=output.is_error,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    exit_code=output.exit_code,
                )
            )
            return output

        try:
            if not isinstance(raw_input, dict):
                raise ToolInputError(f"the input of {name} must be a JSON object, got {type(raw_input).__name__}")
            tool, args = self._resolve(name, raw_input)
            only = self.config.only_tools
            if only is not None and tool.name not in only:
                raise UnknownTool(f"{name} is not one of your tools; they are: {', '.join(sorted(only))}")
            self.context.tool_use_id = tool_use_id
            action = tool.prepare(args, self.context)
        except (UnknownTool, ToolInputError, PathError) as exc:
            self.emit(ToolCall(tool_use_id=tool_use_id, name=name, tool=name, input=_as_dict(raw_input)))
            return finish(ToolOutput(f"Error: {exc}", is_error=True))
        except Exception as exc:  # noqa: BLE001 - a tool bug must not end the session
            where = log_failure(_log, f"{name} failed to prepare its call", exc, suggest=False)
            self.emit(ToolCall(tool_use_id=tool_use_id, name=name, tool=name, input=_as_dict(raw_input)))
            return finish(ToolOutput(f"Error: {type(exc).__name__}: {exc}{where}", is_error=True))
        self.emit(ToolCall(tool_use_id=tool_use_id, name=name, tool=action.tool, input=raw_input, target=action.target))

        hook = None
        if self.hooks is not None:
            payload = {"tool_input": claude_tool_input(action.tool, action.input)}
            results = await self.hooks.record("PreToolUse", payload, action.tool, tool_use_id)
            hook = next((result for result in results if result.verdict), None)
            if hook is not None and hook.verdict in ("block", "deny"):
                reason = f"a PreToolUse hook ({hook.hook.source}) blocked it: {hook.reason or 'no reason given'}"
                self.emit(
                    PermissionDecision(
                        tool_use_id=tool_use_id,
                        behavior="deny",
                        decided_by="hook",
                        reason=reason,
                        mode=self.permissions.mode,
                    )
                )
                outcome.denials.append({"tool": action.tool, "input": action.input, "reason": reason})
                return finish(ToolOutput(f"Blocked: {reason}", is_error=True))
        approval = await self._authorize(tool_use_id, action, outcome, hook)
        if not approval.approved:
            text = self._denial_text(action, approval)
            if approval.comments:
                text += "\n\n" + review_feedback(approval.comments, action.proposals, None)
            return finish(ToolOutput(text, is_error=True))

        # An MCP server can change files too: its effects are checkpointed like a command's.
        changes_files = action.kind in (ToolKind.EDIT, ToolKind.EXECUTE, ToolKind.MCP)
        # Loops sharing a workspace (sub-agents running side by side) take turns to change it, so
        # each checkpoint holds exactly its own step.
        exclusive = self.step_lock if changes_files and self.step_lock is not None else contextlib.nullcontext()
        async with exclusive:
            return await self._execute(tool_use_id, tool, action, approval, finish, outcome)

    async def _execute(
        self,
        tool_use_id: str,
        tool: Tool,
        action: Action,
        approval: Approval,
        finish: Callable[[ToolOutput], ToolOutput],
        outcome: TurnOutcome,
    ) -> ToolOutput:
        """Run an approved call and record its step (the part of a call that changes the workspace)."""
        changes_files = action.kind in (ToolKind.EDIT, ToolKind.EXECUTE, ToolKind.MCP)
        if changes_files:
            try:
                self.recorder.before_change()
            except Exception as exc:  # noqa: BLE001 - without a base checkpoint the change could not be undone
                where = log_failure(_log, "the base checkpoint could not be recorded", exc, suggest=False)
                return finish(
                    ToolOutput(
                        f"Error: not run: stepwise could not record a checkpoint to undo it by ({exc}){where}",
                        is_error=True,
                    )
                )
        self.emit(Status(state="running", detail=action.target))
        self.context.on_output = self._output_listener(tool_use_id)
        try:
            output = await tool.execute(action, self.context, approval)
        except Exception as exc:  # noqa: BLE001 - a tool bug must not kill the session
            where = log_failure(_log, f"{action.tool} failed", exc, suggest=False)
            output = ToolOutput(f"Error: {type(exc).__name__}: {exc}{where}", is_error=True)
        finally:
            self.context.on_output = None
        if output.sandbox_blocked and not action.outside_sandbox:
            output = await self._outside_sandbox(tool_use_id, tool, action, output, outcome)
        if approval.comments:
            output.content += "\n\n" + review_feedback(approval.comments, action.proposals, output.edits)
        if self._attach_context is not None and not output.is_error and action.kind in (ToolKind.READ, ToolKind.EDIT):
            # Instructions that apply to the file just reached travel with its result, so a
            # resume (which rebuilds results from the log) sends exactly the same context.
            output.content += self._attach_context(tool_use_id, action)
        if self.hooks is not None and not self.cancel_event.is_set():
            output.content += await self._post_tool_hooks(tool_use_id, action, output)
        for rule in output.grants:
            try:
                self.grant_for_turn(rule, action.target)
            except ValueError as exc:
                self.emit(Error(message=f"{action.target}: allowed-tools entry {rule!r} ignored: {exc}", kind="rule"))
        finish(output)
        for event in output.events:
            self.emit(event)
        if changes_files:
            try:
                self._record_step(tool_use_id, action, output)
            except Exception as exc:  # noqa: BLE001 - the change landed; only its checkpoint is missing
                where = log_failure(_log, "a step's checkpoint could not be recorded", exc)
                self.emit(
                    Error(
                        message=f"the change was made, but its checkpoint could not be recorded: {exc}{where}",
                        kind="checkpoint",
                    )
                )
        if action.kind is ToolKind.PLAN and not output.is_error:
            self._leave_plan_mode()
        return output

    def _record_step(self, tool_use_id: str, action: Action, output: ToolOutput) -> None:
        for edit in output.edits:
            self.emit(
                EditApplied(
                    tool_use_id=tool_use_id,
                    path=edit.proposal.rel_path,
                    before_blob=self.recorder.blob(edit.before) if edit.before is not None else None,
                    after_blob=self.recorder.blob(edit.after),
                    hunks_total=len(edit.proposal.hunks),
                    hunks_applied=list(edit.hunks_applied),
                    edited_by_user=edit.edited_by_user,
                    diff=edit.diff,
                )
            )
        label = f"{action.tool}: {action.target}"[:200]
        self.recorder.after_step(label, tool_use_id, edited=[e.proposal.rel_path for e in output.edits])

    async def _post_tool_hooks(self, tool_use_id: str, action: Action, output: ToolOutput) -> str:
        """What PostToolUse hooks (PostToolUseFailure for a failed call, as Claude Code splits them)
        send the model with the result: a block's reason, added context."""
        assert self.hooks is not None
        event: HookEventName = "PostToolUseFailure" if output.is_error else "PostToolUse"
        payload: dict[str, Any] = {"tool_input": claude_tool_input(action.tool, action.input)}
        if output.is_error:
            payload.update(error=output.content[:MAX_HOOK_OUTPUT_CHARS], is_interrupt=False)
        else:
            payload["tool_response"] = {"content": output.content[:MAX_HOOK_OUTPUT_CHARS], "is_error": False}
        notes = []
        for result in await self.hooks.record(event, payload, action.tool, tool_use_id):
            if result.verdict == "block":
                notes.append(f"A {event} hook ({result.hook.source}) reports: {result.reason or 'blocked'}")
            if result.additional_context:
                notes.append(result.additional_context)
        return "".join(f"\n\n{note}" for note in notes)

    async def _authorize(
        self, tool_use_id: str, action: Action, outcome: TurnOutcome, hook: HookResult | None = None
    ) -> Approval:
        decision: Decision = self.permissions.decide(action)
        if hook is not None:
            decision = _with_hook(decision, hook, action)
        mode = self.permissions.mode
        if decision.behavior != "ask":
            allowed = decision.behavior == "allow"
            self.emit(
                PermissionDecision(
                    tool_use_id=tool_use_id,
                    behavior=decision.behavior,
                    decided_by=decision.decided_by,
                    reason=decision.reason,
                    rule=decision.rule,
                    mode=mode,
                )
            )
            if not allowed:
                outcome.denials.append({"tool": action.tool, "input": action.input, "reason": decision.reason})
                return Approval.deny(decision.reason)
            return Approval(ApprovalKind.ONCE, automatic=True)

        request = ApprovalRequest(
            tool_use_id=tool_use_id,
            tool=action.tool,
            kind=action.kind,
            target=action.target,
            input=action.input,
            reason=decision.reason,
            suggested_rule=decision.suggested_rule,
            explanation=action.explanation,
            cwd=str(action.cwd or self.context.root),
            proposals=action.proposals,
            plan=str(action.input.get("plan", "")) if action.kind is ToolKind.PLAN else "",
        )
        self.emit(Status(state="waiting", detail=action.target))
        if self.hooks is not None:
            # Notification hooks (a desktop notice, a sound) must not hold up the approval.
            task = asyncio.create_task(
                self.hooks.record(
                    "Notification", {"message": f"stepwise needs your approval for {action.tool}: {action.target}"}
                )
            )
            self._notifications.add(task)
            task.add_done_callback(self._notifications.discard)
        approval = await self.approver(request)
        decided_by = self.approver.decided_by
        if approval.kind in (ApprovalKind.SESSION, ApprovalKind.SAVE) and approval.rule:
            self._remember(approval)
        self.emit(
            PermissionDecision(
                tool_use_id=tool_use_id,
                behavior="allow" if approval.approved else "deny",
                decided_by=decided_by,
                reason=decision.reason if decided_by == "user" else (approval.message or decision.reason),
                rule=approval.rule,
                mode=mode,
                choice=str(approval.kind),
                message=approval.message,
                comments=[dict(comment) for comment in approval.comments],
            )
        )
        if not approval.approved:
            outcome.denials.append(
                {"tool": action.tool, "input": action.input, "reason": approval.message or decision.reason}
            )
        return approval

    async def _outside_sandbox(
        self, tool_use_id: str, tool: Tool, action: Action, inside: ToolOutput, outcome: TurnOutcome
    ) -> ToolOutput:
        """A command the sandbox stopped runs again outside it only when the user approves exactly that
        command, once: no rule, grant or mode answers this question (`dontAsk` denies it)."""
        reason = f"it failed inside the sandbox ({inside.sandbox_blocked}); outside it, it runs with your full rights"
        mode = self.permissions.mode
        decided_by: Decider
        if mode == "dontAsk":
            approval = Approval.deny("mode dontAsk denies running a command outside the sandbox")
            decided_by = "mode"
        else:
            request = ApprovalRequest(
                tool_use_id=tool_use_id,
                tool=action.tool,
                kind=OUTSIDE_SANDBOX,
                target=action.target,
                input=action.input,
                reason=reason,
                explanation=action.explanation,
                cwd=str(action.cwd or self.context.root),
            )
            self.emit(Status(state="waiting", detail=action.target))
            approval = await self.approver(request)
            decided_by = self.approver.decided_by
        self.emit(
            PermissionDecision(
                tool_use_id=tool_use_id,
                behavior="allow" if approval.approved else "deny",
                decided_by=decided_by,
                reason=reason if approval.approved else (approval.message or reason),
                mode=mode,
                choice=OUTSIDE_SANDBOX if approval.approved else str(approval.kind),
                message=approval.message,
            )
        )
        if not approval.approved:
            outcome.denials.append(
                {
                    "tool": action.tool,
                    "input": action.input,
                    "reason": f"outside the sandbox: {approval.message or reason}",
                }
            )
            inside.content += "\nRunning it again outside the sandbox was not approved" + (
                f": {approval.message}" if approval.message else "."
            )
            return inside
        self.emit(Status(state="running", detail=action.target))
        self.context.on_output = self._output_listener(tool_use_id)
        try:
            outside = await tool.execute(dataclasses.replace(action, outside_sandbox=True), self.context, approval)
        finally:
            self.context.on_output = None
        outside.content = f"{inside.content}\n\nRun again outside the sandbox, as the user approved:\n{outside.content}"
        return outside

    def _remember(self, approval: Approval) -> None:
        """Grant (and for SAVE, save) the approval's rule; a bad pattern is reported, the call still runs."""
        try:
            self.permissions.grant_session(approval.rule or "")
            if approval.kind is ApprovalKind.SAVE and self._save_rule:
                self._save_rule(approval.rule or "")
        except (ValueError, OSError) as exc:
            self.emit(Error(message=f"could not keep the rule {approval.rule!r}: {exc}", kind="rule"))

    def _denial_text(self, action: Action, approval: Approval) -> str:
        what = "command" if action.kind is ToolKind.EXECUTE else "call"
        text = f"Permission denied: the {action.tool} {what} ({action.target}) was not run."
        if approval.message:
            text += f" The user says: {approval.message}"
        return text

    def _output_listener(self, tool_use_id: str) -> Callable[[str], None]:
        return lambda text: self.emit(CommandOutput(tool_use_id=tool_use_id, text=text))

    def _leave_plan_mode(self) -> None:
        old = self.permissions.mode
        if old == "plan":
            self.permissions.mode = "default"
            if self._on_mode_change:
                self._on_mode_change(old, "default")


def _with_hook(decision: Decision, hook: HookResult, action: Action) -> Decision:
    """A PreToolUse hook's verdict over the engine's: `allow` lifts only a mode's question (never a
    hard limit, an ask rule or a deny), `ask` turns an allow into a question."""
    where = hook.hook.source or "settings"
    if (
        hook.verdict == "allow"
        and decision.behavior == "ask"
        and decision.decided_by == "mode"
        and action.kind is not ToolKind.PLAN
    ):
        return replace(
            decision,
            behavior="allow",
            decided_by="hook",
            reason=f"a PreToolUse hook ({where}) allows it{': ' + hook.reason if hook.reason else ''}",
        )
    if hook.verdict == "ask" and decision.behavior == "allow":
        return replace(
            decision,
            behavior="ask",
            decided_by="hook",
            reason=f"a PreToolUse hook ({where}) asks first{': ' + hook.reason if hook.reason else ''}",
        )
    return decision


def concurrent_batches(calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The calls of one message in the batches they run in: consecutive delegations together.

    A sub-agent's own steps are asked and checkpointed one at a time, so
    delegations can overlap; other calls keep their order, each alone.
    """
    batches: list[list[dict[str, Any]]] = []
    for block in calls:
        delegates = canonical_name(str(block.get("name", ""))) == DELEGATION_TOOL
        if delegates and batches and canonical_name(str(batches[-1][0].get("name", ""))) == DELEGATION_TOOL:
            batches[-1].append(block)
        else:
            batches.append([block])
    return batches


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
