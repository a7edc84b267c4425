"""One live session: agent, workspace, permissions, log and loop wired together.

`Session` is what the app, print mode and replay drive. It records every event
in the session log before handing it to listeners, keeps the step timeline
(checkpoints, undo, rewind) and rebuilds itself from a log on resume.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine.agents.memory import Memory
from tui.engine.config.home import stepwise_home
from tui.engine.debug_log import log_failure
from tui.engine.errors import StepwiseError
from tui.engine.model.context import DEFAULT_COMPACT_AT, DEFAULT_WINDOW, prompt_tokens
from tui.engine.session.approval import Approver
from tui.engine.session.compaction import Compactor
from tui.engine.session.context import attach_context
from tui.engine.session.conversation import Conversation
from tui.engine.session.events import (
    USAGE_KEYS,
    AssistantMessage,
    Checkpoint,
    Compaction,
    ContextAttached,
    ConversationRewind,
    EditApplied,
    Error,
    Event,
    McpStatus,
    ModeChange,
    ModeChanger,
    Rewind,
    SessionHeader,
    SubagentEvent,
    TodoUpdate,
    flat_events,
)
from tui.engine.session.hooks import HookCommand, Hooks, context_of, frontmatter_hooks, parse_hooks, unseen_hooks
from tui.engine.session.log import (
    SessionLogError,
    SessionRecord,
    SessionWriter,
    failed_before_model,
    find_session,
    list_sessions,
    new_session_id,
    read_session,
    session_path,
)
from tui.engine.session.loop import AgentLoop, LoopConfig, ModelProvider, TurnOutcome
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError

if TYPE_CHECKING:
    from tui.engine.agents.commands import CommandCatalog
    from tui.engine.agents.files import Agent
    from tui.engine.agents.skills import Skill
    from tui.engine.config.settings import Settings
    from tui.engine.exec.reaper import ProcessInfo
    from tui.engine.exec.terminal import TerminalManager
    from tui.engine.mcp.client import McpManager, ServerStatus
    from tui.engine.mcp.setup import McpToolset
    from tui.engine.permissions.engine import PermissionEngine
    from tui.engine.session.delegation import Delegation
    from tui.engine.tools.web import WebAccess
    from tui.engine.workspace.checkpoints import RestoreResult, Workspace


OUTSIDE_LABEL = "changes made outside stepwise"
_log = logging.getLogger(__name__)


class SessionError(StepwiseError, RuntimeError):
    """A session cannot start or resume; the message says why and what to do."""


@dataclass
class SessionOptions:
    cwd: Path
    agent: str | None = None
    """Agent name or path; None for the default agent."""
    model: str | None = None
    permission_mode: str | None = None
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    max_turns: int | None = None
    auto_commit: bool = False
    resume: str | None = None
    """A session id, id prefix or path to resume."""
    continue_latest: bool = False
    sandbox: bool | None = None
    """`--sandbox` (True) or `--no-sandbox` (False) over the `sandbox` setting; None: neither flag."""
    fork: str | None = None
    """`ID` or `ID@STEP`: a new session starting from that session's conversation and files at
    checkpoint STEP (its latest without one); the source session is not changed."""
    mcp_config: list[Path] = field(default_factory=list)
    """`--mcp-config` files (trusted, highest precedence)."""


class Session:
    """A running session. `Session.open` builds its parts from options; the constructor wires them."""

    def __init__(
        self,
        *,
        session_id: str,
        path: Path,
        workspace: Workspace,
        agent: Agent,
        model: str,
        permissions: PermissionEngine,
        terminals: TerminalManager,
        provider: ModelProvider,
        approver: Approver,
        config: LoopConfig,
        conversation: Conversation | None = None,
        events: Sequence[Event] = (),
        auto_commit: bool = False,
        warnings: Sequence[str] = (),
        save_rule: Callable[[str], None] | None = None,
        memory: Memory | None = None,
        delegates: Sequence[Agent] = (),
        settings: Settings | None = None,
        hooks: list[HookCommand] | None = None,
        resumed: bool = False,
        context_window: int = DEFAULT_WINDOW,
        compact_at: float = DEFAULT_COMPACT_AT,
        mcp: McpManager | None = None,
        web: WebAccess | None = None,
    ) -> None:
        """Wire a session from its parts; `events` are a resumed log's, replayed into the totals and timeline.

        `delegates` are the agents `run_subagent` may run (`AgentCatalog.delegates_of` the agent);
        `settings` resolve their models.
        """
        self._listeners: list[Callable[[Event], None]] = []
        self._events: list[Event] = []
        self._timeline: list[Checkpoint] = []
        self._next_step = 0
        self.usage: dict[str, int] = dict.fromkeys(USAGE_KEYS, 0)
        self.cost_usd = 0.0
        self.usage_by_agent: dict[str, dict[str, float]] = {}
        """Tokens and `cost_usd` per agent: the session's own and each sub-agent it delegated to."""
        self._todos: list[dict[str, str]] = []
        self.context_window = context_window
        self.context_tokens = 0
        """The prompt size of the last request (input + cache read + cache write), or the estimate
        after a compaction."""
        self.busy = False
        self._closed = False
        self.warnings: list[str] = list(warnings)
        self.id = session_id
        self.path = path
        self.workspace = workspace
        self.root = workspace.root
        self.branch = workspace.branch
        self.agent = agent
        self.agent_name = agent.name
        self.model = model
        self.permissions = permissions
        self.terminals = terminals
        self.auto_commit = auto_commit
        self.memory = memory or Memory(root=self.root, cwd=self.root)
        self.hooks = Hooks(list(hooks or []), self.root, session_id, path, env=terminals.env, emit=self._record)
        self._hooks_started = False
        self._resumed = resumed
        self._events = list(events)
        for event in self._events:
            self._replay_state(event)
        self._writer = SessionWriter(self.path)
        self.delegation = _delegation(self, delegates, settings, provider, approver, config, save_rule)
        self.loop = AgentLoop(
            config=config,
            provider=provider,
            permissions=permissions,
            approver=approver,
            context=ToolContext(
                root=self.root,
                terminals=terminals,
                todos=list(self._todos),
                delegate=self.delegation,
                web=web,
                read_denied=permissions.read_denied,
                extra_roots=permissions.extra_roots,
            ),
            recorder=self,
            emit=self._record,
            conversation=conversation,
            save_rule=save_rule,
            on_mode_change=lambda old, new: self._record(ModeChange(old=old, new=new, by="plan")),
            attach_context=self._attach_context,
            hooks=self.hooks if self.hooks.commands else None,
            resolver=self._resolve_tool,
        )
        self.loop.compactor = Compactor(self.loop, context_window, compact_at)
        self.mcp = mcp
        self._base_tools = list(config.tools)
        if web is not None:
            web.on_withdraw = self._withdraw_tool
        self._mcp_tools: McpToolset | None = None
        if mcp is not None:
            from tui.engine.mcp.setup import McpToolset

            self._mcp_tools = McpToolset(mcp, agent)
            mcp.subscribe(self._on_mcp_status)

    # --- construction ---------------------------------------------------------

    @classmethod
    def open(
        cls,
        options: SessionOptions,
        approver: Approver,
        provider: ModelProvider | None = None,
    ) -> Session:
        """Start a new session, or resume one (`options.resume` / `continue_latest`).

        Raises:
            SessionError: not in a git work tree, unknown agent, bad mode, no session to resume.
        """
        from tui.engine.config import yaml_cache

        with yaml_cache.batch():  # the agent, skill and settings files parsed: one write of the cache
            return cls._open(options, approver, provider)

    @classmethod
    def _open(cls, options: SessionOptions, approver: Approver, provider: ModelProvider | None) -> Session:
        from tui.engine.agents.discovery import discover_agents
        from tui.engine.agents.memory import load_memory
        from tui.engine.agents.skills import discover_skills
        from tui.engine.config.settings import load_settings
        from tui.engine.exec.sandbox import choose as sandbox_choice
        from tui.engine.exec.sandbox import for_workspace as sandbox_for
        from tui.engine.exec.terminal import TerminalManager
        from tui.engine.model.aliases import UnknownModelError, validate_model
        from tui.engine.permissions.engine import PermissionEngine
        from tui.engine.permissions.modes import canonical_mode
        from tui.engine.permissions.rules import agent_rules, load_rules
        from tui.engine.session.delegation import offered_tools
        from tui.engine.session.preview import session_model
        from tui.engine.workspace.checkpoints import Workspace, WorkspaceError

        try:
            workspace = Workspace.open(options.cwd)
        except WorkspaceError as exc:
            raise SessionError(str(exc)) from None
        root = workspace.root
        settings = load_settings(root)
        warnings = list(settings.warnings)

        record = None
        fork_step: int | None = None
        if options.fork:
            record, fork_step = _load_fork(options.fork)
        elif options.resume or options.continue_latest:
            record = _load_record(options, root)
        agent_ref = options.agent or (record.header.agent_source if record else None)
        catalog = discover_agents(options.cwd, settings=settings)
        try:
            agent = catalog.find(agent_ref) if agent_ref else catalog.default()
        except LookupError as exc:
            raise SessionError(str(exc)) from None
        warnings.extend(agent.warnings)

        if options.model:
            try:
                validate_model(options.model, settings.model_aliases)
            except UnknownModelError as exc:
                raise SessionError(str(exc)) from None
        resolved = session_model(agent, options.model, record.header.model if record else None, settings)
        if resolved.warning:
            warnings.append(resolved.warning)
        model = resolved.resolved

        try:
            # A resumed session keeps its mode (its ModeChange events replay below); a flag overrides it.
            requested_mode = options.permission_mode and canonical_mode(options.permission_mode)
            # The agent's own mode, else the user's defaultMode (stepwise's or Claude Code's settings).
            agent_mode = agent.permission_mode if agent.permission_mode != "default" else None
            start_mode = agent_mode or (canonical_mode(settings.default_mode) if settings.default_mode else "default")
            mode = requested_mode or (record.header.permission_mode if record else start_mode)
        except ValueError as exc:
            raise SessionError(str(exc)) from None
        from tui.engine.mcp.setup import open_manager

        mcp = open_manager(root, agent=agent, cli_files=options.mcp_config, settings=settings)
        warnings.extend(mcp.warnings)
        rules, rule_warnings = load_rules(root, settings, cli_allow=options.allow, cli_deny=options.deny)
        warnings.extend(rule_warnings)
        own_rules, own_warnings = agent_rules(agent.name, agent.tool_rules, agent.disallowed_rules)
        rules = rules.merged(own_rules)
        warnings.extend(own_warnings)
        extra_roots = tuple(directory.path for directory in settings.additional_directories)
        warnings.extend(directory.describe() for directory in settings.additional_directories)
        permissions = PermissionEngine(root, mode=mode, rules=rules, extra_roots=extra_roots)

        if provider is None:
            from tui.engine.model.provider import AnthropicProvider

            provider = AnthropicProvider(prices=settings.prices)
        # exit_plan_mode is always offered (and refused outside plan mode), so that
        # switching to plan mode mid-session leaves the model a way out.
        tool_names = [*agent.resolved_tools, "exit_plan_mode"]
        skills = [skill for skill in discover_skills(root, warnings) if skill.name not in agent.skills]
        if not skills and "Skill" in tool_names:
            tool_names.remove("Skill")
        memory = load_memory(root, options.cwd)
        warnings.extend(memory.warnings)
        hooks = _configured_hooks(settings, agent, warnings)
        delegates = catalog.delegates_of(agent)
        # A sub-agent's own hooks run while it is active: they are announced with the session's.
        delegate_hooks = [
            hook
            for delegate in delegates
            if delegate.name != agent.name
            for hook in frontmatter_hooks(delegate.name, delegate.extra, warnings, subagent=True)
        ]
        for hook in unseen_hooks([*hooks, *delegate_hooks], root, stepwise_home() / "cache" / "hooks-seen.json"):
            warnings.append(f"new hook in {hook.source}: {hook.describe()}")
        config = LoopConfig(
            model=model,
            system=_system_blocks(
                agent, workspace, permissions.mode, memory, skills if "Skill" in tool_names else [], warnings
            ),
            tools=offered_tools(tool_names, delegates),
            max_turns=options.max_turns or agent.max_turns or 50,
        )
        choice = sandbox_choice(options.sandbox, settings.sandbox)
        terminals = TerminalManager(
            env=settings.env,
            sandbox=sandbox_for(root, choice, settings.sandbox_network, warnings, extra_roots),
            root=root,
            extra_roots=extra_roots,
        )
        events = list(record.events) if record else []
        if record:
            warnings.extend(record.problems)
        if record and not options.fork:
            session_id, path = record.header.session_id, record.path
        else:
            session_id = new_session_id()
            path = session_path(session_id)
            if record:
                events = _events_until(events, fork_step)
        self = cls(
            session_id=session_id,
            path=path,
            workspace=workspace,
            agent=agent,
            model=model,
            permissions=permissions,
            terminals=terminals,
            provider=provider,
            approver=approver,
            config=config,
            conversation=Conversation.from_events(events) if record else None,
            events=events,
            auto_commit=options.auto_commit or settings.auto_commit,
            warnings=warnings,
            save_rule=lambda rule: _save_rule(root, rule),
            memory=memory,
            delegates=delegates,
            settings=settings,
            hooks=hooks,
            resumed=record is not None,
            context_window=settings.context_window(model),
            compact_at=settings.compact_at,
            mcp=mcp,
            web=_web_access(provider, model, permissions, settings, warnings),
        )
        if record is None or options.fork:
            forked_from = None
            if record is not None:
                forked_from = {"session": record.header.session_id, "step": fork_step}
            self._record(
                SessionHeader(
                    session_id=session_id,
                    agent=agent.name,
                    agent_source=str(agent.source),
                    model=model,
                    permission_mode=mode,
                    workspace=str(root),
                    git_base=workspace.head_commit(),
                    git_branch=self.branch,
                    forked_from=forked_from,
                )
            )
            if record is not None:
                self._start_fork(events)
        elif requested_mode:
            self.set_mode(requested_mode, by="flag")
        _log.debug("session %s opened: agent %s, model %s, log %s", self.id, agent.name, model, self.path)
        return self

    # --- events ---------------------------------------------------------------

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def _start_fork(self, events: list[Event]) -> None:
        """Copy the source's events into this log, then put the files back at the fork's step."""
        for event in events:
            self._writer.write(event)
        if self._timeline and self.workspace.changed_files(self._timeline[-1].commit):
            target = self._timeline[-1]
            saved, result, restored = self._restore_files(target, f"fork at step {target.step}")
            self._record(
                Rewind(
                    to_step=target.step,
                    step=self._next_step,
                    commit=result.commit,
                    written=[*result.written, *restored],
                    deleted=list(result.deleted),
                    saved=saved,
                )
            )
            self._rebuild_conversation()

    def _record(self, event: Event) -> None:
        if event.persistent:
            self._events.append(event)
            self._writer.write(event)
            self._replay_state(event)
        for listener in self._listeners:
            listener(event)

    def _replay_state(self, event: Event) -> None:
        """Update totals and the step timeline from one (live or logged) event."""
        if isinstance(event, (AssistantMessage, Compaction)):
            self._count_usage(self.agent_name, event)
            if isinstance(event, Compaction):
                self.context_tokens = event.tokens_after
            elif not event.partial and prompt_tokens(event.usage):
                self.context_tokens = prompt_tokens(event.usage)
        elif isinstance(event, SubagentEvent) and event.event.get("type") == AssistantMessage.type:
            inner = event.inner()
            if isinstance(inner, AssistantMessage):
                self._count_usage(event.agent, inner)
        elif isinstance(event, TodoUpdate):
            self._todos = list(event.items)
        elif isinstance(event, Checkpoint):
            self._timeline.append(event)
            self._next_step = event.step + 1
        elif isinstance(event, Rewind):
            self._timeline = [c for c in self._timeline if c.step <= event.to_step]
            self._next_step = event.step + 1
        elif isinstance(event, ModeChange):
            self.permissions.mode = event.new
        elif isinstance(event, ContextAttached):
            self.memory.mark_attached(event.paths)

    def _count_usage(self, agent: str, message: AssistantMessage | Compaction) -> None:
        """Add a model response to the session's totals and to its agent's."""
        mine = self.usage_by_agent.setdefault(agent, {**dict.fromkeys(USAGE_KEYS, 0), "cost_usd": 0.0})
        for key in USAGE_KEYS:
            tokens = int(message.usage.get(key, 0) or 0)
            self.usage[key] += tokens
            mine[key] += tokens
        self.cost_usd += message.cost_usd
        mine["cost_usd"] += message.cost_usd

    @property
    def todos(self) -> list[dict[str, str]]:
        """The session agent's task list (restored from the log on resume)."""
        return list(self.loop.context.todos)

    def history(self) -> list[Event]:
        return list(self._events)

    # --- the step recorder (called by the loop) -------------------------------

    def before_change(self) -> None:
        if not self._timeline:
            commit = self.workspace.checkpoint(self.id, "session base")
            self._record(Checkpoint(step=self._next_step, commit=commit, label="session base"))

    def blob(self, data: bytes) -> str:
        return self.workspace.hash_blob(data)

    def _attach_context(self, tool_use_id: str, action: Action) -> str:
        """Memory and instructions for the files a read or an edit reached, the first time (see `Memory`)."""
        return attach_context(self.memory, self.root, self._record, tool_use_id, action)

    def after_step(self, label: str, tool_use_id: str, edited: list[str]) -> None:
        previous = self._timeline[-1].commit
        commit: str | None
        if edited:
            # Always a step, even when the tree is unchanged (an edit of an ignored
            # file), so that undo takes back exactly this edit.
            commit = self.workspace.checkpoint(self.id, label)
        else:
            commit = self.workspace.checkpoint_if_changed(self.id, label, previous)
            if commit is None:
                return
        self._record(Checkpoint(step=self._next_step, commit=commit, label=label, tool_use_id=tool_use_id))
        if self.auto_commit:
            paths = [path for path in edited if not os.path.isabs(path)] or [
                path for _, path in self.workspace.changed_files(previous, commit)
            ]
            try:
                self.workspace.auto_commit(f"stepwise: {label}", paths)
            except Exception as exc:  # noqa: BLE001 - auto-commit failing must not lose the step
                where = log_failure(_log, "auto-commit failed", exc)
                self._record(Error(message=f"auto-commit failed: {exc}{where}", kind="git"))

    @property
    def unsandboxed(self) -> bool:
        """Whether commands run without the sandbox (turned off, or bubblewrap cannot run here)."""
        return self.terminals.sandbox is None

    # --- the public interface -------------------------------------------------

    @property
    def mode(self) -> str:
        return self.permissions.mode

    def set_mode(self, mode: str, by: ModeChanger = "user") -> None:
        from tui.engine.permissions.modes import canonical_mode

        new = canonical_mode(mode)
        old = self.permissions.mode
        if new != old:
            self.permissions.mode = new
            self._record(ModeChange(old=old, new=new, by=by))

    def cycle_mode(self) -> str:
        from tui.engine.permissions.modes import next_mode

        self.set_mode(next_mode(self.permissions.mode))
        return self.permissions.mode

    async def run(self, text: str, attachments: list[dict[str, str]] | None = None) -> TurnOutcome:
        """Run one user turn; the outcome carries the final text and the denials."""
        if self.busy:
            raise SessionError("a turn is already running")
        self.busy = True
        if self.loop.context.web is not None:
            self.loop.context.web.new_turn()
        if self._mcp_tools is not None:
            # Servers that became ready since the last turn bring their tools now.
            self.loop.config.tools = [*self._base_tools, *self._mcp_tools.refresh()]
        try:
            await self._notice_outside_changes()
            context = ""
            if not self._hooks_started:
                self._hooks_started = True
                source = "resume" if self._resumed else "startup"
                context = context_of(await self.hooks.record("SessionStart", {"source": source}))
            return await self.loop.run_turn(text, attachments, context)
        finally:
            self.busy = False
            self._writer.sync()

    @functools.cached_property
    def commands(self) -> CommandCatalog:
        """The custom slash commands and prompt files this workspace and the user have."""
        from tui.engine.agents.commands import discover_commands

        return discover_commands(self.root)

    async def run_command(self, name: str, arguments: str = "") -> TurnOutcome:
        """Run the custom command `/name arguments` as one user turn.

        Its `` !`cmd` `` lines run first, each through the permission engine like any command
        (its `allowed-tools` are granted for this turn only, never past a deny rule or a hard
        limit), and their output is put in the prompt; its `@file` references are attached.

        Raises:
            SessionError: no such command, inputs it needs are missing, or a turn is running.
        """
        from tui.engine.agents.commands import expand, with_command_output
        from tui.engine.session.attachments import read_attachments

        command = self.commands.find(name)
        if command is None:
            raise SessionError(f"unknown command /{name}")
        expansion = expand(command, arguments)
        if expansion.missing_inputs:
            wanted = " ".join(f"<{input_name}>" for input_name in expansion.missing_inputs)
            raise SessionError(f"/{name} needs {wanted}: give them as arguments (/{name} {wanted})")
        if self.busy:
            raise SessionError("a turn is already running")
        try:
            for entry in command.allowed_tools:
                try:
                    self.loop.grant_for_turn(entry, f"/{name}")
                except ValueError as exc:
                    self.warnings.append(f"/{name}: allowed-tools entry {entry!r} ignored: {exc}")
            self.busy = True
            outputs = []
            for index, shell_command in enumerate(expansion.shell_commands):
                output = await self.loop.run_user_command(
                    f"prompt_{self.id}_{len(self._events)}_{index}", shell_command
                )
                outputs.append(output.content)
        except BaseException:
            self.loop.clear_turn_grants()
            raise
        finally:
            self.busy = False
        prompt = with_command_output(expansion, outputs)
        attachments = read_attachments(prompt, self.root)
        self.warnings.extend(attachments.problems)
        return await self.run(prompt, attachments.files)

    def cancel(self) -> None:
        self.loop.cancel()

    @property
    def context_share(self) -> float:
        """How full the context window was at the last request (0 to 1 and beyond)."""
        return self.context_tokens / self.context_window if self.context_window else 0.0

    async def compact(self, focus: str = "") -> Compaction | None:
        """`/compact [focus]`: replace the conversation so far by the model's summary of it.

        Returns None when there is nothing to compact or the summary request
        failed (an `Error` event says why; the conversation is kept).
        """
        if self.busy:
            raise SessionError("a turn is running: compact after it (Esc interrupts it)")
        assert self.loop.compactor is not None
        self.busy = True
        self.loop.cancel_event.clear()  # an Esc of an earlier turn must not stop this one
        try:
            return await self.loop.compactor.compact("manual", focus)
        finally:
            self.busy = False
            self._writer.sync()

    def checkpoints(self) -> list[Checkpoint]:
        return list(self._timeline)

    async def undo(self) -> Rewind | None:
        """Undo the last step: restore the checkpoint before it (commands' changes included)."""
        if len(self._timeline) < 2:
            return None
        return await self._restore(self._timeline[-2], undo=True)

    async def rewind(self, step: int, *, code: bool = True, conversation: bool = False) -> Rewind | ConversationRewind:
        """Go back to checkpoint `step`: its files (`code`), the conversation as it was then, or both.

        A rewound conversation drops the later messages from what the model is
        sent; they stay in the log, after the event that rewound them.
        """
        if not (code or conversation):
            raise SessionError("a rewind restores the code, the conversation or both")
        for checkpoint in self._timeline:
            if checkpoint.step == step:
                if code:
                    return await self._restore(checkpoint, undo=False, conversation=conversation)
                event = ConversationRewind(to_step=step)
                self._record(event)
                self._rebuild_conversation()
                return event
        raise SessionError(f"no checkpoint {step}; /rewind lists them")

    async def _notice_outside_changes(self) -> None:
        """Record files changed since the last step by anyone but the model as a step, and tell the model.

        Without this, the next step's checkpoint would hold them too, and undoing
        it would take back the user's own edits with the model's.
        """
        if not self._timeline:
            return
        previous = self._timeline[-1].commit

        def snapshot() -> tuple[str, list[str]] | None:
            commit = self.workspace.checkpoint_if_changed(self.id, OUTSIDE_LABEL, previous)
            if commit is None:
                return None
            return commit, [path for _, path in self.workspace.changed_files(previous, commit)]

        found = await asyncio.to_thread(snapshot)
        if found is None:
            return
        commit, files = found
        self._record(Checkpoint(step=self._next_step, commit=commit, label=OUTSIDE_LABEL, outside=files))
        self._rebuild_conversation()

    def _rebuild_conversation(self) -> None:
        """Make the model's conversation what the log rebuilds on resume (after a rewind and its note)."""
        self.loop.conversation.messages = Conversation.from_events(self._events).messages
        assert self.loop.compactor is not None
        self.context_tokens = self.loop.compactor.estimate()

    async def _restore(self, target: Checkpoint, *, undo: bool, conversation: bool = False) -> Rewind:
        label = f"{'undo' if undo else 'rewind'} to step {target.step}"
        saved, result, restored = await asyncio.to_thread(self._restore_files, target, label)
        event = Rewind(
            to_step=target.step,
            step=self._next_step,
            commit=result.commit,
            undo=undo,
            written=[*result.written, *restored],
            deleted=list(result.deleted),
            saved=saved,
            conversation=conversation,
            not_restored=sorted(path for path in self._edits_after(target) if os.path.isabs(path)),
        )
        self._record(event)
        self._rebuild_conversation()
        return event

    def _restore_files(self, target: Checkpoint, label: str) -> tuple[str | None, RestoreResult, list[str]]:
        """Restore `target`'s files; returns (the commit keeping the user's own changes, the result, ignored files restored).

        Changes made by hand since the last step would be lost by the restore,
        so they are first kept in a checkpoint of their own (not a step).
        """
        saved = self.workspace.checkpoint_if_changed(self.id, "your changes before " + label, self._timeline[-1].commit)
        result = self.workspace.restore(target.commit, self.id, label)
        # Ignored files are not in checkpoints: edits to them are undone from their before-blobs.
        # Edits in an additional directory (absolute paths) are outside the workspace's git: left as they are.
        later_edits = {path: blob for path, blob in self._edits_after(target).items() if not os.path.isabs(path)}
        restored = []
        for path in sorted(self.workspace.ignored(later_edits)):
            self.workspace.restore_blob(self.root / path, later_edits[path])
            restored.append(path)
        return saved, result, restored

    def _edits_after(self, target: Checkpoint) -> dict[str, str | None]:
        """Each file edited after `target`, with its content (blob) before the first such edit."""
        position = next(i for i, e in enumerate(self._events) if e is target)
        first_before: dict[str, str | None] = {}
        for event in flat_events(self._events[position + 1 :]):
            if isinstance(event, EditApplied):
                first_before.setdefault(event.path, event.before_blob)
        return first_before

    def is_dirty(self) -> bool:
        """Whether the work tree has changes git would commit (for the status bar)."""
        return self.workspace.is_dirty()

    def base_commit(self) -> str | None:
        return self._timeline[0].commit if self._timeline else None

    def changed_files(self) -> list[tuple[str, str]]:
        base = self.base_commit()
        return self.workspace.changed_files(base) if base else []

    def diff(self, path: str | None = None) -> str:
        base = self.base_commit()
        if not base:
            return ""
        return self.workspace.diff(base, None, [path] if path else None)

    def warm_up(self) -> None:
        """Load what the first model call needs (the SDK, its client) now; safe to call from a thread."""
        self.loop.provider.warm_up()

    # --- MCP servers ----------------------------------------------------------

    async def start_mcp(self, *, ask: bool) -> None:
        """Start the trusted MCP servers in the background; with `ask`, first ask the approver about each
        untrusted project server (the request shows exactly what would run). Returns once asked, not
        once the servers are ready (`mcp.wait_ready()`)."""
        if self.mcp is None:
            return
        self.mcp.start()
        for status in self.mcp.untrusted() if ask else ():
            from tui.engine.mcp.setup import trust_request

            approval = await self.loop.approver(trust_request(status))
            if approval.approved:
                try:
                    self.mcp.approve(status.config.name)
                except OSError as exc:
                    self._record(
                        Error(message=f"the approval of {status.config.name} was not saved: {exc}", kind="mcp")
                    )

    def _on_mcp_status(self, status: ServerStatus) -> None:
        self._record(
            McpStatus(server=status.config.name, state=status.state, detail=status.error, tools=len(status.tools))
        )
        if status.state == "failed":
            self._record(Error(message=f"MCP server {status.config.name}: {status.error}", kind="mcp"))

    def _withdraw_tool(self, name: str, why: str) -> None:
        """The API refused a server tool: stop offering it for the rest of the session."""
        for tools in (self._base_tools, self.loop.config.tools):
            tools[:] = [tool for tool in tools if tool.get("name") != name]
        self._record(Error(message=f"{name} is withdrawn for this session: {why}", kind="web"))

    def _resolve_tool(self, name: str, args: Any) -> tuple[Tool, dict[str, Any]]:
        from tui.engine.tools.registry import resolve

        found = self._mcp_tools.find(name) if self._mcp_tools is not None else None
        if found is None:
            return resolve(name, args)
        if not isinstance(args, dict):
            raise ToolInputError(f"the input of {name} must be a JSON object")
        return found, args

    @property
    def closed(self) -> bool:
        """`close()` has run (an app that switched sessions closed the old one)."""
        return self._closed

    async def close(self) -> list[ProcessInfo]:
        """End the session: stop every process its commands left running (named in an `Error` event
        of kind `leftovers`, and returned), close the provider and the log. Closing twice does nothing."""
        if self._closed:
            return []
        self._closed = True
        if self._hooks_started:
            await self.hooks.record("SessionEnd", {"reason": "exit"})
        if self.mcp is not None:
            await self.mcp.close()
        stopped = await self.terminals.close()
        if stopped:
            self._record(Error(message=leftovers_message(stopped), kind="leftovers"))
        await self.loop.provider.aclose()
        self._writer.sync()
        self._writer.close()
        return stopped


