"""What each event of a session shows: entries, and the wording of decisions, edits and notes.

One fold for every view. `Transcript.add` turns one event into the entries it
adds (a tool call's later decision and result fill in the entry its call
added); the live chat feeds it event by event, a resumed chat, export and print
mode fold a whole log at once. The views only draw: the chat and the replay
mount widgets, export writes Markdown or HTML, print mode writes lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.engine.session.conversation import not_restored_note
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
    HookRan,
    ModeChange,
    NestedEvent,
    PermissionDecision,
    Retry,
    Rewind,
    Status,
    SubagentEnd,
    SubagentStart,
    TodoUpdate,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)
from tui.engine.session.review import comment_note
from tui.presentation.standing import StandingEdits

PARTIAL_NOTE = "Interrupted: the reply above is partial."
INTERRUPTED_NOTE = "Interrupted."
"""One note per interrupt, at the turn's end: `PARTIAL_NOTE` when a reply was cut off, else this."""
NOT_DECIDED = "Not run: the call was invalid."
"""A call that never reached a permission decision (unknown tool, bad input)."""
USER_CHOICES = {"once": "", "session": " for this session", "save": " and saved", "hunks": " (some hunks)"}
"""How the user approved, after `approved by you`; other choices are shown in parentheses."""
SELF_EXPLAINED = ("hard_limit", "headless")
"""Deciders named by their reason rather than by who (`denied: hard limit: outside the workspace`)."""


@dataclass
class NoteEntry:
    """A one-line note (`kind` is `info`, `notice`, `warning` or `error`)."""

    text: str
    kind: str = "info"


@dataclass
class UserEntry:
    """A user message and the files its `@path` mentions attached."""

    text: str
    attachments: list[dict[str, str]] = field(default_factory=list)


@dataclass
class TextEntry:
    """One text block of an assistant message (Markdown)."""

    text: str


@dataclass
class ThinkingEntry:
    """One thinking block of an assistant message."""

    text: str


@dataclass
class ToolEntry:
    """A tool call with what became of it: its permission decision and its result."""

    call: ToolCall
    decision: PermissionDecision | None = None
    result: ToolResult | None = None
    delegation: DelegationEntry | None = None
    """For `run_subagent`: the sub-agent's run, nested under the call."""


@dataclass
class TodoEntry:
    """The task list after an update (the app shows it over the prompt; transcripts list it)."""

    items: list[dict[str, str]]


@dataclass
class DelegationEntry:
    """A sub-agent's run: what it showed (its own entries), what it is doing, how it ended."""

    start: SubagentStart
    entries: list[Entry] = field(default_factory=list)
    end: SubagentEnd | None = None
    tokens: int = 0
    state: str = "starting"
    """What it is doing while it runs: `thinking`, `waiting for approval`, `running`, ..."""
    changed: bool = True
    """Whether the last event changed what the run shows (a live view redraws only then, not per delta)."""
    transcript: Transcript = field(default_factory=lambda: Transcript(), repr=False)

    def add(self, event: Event) -> None:
        """Fold one of the sub-agent's own events."""
        if isinstance(event, Status):
            state = RUN_STATES.get(event.state, self.state)
            self.changed, self.state = state != self.state, state
            return
        if isinstance(event, AssistantMessage):
            self.tokens += sum(int(event.usage.get(key, 0) or 0) for key in USAGE_KEYS)
        self.entries.extend(self.transcript.add(event))
        self.changed = event.persistent


@dataclass
class EditEntry:
    """An edit that reached the disk (the chat shows it in the diff pane, not as a message)."""

    edit: EditApplied


@dataclass
class CheckpointEntry:
    """A step recorded as a checkpoint (transcripts list it; the chat does not)."""

    checkpoint: Checkpoint


ChatEntry = NoteEntry | UserEntry | TextEntry | ThinkingEntry | ToolEntry
"""The entries the chat shows as messages."""
Entry = ChatEntry | EditEntry | CheckpointEntry | TodoEntry


# --- wording ------------------------------------------------------------------


def _decision_phrase(event: PermissionDecision) -> str:
    """Who allowed or denied, without the why: `approved by rule Bash(ls:*)`, `denied by you`."""
    verb = "approved" if event.behavior == "allow" else "denied"
    by = event.decided_by
    if by == "user":
        choice = event.choice or ""
        return f"{verb} by you" + USER_CHOICES.get(choice, f" ({choice})" if choice and choice != "deny" else "")
    if by == "rule":
        return f"{verb} by rule {event.rule}" if event.rule else f"{verb} by a rule"
    if by == "mode":
        return f"{verb} by mode {event.mode}"
    if by == "session":
        return f"{verb} by session rule {event.rule}" if event.rule else f"{verb} for this session"
    if by in SELF_EXPLAINED:
        return verb
    return f"{verb} ({by})"


