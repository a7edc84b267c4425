"""Engine events: the one wire format for the UI, the session log, resume, replay and export.

Every event is a small dataclass with a `type` tag. Persistent events are
written to the session log (one JSON object per line); transient events
(streamed deltas, live command output, status) only go to listeners such as
the UI or `--output-format stream-json`.

`event_to_dict` / `event_from_dict` are the only (de)serialisers; adding an
event type means adding a dataclass here and nothing else.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

SESSION_FORMAT_VERSION = 1

USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
"""The token counts of `AssistantMessage.usage`."""

_EVENT_TYPES: dict[str, type[Event]] = {}


Verdict = Literal["allow", "deny"]
"""A permission decision as logged (never `ask`: an ask is resolved by the approver first)."""
EngineDecider = Literal["rule", "mode", "hard_limit", "session", "hook"]
"""What decides without the user: a rule, the mode, a hard limit, a session grant, or a PreToolUse hook."""
Decider = Literal[EngineDecider, "user", "headless"]
"""Who or what decided a call: the engine's reasons, the user, or print mode (which never prompts)."""
ModeChanger = Literal["user", "flag", "plan"]
"""What changed the permission mode: the user, a command-line flag on resume, or `exit_plan_mode`."""
EngineState = Literal["idle", "streaming", "waiting", "running", "retrying", "compacting"]
"""What the engine is doing now."""


@dataclass(kw_only=True)
class Event:
    """Base class: `ts` is the wall-clock time the event happened."""

    type: ClassVar[str] = ""
    persistent: ClassVar[bool] = True
    ts: float = field(default_factory=time.time)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type:
            _EVENT_TYPES[cls.type] = cls


# --- persistent events (the session log) -------------------------------------


@dataclass(kw_only=True)
class SessionHeader(Event):
    """First line of every session file."""

    type: ClassVar[str] = "session"
    version: int = SESSION_FORMAT_VERSION
    session_id: str
    agent: str
    agent_source: str = ""
    model: str
    permission_mode: str
    workspace: str
    git_base: str | None = None
    """The user's HEAD commit when the session started (the base checkpoint is checkpoint 0)."""
    git_branch: str | None = None
    forked_from: dict[str, Any] | None = None
    """`{"session": ID, "step": N}` when this session is a fork (`--fork ID@N`); the events up to
    that step are copied from the source's log, which stays untouched."""


@dataclass(kw_only=True)
class UserMessage(Event):
    """What the user sent, with the files their `@path` mentions attached."""

    type: ClassVar[str] = "user_message"
    text: str
    attachments: list[dict[str, str]] = field(default_factory=list)
    """`[{"path", "content"}]` for `@path` mentions; sent to the model after the text."""
    context: str = ""
    """What hooks added (UserPromptSubmit, SessionStart): sent after the text, not shown as typed."""


@dataclass(kw_only=True)
class AssistantMessage(Event):
    """One complete model response: exactly the content blocks sent back next turn."""

    type: ClassVar[str] = "assistant_message"
    content: list[dict[str, Any]]
    model: str
    stop_reason: str | None
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    partial: bool = False
    """True when the stream was cancelled; the text shown so far is kept."""


@dataclass(kw_only=True)
class ToolCall(Event):
    """The model asked for a tool; `input` is what it sent, `target` what the call acts on."""

    type: ClassVar[str] = "tool_call"
    tool_use_id: str
    name: str
    """The name the model used (may be an alias such as `Bash`)."""
    tool: str
    """The canonical tool name, or the model's name when it is unknown."""
    input: dict[str, Any]
    target: str = ""
    """What the call acts on, for display: a path, a command, a query."""


@dataclass(kw_only=True)
class PermissionDecision(Event):
    """Whether a tool call may run, and who or what decided."""

    type: ClassVar[str] = "permission_decision"
    tool_use_id: str
    behavior: Verdict
    decided_by: Decider
    reason: str
    rule: str | None = None
    mode: str | None = None
    choice: str | None = None
    """The approval kind when the user decided (`once`, `session`, `save`, `hunks`, `edited`, `deny`)."""
    message: str | None = None
    """A denial's message to the model."""
    comments: list[dict[str, Any]] = field(default_factory=list)
    """The user's review comments on lines of the edit (`review.ReviewComment`), approved or denied."""


@dataclass(kw_only=True)
class ToolResult(Event):
    """What a tool call returned to the model (every call gets exactly one)."""

    type: ClassVar[str] = "tool_result"
    tool_use_id: str
    content: str
    is_error: bool = False
    duration_ms: int = 0
    exit_code: int | None = None
    """A command's exit status (negative: killed by that signal); None for other tools, and in older logs."""


@dataclass(kw_only=True)
class EditApplied(Event):
    """A file edit reached the disk: the file's blobs before and after, and the diff."""

    type: ClassVar[str] = "edit_applied"
    tool_use_id: str
    path: str
    """Workspace-relative POSIX path."""
    before_blob: str | None
    """Git blob id of the file before the edit, None when it did not exist."""
    after_blob: str
    hunks_total: int
    hunks_applied: list[int]
    edited_by_user: bool = False
    diff: str = ""
    """The unified diff that actually landed."""


