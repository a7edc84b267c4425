"""What a session's history shows in the chat, as plain data, without building a widget.

A resumed session can hold thousands of events; only the last few hundred chat
entries stay mounted (Textual does not virtualise widget lists). Folding the
history into entries first costs a pass over the events and lets the chat
build widgets only for what it shows, each in its final state (an assistant
message is rendered once, never streamed). The live feed shares `event_note`,
so a note reads the same live and resumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.engine.session.events import (
    AssistantMessage,
    EditApplied,
    Error,
    Event,
    ModeChange,
    PermissionDecision,
    Retry,
    Rewind,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)

PARTIAL_NOTE = "(interrupted: the reply above is partial)"


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


ChatEntry = NoteEntry | UserEntry | TextEntry | ThinkingEntry | ToolEntry


@dataclass
class ChatHistory:
    """A session's history as the chat shows it.

    Attributes:
        entries: Everything the chat shows, oldest first.
        last_edit: The last applied edit (the diff pane shows it), if any.
    """

    entries: list[ChatEntry] = field(default_factory=list)
    last_edit: EditApplied | None = None


def event_note(event: Event) -> NoteEntry | None:
    """The note an event shows in the chat, if it shows one by itself.

    Covers rewinds, mode changes, retries, errors and turns that ended for a
    reason other than the model finishing or the user cancelling.
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
        return NoteEntry(f"{what}: {files} file(s) restored.{kept}", "info")
    if isinstance(event, ModeChange):
        return NoteEntry(f"Mode: {event.old} → {event.new} (by {event.by})", "info")
    if isinstance(event, Retry):
        status = f" ({event.status})" if event.status else ""
        return NoteEntry(f"Retrying{status} in {event.wait_s:.1f} s, attempt {event.attempt}: {event.reason}", "warning")
    if isinstance(event, Error):
        return NoteEntry(f"Error ({event.kind}): {event.message}", "error")
    if isinstance(event, TurnEnd) and event.reason not in ("end_turn", "cancelled"):
        return NoteEntry(f"Turn ended: {event.reason}", "warning")
    return None


def fold_history(events: Iterable[Event]) -> ChatHistory:
    """Fold logged events into the chat entries they show (one pass, no widgets).

    Args:
        events: A session's persistent events in log order (deltas and statuses,
            which are never logged, are ignored if present).

    Returns:
        The entries and the last applied edit.
    """
    history = ChatHistory()
    entries = history.entries
    tools: dict[str, ToolEntry] = {}
    for event in events:
        if isinstance(event, UserMessage):
            entries.append(UserEntry(event.text, list(event.attachments or [])))
        elif isinstance(event, AssistantMessage):
            entries.extend(_assistant_entries(event))
        elif isinstance(event, ToolCall):
            tools[event.tool_use_id] = ToolEntry(event)
            entries.append(tools[event.tool_use_id])
        elif isinstance(event, PermissionDecision):
            if event.tool_use_id in tools:
                tools[event.tool_use_id].decision = event
        elif isinstance(event, ToolResult):
            # A call's story ends with its result; later events never refer to it.
            tool = tools.pop(event.tool_use_id, None)
            if tool is not None:
                tool.result = event
        elif isinstance(event, EditApplied):
            history.last_edit = event
        else:
            note = event_note(event)
            if note is not None:
                entries.append(note)
    return history


def _assistant_entries(event: AssistantMessage) -> list[ChatEntry]:
    shown: list[ChatEntry] = []
    for block in event.content:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            shown.append(TextEntry(str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            shown.append(ThinkingEntry(str(block["thinking"])))
    if event.partial:
        shown.append(NoteEntry(PARTIAL_NOTE, "warning"))
    return shown
