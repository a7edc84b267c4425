"""Delegation: the session's agent hands a task to a sub-agent, and every step of it stays stepwise.

A sub-agent runs as its file says: its own system prompt (body, skills,
project memory), exactly its own tools (never `run_subagent`: one level
deep), its own model (`inherit` = the parent's) and `maxTurns`, in a fresh
conversation that starts with the delegated prompt. It shares everything
that makes a step safe with the session: the same permission rules and
session grants (a "don't ask again" given to a sub-agent holds for the whole
session), the same approver (its requests name it), the same checkpoints
(`/undo` and `/rewind` cover its steps) and the same log, where its events
are nested under the parent's call (`SubagentStart`, `SubagentEvent`,
`SubagentEnd`).

Its permission mode is never looser than the session's: a parent in
`acceptEdits` or `bypassPermissions` wins; otherwise the stricter of the two
modes applies, so a sub-agent asking for `acceptEdits` under a `default`
session still asks before each edit. The mode follows the session's live:
switching the session's mode while a sub-agent works applies to it at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tui.engine.debug_log import log_failure
from tui.engine.model.aliases import resolve_model
from tui.engine.permissions.engine import PermissionEngine
from tui.engine.permissions.modes import canonical_mode, subagent_mode
from tui.engine.permissions.rules import RuleSet, agent_rules
from tui.engine.session.approval import Approval, ApprovalRequest, Approver
from tui.engine.session.context import attach_context
from tui.engine.session.events import (
    USAGE_KEYS,
    AssistantMessage,
    Checkpoint,
    Error,
    Event,
    SubagentEnd,
    SubagentEvent,
    SubagentStart,
    SubagentStream,
    event_to_dict,
)
from tui.engine.session.hooks import context_of, frontmatter_hooks
from tui.engine.session.loop import AgentLoop, LoopConfig, ModelProvider, StepRecorder, TurnOutcome
from tui.engine.tools.base import Action, ToolContext, ToolOutput
from tui.engine.tools.names import DELEGATION_TOOL
from tui.engine.tools.registry import schemas
from tui.engine.tools.run_subagent import delegation_schema

if TYPE_CHECKING:
    from tui.engine.agents.files import Agent
    from tui.engine.agents.memory import Memory
    from tui.engine.config.settings import Settings
    from tui.engine.session.events import Decider
    from tui.engine.session.hooks import Hooks

_log = logging.getLogger(__name__)


class DelegatedPermissions(PermissionEngine):
    """The session's rules and session grants, with the sub-agent's mode (bounded by the session's)."""

    def __init__(self, parent: PermissionEngine, agent_mode: str, own_rules: RuleSet | None = None) -> None:
        # The sub-agent's own `tools`/`disallowedTools` patterns hold for its calls only.
        super().__init__(
            parent.root,
            mode=agent_mode,
            rules=parent.rules.merged(own_rules or RuleSet()),
            extra_roots=parent.extra_roots,
        )
        self.session = parent.session
        self._parent = parent
        self.agent_mode = canonical_mode(agent_mode)

    @property
    def mode(self) -> str:
        return subagent_mode(self._parent.mode, self.agent_mode)

    @mode.setter
    def mode(self, value: str) -> None:
        self.agent_mode = canonical_mode(value)


class _LabelledApprover:
    """The session's approver, with each request naming the sub-agent that asks."""

    def __init__(self, approver: Approver, agent: str, parent: str) -> None:
        self._approver = approver
        self._agent = agent
        self._parent = parent
        self.decided_by: Decider = approver.decided_by

    async def __call__(self, request: ApprovalRequest) -> Approval:
        return await self._approver(dataclasses.replace(request, agent=self._agent, delegated_by=self._parent))


SystemPrompt = Callable[["Agent", str, list[str]], list[dict[str, Any]]]
"""`system(agent, mode, warnings)`: an agent's system blocks, built as the session builds its own."""


class StepLedger(StepRecorder, Protocol):
    """The session's step recorder, which also lists its checkpoints."""

    def checkpoints(self) -> list[Checkpoint]: ...


@dataclass
class _Run:
    """What one sub-agent run did, gathered from its events and steps."""

    run_id: str
    agent: str
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USAGE_KEYS, 0))
    cost_usd: float = 0.0
    error: str = ""
    steps: list[int] = field(default_factory=list)
    files: dict[str, None] = field(default_factory=dict)

    def observe(self, event: Event) -> None:
        if isinstance(event, AssistantMessage):
            for key in USAGE_KEYS:
                self.usage[key] += int(event.usage.get(key, 0) or 0)
            self.cost_usd += event.cost_usd
        elif isinstance(event, Error) and event.fatal:
            self.error = event.message