def decision_text(event: PermissionDecision) -> str:
    """A decision in a few words, for a tool call's line (e.g. `approved by rule Bash(ls:*)`).

    A hard limit and print mode say why; the user's denial carries their message.
    """
    text = _decision_phrase(event)
    if event.decided_by in SELF_EXPLAINED:
        text += f": {event.reason}"
    if event.behavior != "allow" and event.message and event.decided_by == "user":
        text += f": {event.message}"
    return text


def decision_detail(event: PermissionDecision | None) -> str:
    """A decision as a sentence with its reason and the message to the agent, for transcripts.

    Args:
        event: The call's decision, None when the call never reached one.
    """
    if event is None:
        return NOT_DECIDED
    phrase = _decision_phrase(event)
    text = phrase[:1].upper() + phrase[1:]
    if event.decided_by == "user":
        # The user's own words are the reason for their answer; the engine's reason is why it asked.
        if event.behavior != "allow" and event.message:
            text += f": “{event.message}”"
        text += "."
        if event.reason:
            text += f" It asked because {event.reason.rstrip('.')}."
        return text
    if event.reason:
        text += f": {event.reason}"
    if event.message and event.message != event.reason:
        text += f". Message to the agent: {event.message}"
    return text


def result_status(result: ToolResult) -> str:
    """How a call ended, in a word or two: `done`, `failed`, or a command's `exit 1` (`killed by signal 9`)."""
    if result.is_error:
        return "failed"
    code = result.exit_code
    if code is None or code == 0:
        return "done"
    return f"exit {code}" if code > 0 else f"killed by signal {-code}"


def result_failed(result: ToolResult) -> bool:
    """An error, or a command that exited non-zero: drawn in the error colour."""
    return result_status(result) != "done"


def call_title(call: ToolCall) -> str:
    """A tool call as a heading: the canonical tool and its target (`run_in_terminal pytest -q`)."""
    return f"{call.tool} {call.target}".strip()


def edit_title(event: EditApplied) -> str:
    """An applied edit's heading: `Applied: app.py`."""
    return f"Applied: {event.path}"


def edit_outcome(event: EditApplied) -> str:
    """What of the proposal landed: `1 of 2 hunks applied`, `edited by the user before applying`, or nothing."""
    if event.edited_by_user:
        return "edited by the user before applying"
    if event.hunks_total:
        noun = "hunk" if event.hunks_total == 1 else "hunks"
        return f"{len(event.hunks_applied)} of {event.hunks_total} {noun} applied"
    return ""


def applied_title(event: EditApplied) -> str:
    """An applied edit in one line, for the diff pane's title: `Applied: app.py · 1 of 1 hunk applied`."""
    return " · ".join(part for part in (edit_title(event), edit_outcome(event)) if part)


def checkpoint_text(event: Checkpoint) -> str:
    """A checkpoint as a transcript note: `Checkpoint 2: replace_string_in_file: app.py (commit 1a2b3c4d5e)`.

    Plain text, no Markdown: HTML shows notes as written.
    """
    return f"Checkpoint {event.step}: {event.label} (commit {event.commit[:10]})"


COMPACTION_TRIGGERS = {
    "manual": "/compact",
    "auto": "the context window was filling up",
    "overflow": "the API refused the request as too long",
}


def compaction_note(event: Compaction) -> str:
    """What a compaction shows: why, how much it saved, and the summary that replaced the messages."""
    why = COMPACTION_TRIGGERS.get(event.trigger, event.trigger)
    focus = f", focus: {event.focus}" if event.focus else ""
    return (
        f"Compacted the conversation ({why}{focus}): {event.replaced} messages replaced by a summary, "
        f"about {event.tokens_before:,} → {event.tokens_after:,} tokens.\n\n{event.summary}"
    )


def outside_text(event: Checkpoint) -> str:
    """Files changed outside stepwise, noticed before a turn: `Changed outside stepwise: a.py (step 3) ...`."""
    return (
        f"Changed outside stepwise since the last step: {', '.join(event.outside)} "
        f"(recorded as step {event.step}; the model is told)."
    )