@dataclass(kw_only=True)
class Checkpoint(Event):
    """The workspace after a step, as a commit under `refs/stepwise/<session>`."""

    type: ClassVar[str] = "checkpoint"
    step: int
    commit: str
    label: str
    tool_use_id: str | None = None
    outside: list[str] = field(default_factory=list)
    """Files changed outside stepwise (by hand, by another program) since the last step: a turn
    starts by recording them as a step of their own, and the model is told."""


@dataclass(kw_only=True)
class HookRan(Event):
    """A configured hook ran: which, where it is configured, and what came of it."""

    type: ClassVar[str] = "hook_ran"
    event: str
    command: str
    source: str = ""
    matcher: str = ""
    exit_code: int | None = None
    summary: str = ""
    tool_use_id: str = ""
    duration_ms: int = 0


@dataclass(kw_only=True)
class ContextAttached(Event):
    """Memory or instruction files attached to a tool result: the agent reached a file they apply to."""

    type: ClassVar[str] = "context_attached"
    tool_use_id: str
    paths: list[str]
    """As shown: workspace-relative, or `~/...`."""


@dataclass(kw_only=True)
class Retry(Event):
    """A model request failed in a way worth retrying; the next attempt starts after `wait_s`."""

    type: ClassVar[str] = "retry"
    attempt: int
    reason: str
    wait_s: float
    status: int | None = None


@dataclass(kw_only=True)
class Error(Event):
    """Something went wrong; `fatal` errors end the turn."""

    type: ClassVar[str] = "error"
    message: str
    kind: str = "error"
    fatal: bool = False


@dataclass(kw_only=True)
class ModeChange(Event):
    """The permission mode changed (by the user, or by `exit_plan_mode`)."""

    type: ClassVar[str] = "mode_change"
    old: str
    new: str
    by: ModeChanger = "user"


@dataclass(kw_only=True)
class Rewind(Event):
    """Files restored to checkpoint `to_step`; itself a step with its own checkpoint."""

    type: ClassVar[str] = "rewind"
    to_step: int
    """The checkpoint whose files were restored."""
    step: int
    """The step number of this rewind itself."""
    commit: str
    """The checkpoint recorded after restoring."""
    undo: bool = False
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    saved: str | None = None
    """A checkpoint keeping changes made by hand since the last step, which the restore replaced."""
    conversation: bool = False
    """The conversation was rewound to checkpoint `to_step` too (the later messages stay in the log)."""
    not_restored: list[str] = field(default_factory=list)
    """Files edited since `to_step` in an additional directory (absolute paths): outside the workspace's
    git, so no checkpoint holds them and they stay as they are."""


@dataclass(kw_only=True)
class ConversationRewind(Event):
    """Only the conversation went back to what it was at checkpoint `to_step`; the files stay."""

    type: ClassVar[str] = "conversation_rewind"
    to_step: int


@dataclass(kw_only=True)
class Compaction(Event):
    """The conversation's first `replaced` messages were replaced by a summary the model wrote."""

    type: ClassVar[str] = "compaction"
    summary: str
    replaced: int
    """How many messages, from the first, the summary replaced; the later ones were kept."""
    tokens_before: int
    tokens_after: int
    """Prompt tokens of the next request before and after (estimated from the last usage)."""
    trigger: str = "manual"
    """`manual` (/compact), `auto` (the request would pass `compact_at`) or `overflow` (the API refused it)."""
    focus: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    """The summary request's own usage (counted in the session's totals)."""
    cost_usd: float = 0.0

    def __post_init__(self) -> None:
        # A compaction rebuilds the conversation on resume: a line that cannot is corrupt, not a no-op.
        if not isinstance(self.summary, str) or not self.summary.strip():
            raise ValueError("a compaction needs its summary")
        if isinstance(self.replaced, bool) or not isinstance(self.replaced, int) or self.replaced < 1:
            raise ValueError(f"a compaction replaces at least one message, not {self.replaced!r}")


@dataclass(kw_only=True)
class TurnEnd(Event):
    """The model ended its turn (or the loop stopped it)."""

    type: ClassVar[str] = "turn_end"
    reason: str
    """`end_turn`, `max_turns`, `cancelled`, `error`, `refusal`."""
    num_turns: int = 0


@dataclass(kw_only=True)
class TodoUpdate(Event):
    """The agent's task list after a `manage_todo_list` (`TodoWrite`) call: the whole list."""

    type: ClassVar[str] = "todo_update"
    tool_use_id: str
    items: list[dict[str, str]]
    """`[{"content", "status", "active_form"}]`; status is `pending`, `in_progress` or `completed`."""


