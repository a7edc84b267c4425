"""Folding logged events into chat entries."""

from __future__ import annotations

from tui.app.chat_history import NoteEntry, TextEntry, ThinkingEntry, ToolEntry, UserEntry, fold_history
from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    EditApplied,
    ModeChange,
    PermissionDecision,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)


def edit(path: str) -> EditApplied:
    return EditApplied(tool_use_id="t1", path=path, before_blob=None, after_blob="b", hunks_total=1, hunks_applied=[0], diff=f"+{path}")


def test_fold_keeps_order_attaches_tool_outcomes_and_the_last_edit() -> None:
    call = ToolCall(tool_use_id="t1", name="Edit", tool="replace_string_in_file", input={"filePath": "a.py"}, target="a.py")
    decision = PermissionDecision(tool_use_id="t1", behavior="allow", decided_by="mode", reason="r", mode="acceptEdits")
    result = ToolResult(tool_use_id="t1", content="ok", duration_ms=5)
    events = [
        UserMessage(text="hi", attachments=[{"path": "a.py", "content": "x"}]),
        AssistantMessage(
            content=[{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "**sure**"}, {"type": "text", "text": ""}],
            model="m",
            stop_reason="tool_use",
        ),
        call,
        decision,
        result,
        edit("a.py"),
        Checkpoint(step=1, commit="c", label="edit"),
        edit("b.py"),
        ModeChange(old="default", new="plan"),
        AssistantMessage(content=[{"type": "text", "text": "cut"}], model="m", stop_reason=None, partial=True),
        TurnEnd(reason="max_turns"),
        TurnEnd(reason="end_turn"),
    ]
    history = fold_history(events)
    assert history.entries == [
        UserEntry("hi", [{"path": "a.py", "content": "x"}]),
        ThinkingEntry("hmm"),
        TextEntry("**sure**"),
        ToolEntry(call, decision, result),
        NoteEntry("Mode: default → plan (by user)", "info"),
        TextEntry("cut"),
        NoteEntry("(interrupted: the reply above is partial)", "warning"),
        NoteEntry("Turn ended: max_turns", "warning"),
    ]
    assert history.last_edit is not None and history.last_edit.path == "b.py"


def test_fold_of_nothing_is_empty() -> None:
    history = fold_history([])
    assert history.entries == [] and history.last_edit is None