def _configured_hooks(settings: Settings, agent: Agent, warnings: list[str]) -> list[HookCommand]:
    """Hooks from Claude Code's settings files, stepwise's settings files and the agent's frontmatter."""
    hooks: list[HookCommand] = []
    for claude in settings.claude.files:
        hooks += parse_hooks(claude.data.get("hooks"), claude.label, warnings)
    for file in settings.files:
        hooks += parse_hooks(file.data.get("hooks"), str(file.path), warnings)
    hooks += frontmatter_hooks(agent.name, agent.extra, warnings)
    return hooks


def _web_access(
    provider: ModelProvider, model: str, permissions: PermissionEngine, settings: Settings, warnings: list[str]
) -> WebAccess | None:
    """The web tools' access to the API (through the provider's client), or None when there is none."""
    from tui.engine.permissions.rules import web_domains
    from tui.engine.tools.web import DEFAULT_MAX_USES, WebAccess, api_runner

    runner = api_runner(provider.sub_requests(), model)
    if runner is None:
        return None
    max_uses = settings.raw.get("web_max_uses", DEFAULT_MAX_USES)
    if isinstance(max_uses, bool) or not isinstance(max_uses, int) or max_uses < 1:
        warnings.append(f"settings: `web_max_uses` must be a whole number of at least 1, got {max_uses!r}; using 5")
        max_uses = DEFAULT_MAX_USES
    return WebAccess(runner, lambda: web_domains(permissions.rules), max_uses)


