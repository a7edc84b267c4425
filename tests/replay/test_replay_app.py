"""The replay app: the recorded panes, stepping, turns, playing, the timeline, the status line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.app.pilot_helpers import until
from tui.app.widgets.chat import ChatNote
from tui.app.widgets.tool_call import ToolCallView
from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    EditApplied,
    Error,
    Event,
    PermissionDecision,
    SessionHeader,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)
from tui.engine.session.log import SessionRecord, SessionWriter, read_session
from tui.presentation.transcript import applied_title, decision_text
from tui.replay.app import MAX_GAP_S, SPEEDS, ReplayApp, playback_delay, turn_starts
from tui.replay.timeline import MARK_GLYPHS, event_column, timeline_marks

SIZE = (120, 40)
GREET_DIFF = (
    "--- a/greet.py\n+++ b/greet.py\n"
    "@@ -1,2 +1,2 @@\n-def greet(name):\n+def greet(name, punctuation='!'):\n     return name\n"
    "@@ -10,2 +10,2 @@\n-x = 1\n+x = 2\n y = 3\n"
)
README_DIFF = "--- /dev/null\n+++ b/README.md\n@@ -0,0 +1,2 @@\n+# greet\n+Says hello.\n"


def two_turn_events() -> list[Event]:
    """A session with user approvals, a partial edit, a denied command, an error and a user-edited file."""

    def at(offset: float) -> float:
        return 1000.0 + offset

    def say(text: str, offset: float) -> AssistantMessage:
        return AssistantMessage(
            content=[{"type": "text", "text": text}],
            model="claude-sonnet-4-5",
            stop_reason="end_turn",
            cost_usd=0.01,
            ts=at(offset),
        )

    return [
        UserMessage(text="Make greet configurable", ts=at(0)),
        say("I'll edit greet.py.", 1),
        ToolCall(
            tool_use_id="t1",
            name="Edit",
            tool="replace_string_in_file",
            input={"filePath": "greet.py"},
            target="greet.py",
            ts=at(1.1),
        ),
        PermissionDecision(
            tool_use_id="t1", behavior="allow", decided_by="user", reason="asked", choice="hunks", ts=at(5)
        ),
        ToolResult(tool_use_id="t1", content="Edited greet.py.", duration_ms=20, ts=at(5.1)),
        EditApplied(
            tool_use_id="t1",
            path="greet.py",
            before_blob="a" * 40,
            after_blob="b" * 40,
            hunks_total=3,
            hunks_applied=[0, 2],
            diff=GREET_DIFF,
            ts=at(5.2),
        ),
        Checkpoint(step=1, commit="c" * 40, label="replace_string_in_file: greet.py", tool_use_id="t1", ts=at(5.3)),
        ToolCall(
            tool_use_id="t2",
            name="Bash",
            tool="run_in_terminal",
            input={"command": "rm -rf build"},
            target="rm -rf build",
            ts=at(6),
        ),
        PermissionDecision(
            tool_use_id="t2",
            behavior="deny",
            decided_by="user",
            reason="asked",
            choice="deny",
            message="not now",
            ts=at(7),
        ),
        ToolResult(tool_use_id="t2", content="The user denied this.", is_error=True, ts=at(7.1)),
        Error(message="overloaded", kind="api", ts=at(8)),
        TurnEnd(reason="end_turn", num_turns=2, ts=at(9)),
        UserMessage(text="Now the README", ts=at(20)),
        say("Updating it.", 21),
        ToolCall(
            tool_use_id="t3",
            name="create_file",
            tool="create_file",
            input={"filePath": "README.md"},
            target="README.md",
            ts=at(21.1),
        ),
        PermissionDecision(
            tool_use_id="t3", behavior="allow", decided_by="user", reason="asked", choice="edited", ts=at(22)
        ),
        ToolResult(tool_use_id="t3", content="Created README.md.", duration_ms=5, ts=at(22.1)),
        EditApplied(
            tool_use_id="t3",
            path="README.md",
            before_blob=None,
            after_blob="d" * 40,
            hunks_total=1,
            hunks_applied=[0],
            edited_by_user=True,
            diff=README_DIFF,
            ts=at(22.2),
        ),
        say("Done.", 23),
        TurnEnd(reason="end_turn", num_turns=1, ts=at(23.1)),
    ]


@pytest.fixture
def two_turns(tmp_path: Path) -> SessionRecord:
    """The two-turn session written to a log and read back."""
    path = tmp_path / "20250101-120000-abc123.jsonl"
    writer = SessionWriter(path)
    writer.write(
        SessionHeader(
            session_id="20250101-120000-abc123",
            agent="general",
            model="claude-sonnet-4-5",
            permission_mode="default",
            workspace="/tmp/demo",
            ts=999.0,
        )
    )
    for event in two_turn_events():
        writer.write(event)
    writer.close()
    return read_session(path)


def chat_texts(app: ReplayApp) -> list[str]:
    return [block.received for block in app.chat.text_blocks]


def user_texts(app: ReplayApp) -> list[str]:
    return [str(widget.render()) for widget in app.chat.query(".user-message")]


def tool_lines(app: ReplayApp) -> dict[str, ToolCallView]:
    return {line.tool_use_id: line for line in app.chat.query(ToolCallView)}


async def settled(pilot: Pilot[None], app: ReplayApp, texts: list[str]) -> None:
    """Wait until the assistant text blocks show exactly `texts` (their Markdown is set by workers)."""
    await until(pilot, lambda: chat_texts(app) == texts, f"the chat to show {texts}")


def status(app: ReplayApp) -> str:
    return app.status_text().plain


# --- the recorded print-mode session ---------------------------------------------------------


async def test_replay_shows_the_recorded_messages_decisions_and_diffs(recorded_session: Path) -> None:
    record = read_session(recorded_session)
    events = record.events
    said = [b["text"] for e in events if isinstance(e, AssistantMessage) for b in e.content if b["type"] == "text"]
    decisions = {e.tool_use_id: decision_text(e) for e in events if isinstance(e, PermissionDecision)}
    app = ReplayApp(record)
    async with app.run_test(size=SIZE) as pilot:
        assert app.position == 0 and not app.chat.query(ToolCallView)
        edits_seen = []
        for index, event in enumerate(events):
            await pilot.press("right")
            assert app.position == index + 1
            if isinstance(event, EditApplied):
                (shown,) = app.diff_view.files
                assert shown.path == event.path
                added = [line.text for hunk in shown.hunks for line in hunk.lines if line.sign == "+"]
                assert added == [
                    line[1:] for line in event.diff.splitlines() if line.startswith("+") and not line.startswith("+++")
                ]
                title = str(app.diff_title.render())
                assert title == applied_title(event) == f"Applied: {event.path} · 1 of 1 hunk applied"
                edits_seen.append(event.path)
        assert edits_seen == ["app.py", "big.py", "notes/todo.md"]
        await settled(pilot, app, said)
        assert said == ["Reading.", "Two edits.", "All done."]
        assert user_texts(app) == ["go"]
        lines = tool_lines(app)
        assert [(line.tool, line.target) for line in lines.values()] == [
            ("read_file", "app.py"),
            ("replace_string_in_file", "app.py"),
            ("replace_string_in_file", "big.py"),
            ("run_in_terminal", "echo made > made.txt && rm README.md"),
            ("create_file", "notes/todo.md"),
        ]
        assert {i: line.decision for i, line in lines.items()} == decisions
        assert {line.status for line in lines.values()} == {"done"}
        ordered = list(lines.values())
        assert ordered[1].decision == "approved by mode acceptEdits"
        assert ordered[3].decision.startswith("approved by rule run_in_terminal(echo:*)")
        text = status(app)
        assert text.startswith(" REPLAY ")
        for part in (
            record.header.session_id,
            "general",
            record.header.model,
            f"event {len(events)}/{len(events)}",
            "turn 1/1",
            "paused 1x",
        ):
            assert part in text
        assert "notes/todo.md" in str(app.diff_title.render())


# --- the two-turn session ---------------------------------------------------------------------


async def test_decisions_show_in_the_tool_line_as_they_arrive(two_turns: SessionRecord) -> None:
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        app.go_to(3)
        await pilot.pause()
        assert tool_lines(app)["t1"].status == "requested"
        await pilot.press("right")
        line = tool_lines(app)["t1"]
        assert line.status == line.decision == "approved by you (some hunks)"
        await pilot.press("right", "right")
        assert line.status == "done"
        assert str(app.diff_title.render()) == "Applied: greet.py · 2 of 3 hunks applied"
        assert app.diff_view.hunk_count == 2
        app.go_to(10)
        await pilot.pause()
        denied = tool_lines(app)["t2"]
        assert denied.status == "denied by you: not now" and denied.has_class("-denied")
        await pilot.press("end")
        assert str(app.diff_title.render()) == "Applied: README.md · edited by the user before applying"
        assert app.diff_view.files[0].path == "README.md"
        assert [note.text for note in app.chat.query(ChatNote)] == ["Error (api): overloaded"]
        await settled(pilot, app, ["I'll edit greet.py.", "Updating it.", "Done."])
        assert tool_lines(app)["t3"].decision == "approved by you (edited)"


async def test_turn_keys_jump_to_each_user_message(two_turns: SessionRecord) -> None:
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        assert "turn 0/2" in status(app) and "event 0/20" in status(app)
        await pilot.press("right_square_bracket")
        assert app.position == 1 and "turn 1/2" in status(app)
        await pilot.press("right_square_bracket")
        assert app.position == 13 and "turn 2/2" in status(app) and "event 13/20" in status(app)
        assert user_texts(app) == ["Make greet configurable", "Now the README"]
        await pilot.press("right_square_bracket")
        assert app.position == 20
        await pilot.press("left_square_bracket")
        assert app.position == 13
        await pilot.press("left_square_bracket")
        assert app.position == 1
        await pilot.press("left_square_bracket")
        assert app.position == 0 and "turn 0/2" in status(app)


async def test_stepping_back_removes_later_messages(two_turns: SessionRecord) -> None:
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        await settled(pilot, app, ["I'll edit greet.py.", "Updating it.", "Done."])
        await pilot.press("left", "left")
        assert app.position == 18
        await settled(pilot, app, ["I'll edit greet.py.", "Updating it."])
        assert set(tool_lines(app)) == {"t1", "t2", "t3"}
        await pilot.press("left_square_bracket")
        assert app.position == 13
        await settled(pilot, app, ["I'll edit greet.py."])
        assert set(tool_lines(app)) == {"t1", "t2"}
        await pilot.press("left_square_bracket")
        assert app.position == 1
        await settled(pilot, app, [])
        assert user_texts(app) == ["Make greet configurable"]
        assert not app.chat.query(ToolCallView) and not app.chat.query(ChatNote)
        assert str(app.diff_title.render()) == "No changes yet"
        await pilot.press("left", "left")
        assert app.position == 0 and user_texts(app) == []
        # Quick back-and-forth rebuilds leave exactly one copy of everything.
        await pilot.press("end", "left", "end", "left", "right")
        await settled(pilot, app, ["I'll edit greet.py.", "Updating it.", "Done."])
        assert len(app.chat.query(ToolCallView)) == 3 and len(user_texts(app)) == 2


async def test_play_at_recorded_speed_waits_for_the_timer_and_pauses(two_turns: SessionRecord) -> None:
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        # The first event needs no wait; the next is a second later, so a timer is pending.
        await until(pilot, lambda: app.position == 1, "the first event")
        assert app.playing and app._timer is not None and "▶ playing 1x" in status(app)
        app.play_tick()
        assert app.position == 2 and app._timer is not None
        await pilot.press("space")
        assert not app.playing and app._timer is None and app.position == 2
        assert "⏸ paused" in status(app)


async def test_play_at_instant_speed_reaches_the_end_and_restarts(two_turns: SessionRecord) -> None:
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "plus")
        assert "8x" in status(app)
        await pilot.press("plus", "plus")
        assert math.isinf(app.speed) and "paused instant" in status(app)
        await pilot.press("space")
        assert app.position == 20 and not app.playing
        await settled(pilot, app, ["I'll edit greet.py.", "Updating it.", "Done."])
        await pilot.press("minus")
        assert app.speed == SPEEDS[-2]
        # At the end, play starts over from the beginning.
        await pilot.press("minus", "minus", "minus", "minus", "space")
        assert app.speed == 1.0
        await until(pilot, lambda: app.position == 1, "the replay to start over")
        assert user_texts(app) == ["Make greet configurable"]
        await pilot.press("q")
    assert app.return_code == 0


async def test_timeline_marks_and_clicking_a_mark(two_turns: SessionRecord) -> None:
    events = two_turns.events
    marks = timeline_marks(events)
    assert [(m.index, m.kind) for m in marks] == [
        (0, "turn"),
        (3, "approval"),
        (5, "edit"),
        (7, "command"),
        (8, "denial"),
        (10, "error"),
        (12, "turn"),
        (15, "approval"),
        (17, "edit"),
    ]
    app = ReplayApp(two_turns)
    async with app.run_test(size=SIZE) as pilot:
        row = app.timeline.render().plain
        assert len(row) == SIZE[0]
        counts = {kind: row.count(glyph) for kind, glyph in MARK_GLYPHS.items()}
        assert counts == {
            "error": 1,
            "denial": 1,
            "approval": 2,
            "edit": 2,
            "command": 1,
            "compaction": 0,
            "rewind": 0,
            "turn": 2,
        }
        denial = event_column(8, len(events), SIZE[0])
        await pilot.click("#timeline", offset=(denial, 0))
        assert app.position == 9 and app.timeline.position == 9
        assert tool_lines(app)["t2"].status == "denied by you: not now"
        cursor = app.timeline.render()
        assert cursor.plain[denial] == "✗"


async def test_an_empty_session_replays_without_events(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    writer = SessionWriter(path)
    writer.write(
        SessionHeader(session_id="empty", agent="general", model="m", permission_mode="default", workspace="/tmp/demo")
    )
    writer.close()
    app = ReplayApp(read_session(path), theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "space", "right_square_bracket", "left")
        assert app.position == 0 and not app.playing
        assert "event 0/0" in status(app) and "turn 0/0" in status(app)
        assert app.theme == "stepwise-dark"


def test_playback_delay_follows_the_recorded_gaps_capped() -> None:
    first, second, late = (
        UserMessage(text="a", ts=10.0),
        UserMessage(text="b", ts=10.5),
        UserMessage(text="c", ts=100.0),
    )
    assert playback_delay(None, first, 1.0) == 0.0
    assert playback_delay(first, second, 1.0) == pytest.approx(0.5)
    assert playback_delay(first, second, 2.0) == pytest.approx(0.25)
    assert playback_delay(second, late, 1.0) == MAX_GAP_S
    assert playback_delay(late, second, 1.0) == 0.0  # a clock step back never waits
    assert playback_delay(first, late, math.inf) == 0.0
    assert turn_starts(two_turn_events()) == [0, 12]


def test_snapshot_of_the_replay_screen(snap_compare, two_turns: SessionRecord) -> None:  # type: ignore[no-untyped-def]
    app = ReplayApp(two_turns, theme="stepwise-dark")

    async def end_of_first_turn(pilot: Pilot[None]) -> None:
        app.go_to(12)
        await settled(pilot, app, ["I'll edit greet.py."])
        await until(pilot, lambda: app.diff_view.is_highlighted, "the highlighting")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=end_of_first_turn)


async def test_replay_at_the_last_event_does_not_show_an_undone_edit(two_turns: SessionRecord) -> None:
    from tui.engine.session.events import Checkpoint, Rewind

    last_step = max(e.step for e in two_turns.events if isinstance(e, Checkpoint))
    undone = Rewind(to_step=0, step=last_step + 1, commit="r", undo=False)  # back to the session base
    record = SessionRecord(path=two_turns.path, header=two_turns.header, events=[*two_turns.events, undone])
    app = ReplayApp(record)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        await pilot.pause()
        assert str(app.diff_title.render()) == "No changes yet"
        await pilot.press("left")
        await pilot.pause()
        assert str(app.diff_title.render()).startswith("Applied: ")
