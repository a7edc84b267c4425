"""The replay's timeline: one row marking the notable events, with the current position.

Each event of the session maps to a column (several share one when the
session has more events than the row has cells). Notable events get a glyph:
user approvals, denials, applied edits, commands, errors, compactions and
rewinds; turn starts get a bar. Clicking a column jumps there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.engine.session.events import (
    Compaction,
    ConversationRewind,
    EditApplied,
    Error,
    Event,
    PermissionDecision,
    Rewind,
    ToolCall,
    UserMessage,
)
from tui.engine.tools.base import ToolKind
from tui.engine.tools.names import TOOL_KINDS

MARK_GLYPHS: dict[str, str] = {
    "error": "!",
    "denial": "✗",
    "approval": "✓",
    "edit": "±",
    "command": "$",
    "compaction": "≡",
    "rewind": "↶",
    "turn": "┃",
}
"""Glyph per mark kind, most important first (it wins when marks share a column)."""
MARK_STYLES: dict[str, str] = {
    "error": "bold $text-error",
    "denial": "bold $text-error",
    "approval": "bold $text-success",
    "edit": "bold $text-warning",
    "command": "bold $text-accent",
    "compaction": "bold $text-primary",
    "rewind": "bold $text-warning",
    "turn": "$text-primary",
}
TRACK = "─"
CURSOR = "●"
LEGEND = "✓ approved ✗ denied ± edit $ command ! error ┃ turn"


@dataclass(frozen=True)
class Mark:
    """A notable event on the timeline."""

    index: int
    """The event's index in the session's event list."""
    kind: str
    """A key of `MARK_GLYPHS`."""


def mark_kind(event: Event) -> str | None:
    """The timeline mark of one event, or None when it is not marked."""
    if isinstance(event, PermissionDecision):
        if event.behavior == "deny":
            return "denial"
        return "approval" if event.decided_by == "user" else None
    if isinstance(event, EditApplied):
        return "edit"
    if isinstance(event, ToolCall):
        return "command" if TOOL_KINDS.get(event.tool) is ToolKind.EXECUTE else None
    if isinstance(event, Error):
        return "error"
    if isinstance(event, Compaction):
        return "compaction"
    if isinstance(event, (Rewind, ConversationRewind)):
        return "rewind"
    if isinstance(event, UserMessage):
        return "turn"
    return None


def timeline_marks(session_events: Sequence[Event]) -> list[Mark]:
    """The marks of a session's events, in order."""
    return [Mark(index, kind) for index, event in enumerate(session_events) if (kind := mark_kind(event))]


def event_column(index: int, count: int, width: int) -> int:
    """The column of event `index` of `count` on a row `width` cells wide (spread evenly)."""
    if count <= 1 or width <= 1:
        return 0
    return index * (width - 1) // (count - 1)


class Timeline(Widget):
    """One row: the session's events, the marks and the current position."""

    DEFAULT_CSS: ClassVar[str] = """
    Timeline {
        height: 1;
        width: 1fr;
    }
    """

    position: reactive[int] = reactive(0)
    """How many events are shown; the current event is `position - 1`."""

    class Jump(Message):
        """The user clicked the timeline: show the session up to `position` events."""

        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position

    def __init__(self, session_events: Sequence[Event], *, id: str | None = None) -> None:
        """Create the row.

        Args:
            session_events: The replayed events (their indices are the positions).
            id: The widget id.
        """
        super().__init__(id=id)
        self.count = len(session_events)
        self.marks = timeline_marks(session_events)

    def render(self) -> Content:
        width = self.size.width
        if width <= 0:
            return Content("")
        cells: list[tuple[str, str]] = [(TRACK, "$text-muted")] * width
        rank = {kind: order for order, kind in enumerate(MARK_GLYPHS)}
        ranks = [len(rank)] * width
        for mark in self.marks:
            column = event_column(mark.index, self.count, width)
            if rank[mark.kind] < ranks[column]:
                ranks[column] = rank[mark.kind]
                cells[column] = (MARK_GLYPHS[mark.kind], MARK_STYLES[mark.kind])
        if self.position > 0:
            column = event_column(self.position - 1, self.count, width)
            glyph, _ = cells[column]
            cells[column] = (CURSOR if glyph == TRACK else glyph, "bold reverse $text-accent")
        return Content.assemble(*cells)

    def on_click(self, event: events.Click) -> None:
        """Jump to the marked event in the clicked column, else to the nearest event."""
        if not self.count:
            return
        width = self.size.width
        in_column = [m.index for m in self.marks if event_column(m.index, self.count, width) == event.x]
        index = in_column[-1] if in_column else round(event.x * (self.count - 1) / max(width - 1, 1))
        self.post_message(self.Jump(min(max(index, 0), self.count - 1) + 1))