RUN_STATES = {"streaming": "thinking", "waiting": "waiting for approval", "running": "running", "retrying": "retrying"}
"""A running sub-agent's `Status`, as its line shows it."""
RUN_ENDS = {"end_turn": "done", "cancelled": "cancelled", "max_turns": "stopped at maxTurns", "error": "failed"}
"""How a sub-agent's run ended, as its line shows it (other stop reasons are shown as they are)."""


def delegation_line(entry: DelegationEntry) -> str:
    """A delegation in one line: `backend-dev · Add the endpoint · done · 12.3 s · 4,210 tokens`."""
    start, end = entry.start, entry.end
    parts = [start.agent, start.description]
    if end is None:
        parts.append(entry.state)
    else:
        parts += [RUN_ENDS.get(end.reason, end.reason), f"{end.duration_ms / 1000:.1f} s"]
    if entry.tokens:
        parts.append(f"{entry.tokens:,} tokens")
    return " · ".join(part for part in parts if part)


def todo_lines(items: list[dict[str, str]]) -> list[str]:
    """A task list, one `[x] item` line each."""
    from tui.engine.tools.todo import todo_line

    return [todo_line(item) for item in items]


def entry_lines(entry: Entry) -> list[str]:
    """An entry as plain lines: a sub-agent's stream when its delegation is expanded, and in transcripts."""
    if isinstance(entry, UserEntry):
        return [f"Prompt: {entry.text}"]
    if isinstance(entry, TextEntry):
        return entry.text.splitlines()
    if isinstance(entry, ToolEntry):
        outcome = "" if entry.result is None else "failed" if entry.result.is_error else "done"
        decision = decision_text(entry.decision) if entry.decision is not None else ""
        return [" · ".join(part for part in (f"→ {call_title(entry.call)}", decision, outcome) if part)]
    if isinstance(entry, NoteEntry):
        return [entry.text]
    if isinstance(entry, EditEntry):
        return [applied_title(entry.edit)]
    if isinstance(entry, TodoEntry):
        return ["Task list:", *(f"  {line}" for line in todo_lines(entry.items))]
    return []


def delegation_lines(entry: DelegationEntry) -> list[str]:
    """A sub-agent's own stream, folded into plain lines (its messages, tool calls and decisions)."""
    return [line for shown in entry.entries for line in entry_lines(shown)]


def event_note(event: Event) -> NoteEntry | None:
    """The note an event shows by itself, if it shows one.

    Covers rewinds, compactions, mode changes, retries, errors, turns that ended
    for a reason other than the model finishing or the user cancelling, hook runs
    and attached instructions.
    """
    if isinstance(event, Rewind):
        what = "Undid the last step" if event.undo else f"Rewound to step {event.to_step}"
        files = len(event.written) + len(event.deleted)
        kept = (
            f" Your own changes since the last step were kept in checkpoint {event.saved[:12]}"
            f" (git checkout {event.saved[:12]} -- PATH brings a file back)."
            if event.saved
            else ""
        )
        also = " The conversation went back to that step too." if event.conversation else ""
        outside = f" {not_restored_note(event.not_restored)}" if event.not_restored else ""
        return NoteEntry(f"{what}: {files} file(s) restored.{also}{kept}{outside}", "info")
    if isinstance(event, ConversationRewind):
        return NoteEntry(f"Rewound the conversation to step {event.to_step}; the files stay as they are.", "info")
    if isinstance(event, Compaction):
        return NoteEntry(compaction_note(event), "info")
    if isinstance(event, ModeChange):
        return NoteEntry(f"Mode: {event.old} → {event.new} (by {event.by})", "info")
    if isinstance(event, Retry):
        status = f" ({event.status})" if event.status else ""
        return NoteEntry(
            f"Retrying{status} in {event.wait_s:.1f} s, attempt {event.attempt}: {event.reason}", "warning"
        )
    if isinstance(event, Error):
        return NoteEntry(f"Error ({event.kind}): {event.message}", "error")
    if isinstance(event, TurnEnd) and event.reason not in ("end_turn", "cancelled"):
        return NoteEntry(f"Turn ended: {event.reason}", "warning")
    if isinstance(event, HookRan):
        quiet = event.exit_code == 0 and event.summary == "ok"
        where = f" {event.matcher}" if event.matcher else ""
        return NoteEntry(f"Hook {event.event}{where} ({event.source}): {event.summary}", "info" if quiet else "warning")
    if isinstance(event, ContextAttached):
        return NoteEntry(f"Instructions attached for the file just read: {', '.join(event.paths)}", "info")
    return None


# --- folding ------------------------------------------------------------------