class _RunRecorder:
    """Records the sub-agent's steps as the session's checkpoints, labelled with its name."""

    def __init__(self, ledger: StepLedger, run: _Run, files_between: Callable[[str, str], list[str]]) -> None:
        self._ledger = ledger
        self._run = run
        self._files_between = files_between

    def before_change(self) -> None:
        self._ledger.before_change()

    def blob(self, data: bytes) -> str:
        return self._ledger.blob(data)

    def after_step(self, label: str, tool_use_id: str, edited: list[str]) -> None:
        before = self._ledger.checkpoints()
        self._ledger.after_step(f"{self._run.agent}: {label}"[:200], tool_use_id, edited)
        after = self._ledger.checkpoints()
        if len(after) > len(before):
            self._run.steps.append(after[-1].step)
            self._run.files.update(dict.fromkeys(edited or self._files_between(before[-1].commit, after[-1].commit)))


class Delegation:
    """Runs sub-agents for one session (the `Delegator` that `run_subagent` calls)."""

    def __init__(
        self,
        *,
        agents: list[Agent],
        parent: Agent,
        model: str,
        settings: Settings | None,
        system: SystemPrompt,
        provider: ModelProvider,
        permissions: PermissionEngine,
        approver: Approver,
        ledger: StepLedger,
        files_between: Callable[[str, str], list[str]],
        emit: Callable[[Event], None],
        save_rule: Callable[[str], None] | None = None,
        max_turns: int = 50,
        hooks: Hooks | None = None,
        memory: Memory | None = None,
    ) -> None:
        self._agents: dict[str, Agent] = {parent.name: parent}
        for agent in agents:
            self._agents.setdefault(agent.name, agent)
        self._parent = parent
        self._hooks = hooks
        """The session's hooks: a sub-agent's tool calls meet the same PreToolUse guards (its own
        frontmatter hooks are added for its run)."""
        self._memory = memory
        """The session's memory: each run attaches nested memory and instructions in its own conversation."""
        self._model = model
        self._settings = settings
        self._system = system
        self._provider = provider
        self._permissions = permissions
        self._approver = approver
        self._ledger = ledger
        self._files_between = files_between
        self._emit = emit
        self._save_rule = save_rule
        self._max_turns = max_turns
        self._step_lock = asyncio.Lock()
        self.denials: list[dict[str, Any]] = []
        """Every call denied to a sub-agent, with the agent's name (print mode reports them)."""

    def agent_names(self) -> list[str]:
        return list(self._agents)

    def default_agent(self) -> str:
        return self._parent.name

    def _hooks_for(self, agent: Agent, emit: Callable[[Event], None]) -> Hooks | None:
        """The session's hooks plus the sub-agent file's own (announced at the session's start), their
        runs recorded through `emit`."""
        if self._hooks is None:
            return None
        own = [] if agent.name == self._parent.name else frontmatter_hooks(agent.name, agent.extra, [], subagent=True)
        # A sub-agent's end is SubagentStop, never the session's Stop (Claude Code's order of events).
        session = [hook for hook in self._hooks.commands if hook.event != "Stop"]
        return dataclasses.replace(self._hooks, commands=[*session, *own], emit=emit)

    async def run(self, agent_name: str, description: str, prompt: str, ctx: ToolContext) -> ToolOutput:
        agent = self._agents[agent_name]
        # Read now: delegations of one message run side by side on the parent's context.
        tool_use_id = ctx.tool_use_id
        notes: list[str] = []
        model = resolve_model(agent.model, self._model, self._settings.model_aliases if self._settings else None)
        if model.warning:
            notes.append(model.warning)
        own_rules, rule_warnings = agent_rules(agent.name, agent.tool_rules, agent.disallowed_rules)
        notes.extend(rule_warnings)
        permissions = DelegatedPermissions(self._permissions, agent.permission_mode, own_rules)
        tools = [name for name in agent.resolved_tools if name != DELEGATION_TOOL]
        run = _Run(run_id=f"run-{uuid.uuid4().hex[:10]}", agent=agent.name)
        self._emit(
            SubagentStart(
                run_id=run.run_id,
                tool_use_id=tool_use_id,
                agent=agent.name,
                parent_agent=self._parent.name,
                description=description,
                prompt=prompt,
                model=model.resolved,
                permission_mode=permissions.mode,
            )
        )

        def emit(event: Event) -> None:
            run.observe(event)
            nested = SubagentEvent if event.persistent else SubagentStream
            self._emit(nested(run_id=run.run_id, agent=agent.name, event=event_to_dict(event)))

        # Hook runs during the sub-agent's run are its events: shown under its run, like its tool calls.
        hooks = self._hooks_for(agent, emit)
        memory = self._memory.fresh_view() if self._memory is not None else None

        def attach(call_id: str, action: Action) -> str:
            assert memory is not None
            return attach_context(memory, ctx.root, emit, call_id, action)

        loop = AgentLoop(
            config=LoopConfig(
                model=model.resolved,
                system=self._system(agent, permissions.mode, notes),
                tools=schemas(tools),
                max_turns=agent.max_turns or self._max_turns,
                only_tools=frozenset(tools),
            ),
            provider=self._provider,
            permissions=permissions,
            approver=_LabelledApprover(self._approver, agent.name, self._parent.name),
            context=ToolContext(
                root=ctx.root, terminals=ctx.terminals, read_denied=ctx.read_denied, extra_roots=ctx.extra_roots
            ),
            recorder=_RunRecorder(self._ledger, run, self._files_between),
            emit=emit,
            save_rule=self._save_rule,
            hooks=hooks if hooks is not None and hooks.commands else None,
            attach_context=attach if memory is not None else None,
        )
        loop.step_lock = self._step_lock
        started = time.monotonic()
        if hooks is not None:
            # Claude Code's SubagentStart: it cannot stop the run; what it adds goes to the sub-agent.
            started_hooks = await hooks.record(
                "SubagentStart", {"agent_id": run.run_id}, tool_use_id=tool_use_id, agent=agent.name
            )
            if added := context_of(started_hooks):
                prompt = f"{prompt}\n\n{added}"
        outcome = await _drive(loop, prompt, ctx.cancel, run)
        if hooks is not None:
            await hooks.record(
                "SubagentStop",
                {"agent": agent.name, "agent_id": run.run_id, "stop_hook_active": False},
                tool_use_id=tool_use_id,
                agent=agent.name,
            )
        end = SubagentEnd(
            run_id=run.run_id,
            tool_use_id=tool_use_id,
            agent=agent.name,
            reason=outcome.reason,
            num_turns=outcome.turns,
            duration_ms=int((time.monotonic() - started) * 1000),
            usage=dict(run.usage),
            cost_usd=run.cost_usd,
            files=list(run.files),
            steps=list(run.steps),
        )
        self._emit(end)
        self.denials.extend({**denial, "agent": agent.name} for denial in outcome.denials)
        return ToolOutput(report(outcome, end, run.error, notes), is_error=outcome.reason in ("cancelled", "error"))


