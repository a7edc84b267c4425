"""Stream deltas held back for one frame, adjacent pieces of the same stream merged.

A fast model stream emits thousands of small deltas a second; posting each as
its own Textual message costs more than the SDK spends receiving it. The app
queues them here and posts what the queue holds once per frame: consecutive
deltas of one stream (text of a content block, thinking, tool input, command
output) become one event with the joined text. Any other event flushes the
queue first, so the screen still sees every event in the engine's order.

Pure data, no Textual.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tui.engine.session.events import CommandOutput, Event, TextDelta, ThinkingDelta, ToolInputDelta

FRAME_S = 1 / 60
"""How long deltas are held back: one frame."""

_TEXT_FIELD: dict[type[Event], str] = {
    TextDelta: "text",
    ThinkingDelta: "text",
    ToolInputDelta: "partial_json",
    CommandOutput: "text",
}
"""The field a delta type carries its piece in; these are the event types that are batched."""


def _stream_of(event: Event) -> tuple[object, ...]:
    """What identifies the stream a delta belongs to (equal for pieces that may be joined)."""
    return (
        type(event),
        getattr(event, "index", None),
        getattr(event, "tool_use_id", None),
    )


def _merged(event: Event, pieces: list[str]) -> Event:
    """`event` carrying the joined text of its stream's pieces."""
    if len(pieces) == 1:
        return event
    joined: dict[str, Any] = {_TEXT_FIELD[type(event)]: "".join(pieces)}
    return dataclasses.replace(event, **joined)


class EventBatch:
    """Deltas waiting for the next frame."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._pieces: list[list[str]] = []
        """The pieces of each queued event's text, joined by `take`."""

    def __bool__(self) -> bool:
        return bool(self._events)

    def add(self, event: Event) -> bool:
        """Queue `event` if it is a delta; False (nothing queued) for any other event."""
        text_field = _TEXT_FIELD.get(type(event))
        if text_field is None:
            return False
        piece = getattr(event, text_field)
        if self._events and _stream_of(self._events[-1]) == _stream_of(event):
            self._pieces[-1].append(piece)
        else:
            self._events.append(event)
            self._pieces.append([piece])
        return True

    def take(self) -> list[Event]:
        """The queued deltas, each run of one stream merged into its first event; the queue is emptied."""
        merged = [_merged(event, pieces) for event, pieces in zip(self._events, self._pieces, strict=True)]
        self._events, self._pieces = [], []
        return merged