def _assistant_entries(event: AssistantMessage) -> list[Entry]:
    """What a model response shows: its text and thinking blocks (a partial one's note comes at the turn's end)."""
    shown: list[Entry] = []
    for block in event.content:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            shown.append(TextEntry(str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            shown.append(ThinkingEntry(str(block["thinking"])))
    return shown


class Transcript:
    """Folds a session's events, one at a time, into the entries they show."""

    def __init__(self) -> None:
        """An empty transcript: feed it events with `add`."""
        self._open: dict[str, ToolEntry] = {}
        """Calls still waiting for their result; a call's story ends with it."""
        self._cut_off = False
        """The turn's last reply was partial (interrupted while it streamed)."""
        self._runs: dict[str, DelegationEntry] = {}
        """Each sub-agent's run by its id."""

    def delegation(self, run_id: str) -> DelegationEntry | None:
        """The run of a sub-agent, once its start was seen."""
        return self._runs.get(run_id)

    def add(self, event: Event) -> list[Entry]:
        """The entries `event` adds at the end (none for a decision or result: they fill in their call's entry).

        Events that show nothing (statuses, deltas, usage, a decision or
        result for a call never shown) add nothing.
        """
        if isinstance(event, UserMessage):
            return [UserEntry(event.text, list(event.attachments or []))]
        if isinstance(event, AssistantMessage):
            self._cut_off = event.partial
            return _assistant_entries(event)
        if isinstance(event, TurnEnd) and event.reason == "cancelled":
            cut_off, self._cut_off = self._cut_off, False
            return [NoteEntry(PARTIAL_NOTE if cut_off else INTERRUPTED_NOTE, "warning")]
        if isinstance(event, ToolCall):
            entry = ToolEntry(event)
            self._open[event.tool_use_id] = entry
            return [entry]
        if isinstance(event, PermissionDecision):
            if (open_call := self._open.get(event.tool_use_id)) is not None:
                open_call.decision = event
            # The user's review comments on the edit's lines, each under the call.
            return [NoteEntry(comment_note(comment), "info") for comment in event.comments]
        if isinstance(event, ToolResult):
            if (open_call := self._open.pop(event.tool_use_id, None)) is not None:
                open_call.result = event
            return []
        if isinstance(event, SubagentStart):
            if (open_call := self._open.get(event.tool_use_id)) is not None:
                open_call.delegation = self._runs[event.run_id] = DelegationEntry(event)
            return []
        if isinstance(event, NestedEvent):
            # A sub-agent's events fill in its run, under the parent's call.
            if (run := self._runs.get(event.run_id)) is not None:
                run.add(event.inner())
            return []
        if isinstance(event, SubagentEnd):
            if (run := self._runs.get(event.run_id)) is not None:
                run.end, run.changed = event, True
            return []
        if isinstance(event, TodoUpdate):
            return [TodoEntry(list(event.items))]
        if isinstance(event, EditApplied):
            return [EditEntry(event)]
        if isinstance(event, Checkpoint):
            if event.outside:
                return [CheckpointEntry(event), NoteEntry(outside_text(event), "info")]
            return [CheckpointEntry(event)]
        note = event_note(event)
        return [note] if note is not None else []


def fold(events: Iterable[Event]) -> list[Entry]:
    """Every entry a session's events show, oldest first (tool calls complete with their outcome)."""
    transcript = Transcript()
    return [entry for event in events for entry in transcript.add(event)]


@dataclass
class ChatHistory:
    """A session's history as the chat shows it.

    Attributes:
        entries: The messages, oldest first.
        standing: The steps that still stand after these events; its `last` is the edit the
            diff pane shows (not one a later undo or rewind took back), and live events go on from it.
    """

    entries: list[ChatEntry] = field(default_factory=list)
    standing: StandingEdits = field(default_factory=StandingEdits)
    todos: list[dict[str, str]] = field(default_factory=list)
    """The last task list (the app shows it over the prompt)."""


def fold_history(events: Iterable[Event]) -> ChatHistory:
    """Fold logged events into what the chat shows (one pass, no widgets).

    Args:
        events: A session's persistent events in log order (deltas and statuses,
            which are never logged, are ignored if present).
    """
    history = ChatHistory()
    transcript = Transcript()
    for event in events:
        history.standing.apply(event)
        for entry in transcript.add(event):
            if isinstance(entry, TodoEntry):
                history.todos = entry.items
            elif not isinstance(entry, EditEntry | CheckpointEntry):
                history.entries.append(entry)
    return history
