"""Stream deltas merged per frame, in the engine's order."""

from __future__ import annotations

from tui.app.event_batch import EventBatch
from tui.engine.session.events import CommandOutput, Status, TextDelta, ThinkingDelta, ToolInputDelta


def test_adjacent_pieces_of_one_stream_are_merged() -> None:
    batch = EventBatch()
    for piece in ("Hel", "lo ", "world"):
        assert batch.add(TextDelta(index=0, text=piece))
    (merged,) = batch.take()
    assert merged == TextDelta(index=0, text="Hello world", ts=merged.ts)
    assert not batch and batch.take() == []


def test_different_streams_stay_apart_and_in_order() -> None:
    batch = EventBatch()
    events = [
        ThinkingDelta(index=0, text="hm"),
        ThinkingDelta(index=0, text="m"),
        TextDelta(index=1, text="a"),
        TextDelta(index=2, text="b"),
        TextDelta(index=1, text="c"),
        ToolInputDelta(index=3, tool_use_id="t1", name="read_file", partial_json='{"pa'),
        ToolInputDelta(index=3, tool_use_id="t1", name="read_file", partial_json='th": 1}'),
        CommandOutput(tool_use_id="t2", text="line 1\n"),
        CommandOutput(tool_use_id="t2", text="line 2\n"),
    ]
    for event in events:
        batch.add(event)
    taken = batch.take()
    assert [(type(e).__name__, getattr(e, "text", getattr(e, "partial_json", None))) for e in taken] == [
        ("ThinkingDelta", "hmm"),
        ("TextDelta", "a"),
        ("TextDelta", "b"),
        ("TextDelta", "c"),
        ("ToolInputDelta", '{"path": 1}'),
        ("CommandOutput", "line 1\nline 2\n"),
    ]


def test_other_events_are_not_queued() -> None:
    batch = EventBatch()
    assert not batch.add(Status(state="streaming"))
    assert not batch