def _save_rule(root: Path, rule: str) -> None:
    from tui.engine.permissions.rules import save_rule

    save_rule(root, rule)


def _load_fork(ref: str) -> tuple[SessionRecord, int | None]:
    """The source session of `--fork ID[@STEP]`, and the step."""
    source, _, step_text = ref.rpartition("@") if "@" in ref else (ref, "", "")
    step = None
    if step_text:
        try:
            step = int(step_text)
        except ValueError:
            raise SessionError(f"--fork {ref}: the step after @ must be a checkpoint number") from None
    try:
        record = read_session(find_session(source))
    except SessionLogError as exc:
        raise SessionError(str(exc)) from None
    steps = [e.step for e in record.events if isinstance(e, Checkpoint)]
    if step is not None and step not in steps:
        listed = ", ".join(map(str, steps)) or "none"
        raise SessionError(
            f"--fork {ref}: session {record.header.session_id} has no checkpoint {step} (it has {listed})"
        )
    return record, step


def _events_until(events: list[Event], step: int | None) -> list[Event]:
    """The events up to the last checkpoint `step` (all of them for None)."""
    if step is None:
        return events
    last = max(i for i, e in enumerate(events) if isinstance(e, Checkpoint) and e.step == step)
    return events[: last + 1]


def _load_record(options: SessionOptions, root: Path) -> SessionRecord:
    try:
        if options.resume:
            path = find_session(options.resume)
        else:
            # A run that never reached the model (no API key, say) has nothing to continue.
            for path, _ in reversed(list_sessions(root)):
                record = read_session(path)
                if not failed_before_model(record.events):
                    return record
            raise SessionError(f"no earlier session in {root} to continue")
        return read_session(path)
    except SessionLogError as exc:
        raise SessionError(str(exc)) from None