def offered_tools(names: list[str], delegates: list[Agent]) -> list[dict[str, Any]]:
    """The tool definitions for the session's agent: `run_subagent` lists the agents, or is left out.

    `delegates` are `AgentCatalog.delegates_of` the session's agent: that agent first.
    """
    out = []
    for tool in schemas(names):
        if tool["name"] == DELEGATION_TOOL:
            if not delegates:
                continue
            parent = delegates[0]
            tool = delegation_schema(
                [
                    (a.name, a.description + (" (yourself, in a fresh context)" if a is parent else ""))
                    for a in delegates
                ]
            )
        out.append(tool)
    return out


async def _drive(loop: AgentLoop, prompt: str, cancel: asyncio.Event, run: _Run) -> TurnOutcome:
    """Run the sub-agent's turn; the parent's interrupt (Esc) interrupts it too."""
    if cancel.is_set():
        return TurnOutcome(reason="cancelled")
    # The turn is scheduled first, so it has started (and cleared its own cancel flag)
    # before the watcher can pass an interrupt on.
    turn = asyncio.ensure_future(loop.run_turn(prompt))
    watcher = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({turn, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not turn.done():
            loop.cancel()
        return await turn
    except Exception as exc:  # noqa: BLE001 - a failing sub-agent reports to its parent, which goes on
        where = log_failure(_log, "a sub-agent failed", exc, suggest=False)
        run.error = run.error or f"{type(exc).__name__}: {exc}{where}"
        return TurnOutcome(reason="error")
    finally:
        watcher.cancel()
        if not turn.done():
            turn.cancel()


def report(outcome: TurnOutcome, end: SubagentEnd, error: str, notes: list[str]) -> str:
    """The tool result the parent receives: the sub-agent's final text, then an account of its run."""
    turns = f"{end.num_turns} model turn{'s' if end.num_turns != 1 else ''}"
    how = {
        "cancelled": "cancelled: the user interrupted it",
        "max_turns": f"stopped at its maxTurns ({turns}); the work may be unfinished",
        "error": f"stopped by an error: {error or 'unknown error'}",
    }.get(end.reason, f"finished after {turns}")
    account = [f"Sub-agent {end.agent} {how}."]
    if end.files:
        steps = ", ".join(str(step) for step in end.steps)
        account.append(f"It changed {', '.join(end.files)} (step{'s' if len(end.steps) != 1 else ''} {steps}).")
    else:
        account.append("It changed no files.")
    if outcome.denials:
        denied = "; ".join(f"{d['tool']}: {d['reason']}" for d in outcome.denials[:5])
        more = f" (and {len(outcome.denials) - 5} more)" if len(outcome.denials) > 5 else ""
        account.append(f"Denied {len(outcome.denials)} call{'s' if len(outcome.denials) != 1 else ''}: {denied}{more}.")
    account.extend(f"Warning: {note}." for note in notes)
    text = outcome.text.strip() or "(no final text)"
    if end.reason == "cancelled":
        text = f"Cancelled. {text}" if outcome.text.strip() else "Cancelled."
    return f"{text}\n\n[{' '.join(account)}]"


def usage_by_agent_lines(usage_by_agent: dict[str, dict[str, float]]) -> list[str]:
    """`/cost`'s per-agent lines (`backend-dev: 1,200 in, 80 out, $0.0031`); none for a lone agent."""
    if len(usage_by_agent) < 2:
        return []
    lines = []
    for agent, usage in usage_by_agent.items():
        prompt = sum(int(usage.get(key, 0)) for key in USAGE_KEYS if key != "output_tokens")
        lines.append(
            f"{agent}: {prompt:,} in, {int(usage.get('output_tokens', 0)):,} out, ${usage.get('cost_usd', 0.0):.4f}"
        )
    return lines