@dataclass(kw_only=True)
class SubagentStart(Event):
    """A delegation began: the parent's `run_subagent` call `tool_use_id` runs `agent` as run `run_id`."""

    type: ClassVar[str] = "subagent_start"
    run_id: str
    tool_use_id: str
    agent: str
    parent_agent: str
    description: str
    prompt: str
    model: str
    permission_mode: str


@dataclass(kw_only=True)
class NestedEvent(Event):
    """An event of a sub-agent's own run, nested under the parent's call (see `SubagentStart`).

    The inner event is kept in its wire form, so the parent's conversation, the
    step timeline and older readers never mistake it for one of the parent's.
    """

    run_id: str
    agent: str
    event: dict[str, Any]

    def inner(self) -> Event:
        return event_from_dict(self.event)


@dataclass(kw_only=True)
class SubagentEvent(NestedEvent):
    """A logged event of a sub-agent's run (its messages, tool calls, decisions, edits)."""

    type: ClassVar[str] = "subagent_event"


@dataclass(kw_only=True)
class SubagentEnd(Event):
    """A delegation ended: why, how long, what it cost and what it changed."""

    type: ClassVar[str] = "subagent_end"
    run_id: str
    tool_use_id: str
    agent: str
    reason: str
    """`end_turn`, `max_turns`, `cancelled`, `error`, or the model's stop reason."""
    num_turns: int = 0
    duration_ms: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    files: list[str] = field(default_factory=list)
    """Files its edits and commands changed (workspace-relative)."""
    steps: list[int] = field(default_factory=list)
    """The checkpoints (step numbers) of its changes: `/undo` and `/rewind` reach them."""


# --- transient events (listeners only) ---------------------------------------


@dataclass(kw_only=True)
class TextDelta(Event):
    """A piece of assistant text of content block `index` (streamed, not logged)."""

    type: ClassVar[str] = "text_delta"
    persistent: ClassVar[bool] = False
    index: int
    text: str


@dataclass(kw_only=True)
class ThinkingDelta(Event):
    """A piece of the model's thinking in content block `index` (streamed, not logged)."""

    type: ClassVar[str] = "thinking_delta"
    persistent: ClassVar[bool] = False
    index: int
    text: str


@dataclass(kw_only=True)
class ToolInputDelta(Event):
    """A piece of a tool call's JSON input as the model writes it (streamed, not logged)."""

    type: ClassVar[str] = "tool_input_delta"
    persistent: ClassVar[bool] = False
    index: int
    tool_use_id: str
    name: str
    partial_json: str


@dataclass(kw_only=True)
class StreamReset(Event):
    """A retried turn restarts its stream: drop deltas of the failed attempt not yet confirmed."""

    type: ClassVar[str] = "stream_reset"
    persistent: ClassVar[bool] = False
    keep_chars: int = 0
    """Characters of text already shown; the retry's first `keep_chars` are not shown again."""


@dataclass(kw_only=True)
class CommandOutput(Event):
    """Output of a running command, as it arrives (streamed, not logged)."""

    type: ClassVar[str] = "command_output"
    persistent: ClassVar[bool] = False
    tool_use_id: str
    text: str


@dataclass(kw_only=True)
class Status(Event):
    """What the engine is doing now (`state`), and on what (`detail`)."""

    type: ClassVar[str] = "status"
    persistent: ClassVar[bool] = False
    state: EngineState
    detail: str = ""


@dataclass(kw_only=True)
class SubagentStream(NestedEvent):
    """A transient event (delta, status, command output) of a sub-agent's run."""

    type: ClassVar[str] = "subagent_stream"
    persistent: ClassVar[bool] = False


@dataclass(kw_only=True)
class McpStatus(Event):
    """An MCP server changed state: `starting`, `ready`, `failed`, `stopped`, `untrusted` (not logged)."""

    type: ClassVar[str] = "mcp_status"
    persistent: ClassVar[bool] = False
    server: str
    state: str
    detail: str = ""
    tools: int = 0


def flat_events(events: Iterable[Event]) -> Iterator[Event]:
    """The events with each sub-agent's logged events in place of their envelopes, in log order.

    Steps are what verify and undo look at: a sub-agent's edits and calls sit
    right before the checkpoints they made, as the parent's own do. An envelope
    whose inner event a newer version wrote is left out: nothing here re-does it.
    """
    for event in events:
        if not isinstance(event, NestedEvent):
            yield event
            continue
        try:
            yield event.inner()
        except ValueError:
            continue


def event_to_dict(event: Event) -> dict[str, Any]:
    """The JSON-ready form of an event, `type` first."""
    data = {"type": event.type}
    data.update(dataclasses.asdict(event))
    return data


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event; unknown keys (from a newer version) are dropped.

    Raises:
        ValueError: not an object, the type is unknown, or a required field is missing.
    """
    if not isinstance(data, dict):
        raise ValueError(f"an event is a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    cls = _EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad {kind} event: {exc}") from None


def event_types() -> dict[str, type[Event]]:
    """All event classes by type tag."""
    return dict(_EVENT_TYPES)