def _system_blocks(
    agent: Agent, workspace: Workspace, mode: str, memory: Memory, skills: list[Skill], warnings: list[str]
) -> list[dict[str, Any]]:
    from tui.engine.agents.skills import skill_list_section, skill_sections

    root = workspace.root
    parts = [agent.system_prompt.strip()]
    parts.extend(skill_sections(agent, root, warnings))
    parts.append(skill_list_section(skills, agent.skills))
    parts.extend(memory.sections())
    parts.append(
        "## Environment\n"
        f"- Workspace: {root}\n"
        f"- Git branch: {workspace.branch or '(detached)'}\n"
        f"- Date: {datetime.date.today().isoformat()}\n"
        f"- Permission mode at start: {mode} (the user can change it; "
        "a denied call's result says why)\n"
        "- File edits and commands are shown to the user, who approves each one "
        "(per file or per hunk) before it reaches disk; a denial may carry the user's reason."
    )
    return [{"type": "text", "text": "\n\n".join(p for p in parts if p)}]


def _listed_skills(agent: Agent, root: Path, warnings: list[str]) -> list[Skill]:
    """The skills a sub-agent's prompt lists for its Skill tool (none without the tool; its own are preloaded)."""
    from tui.engine.agents.skills import discover_skills

    if "Skill" not in agent.resolved_tools:
        return []
    return [skill for skill in discover_skills(root, warnings) if skill.name not in agent.skills]


def _delegation(
    session: Session,
    delegates: Sequence[Agent],
    settings: Settings | None,
    provider: ModelProvider,
    approver: Approver,
    config: LoopConfig,
    save_rule: Callable[[str], None] | None,
) -> Delegation | None:
    """What runs the session's sub-agents; None when its agent cannot delegate."""
    if not delegates:
        return None
    from tui.engine.session.delegation import Delegation

    return Delegation(
        agents=list(delegates),
        parent=session.agent,
        model=session.model,
        settings=settings,
        # A sub-agent's prompt is built like the session agent's: body, skills, memory, environment.
        system=lambda agent, mode, warnings: _system_blocks(
            agent, session.workspace, mode, session.memory, _listed_skills(agent, session.root, warnings), warnings
        ),
        provider=provider,
        permissions=session.permissions,
        approver=approver,
        ledger=session,
        files_between=lambda before, after: [path for _, path in session.workspace.changed_files(before, after)],
        emit=session._record,
        save_rule=save_rule,
        max_turns=config.max_turns,
        hooks=session.hooks,
        memory=session.memory,
    )


def leftovers_message(stopped: list[ProcessInfo]) -> str:
    """What the user is told about processes still running when the session ended."""
    from tui.engine.exec.reaper import describe_processes

    return f"stopped {len(stopped)} process(es) still running at the end of the session: {describe_processes(stopped)}"
