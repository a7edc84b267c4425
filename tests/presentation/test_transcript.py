"""What events show: the one fold (chat, replay, export, print mode) and its wording."""

from __future__ import annotations

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
from tui.presentation.transcript import (
    CheckpointEntry,
    EditEntry,
    NoteEntry,
    TextEntry,
    ThinkingEntry,
    ToolEntry,
    Transcript,
    UserEntry,
    applied_title,
    call_title,
    checkpoint_text,
    decision_detail,
    decision_text,
    edit_outcome,
    edit_title,
    fold,
    fold_history,
)


def edit(path: str) -> EditApplied:
    return EditApplied(
        tool_use_id="t1", path=path, before_blob=None, after_blob="b", hunks_total=1, hunks_applied=[0], diff=f"+{path}"
    )


def test_fold_keeps_order_attaches_tool_outcomes_and_the_last_edit() -> None:
    call = ToolCall(
        tool_use_id="t1", name="Edit", tool="replace_string_in_file", input={"filePath": "a.py"}, target="a.py"
    )
    decision = PermissionDecision(tool_use_id="t1", behavior="allow", decided_by="mode", reason="r", mode="acceptEdits")
    result = ToolResult(tool_use_id="t1", content="ok", duration_ms=5)
    events = [
        UserMessage(text="hi", attachments=[{"path": "a.py", "content": "x"}]),
        AssistantMessage(
            content=[
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": "**sure**"},
                {"type": "text", "text": ""},
            ],
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
        TurnEnd(reason="cancelled"),
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
        NoteEntry("Interrupted: the reply above is partial.", "warning"),
        NoteEntry("Turn ended: max_turns", "warning"),
    ]
    assert history.standing.last is not None and history.standing.last.path == "b.py"


def test_fold_of_nothing_is_empty() -> None:
    history = fold_history([])
    assert history.entries == [] and history.standing.last is None


def test_the_transcript_keeps_edits_and_checkpoints_in_place_and_ignores_orphans() -> None:
    call = ToolCall(tool_use_id="t1", name="Edit", tool="replace_string_in_file", input={}, target="a.py")
    result = ToolResult(tool_use_id="t1", content="ok")
    checkpoint = Checkpoint(step=1, commit="0123456789abcdef", label="replace_string_in_file: a.py")
    events = [
        call,
        ToolResult(tool_use_id="never-called", content="cancelled", is_error=True),
        PermissionDecision(tool_use_id="never-called", behavior="deny", decided_by="user", reason="r"),
        result,
        edit("a.py"),
        checkpoint,
    ]
    assert fold(events) == [ToolEntry(call, None, result), EditEntry(events[4]), CheckpointEntry(checkpoint)]
    assert checkpoint_text(checkpoint) == "Checkpoint 1: replace_string_in_file: a.py (commit 0123456789)"


def test_a_live_transcript_adds_entries_as_events_arrive_and_fills_in_calls() -> None:
    transcript = Transcript()
    call = ToolCall(tool_use_id="t1", name="Bash", tool="run_in_terminal", input={"command": "ls"}, target="ls")
    (entry,) = transcript.add(call)
    assert isinstance(entry, ToolEntry) and entry.decision is None
    decision = PermissionDecision(tool_use_id="t1", behavior="allow", decided_by="rule", reason="r", rule="Bash(ls)")
    assert transcript.add(decision) == []
    assert transcript.add(ToolResult(tool_use_id="t1", content="a.py")) == []
    assert entry.decision is decision and entry.result is not None and entry.result.content == "a.py"
    assert call_title(call) == "run_in_terminal ls"
    assert transcript.add(TurnEnd(reason="end_turn")) == []


def decided(decided_by: str, behavior: str = "allow", **fields: str) -> PermissionDecision:
    return PermissionDecision(tool_use_id="t", behavior=behavior, decided_by=decided_by, **{"reason": "why", **fields})


def test_decisions_read_the_same_in_the_chat_line_and_in_transcripts() -> None:
    cases = [
        (decided("user", choice="once"), "approved by you", "Approved by you. It asked because why."),
        (
            decided("user", choice="session"),
            "approved by you for this session",
            "Approved by you for this session. It asked because why.",
        ),
        (
            decided("user", choice="save"),
            "approved by you and saved",
            "Approved by you and saved. It asked because why.",
        ),
        (
            decided("user", choice="hunks"),
            "approved by you (some hunks)",
            "Approved by you (some hunks). It asked because why.",
        ),
        (
            decided("user", choice="edited"),
            "approved by you (edited)",
            "Approved by you (edited). It asked because why.",
        ),
        (
            decided("user", "deny", choice="deny", message="use pathlib"),
            "denied by you: use pathlib",
            "Denied by you: “use pathlib”. It asked because why.",
        ),
        (decided("rule", rule="Bash(ls:*)"), "approved by rule Bash(ls:*)", "Approved by rule Bash(ls:*): why"),
        (decided("rule", "deny"), "denied by a rule", "Denied by a rule: why"),
        (decided("mode", mode="acceptEdits"), "approved by mode acceptEdits", "Approved by mode acceptEdits: why"),
        (
            decided("session", rule="Bash(ls)"),
            "approved by session rule Bash(ls)",
            "Approved by session rule Bash(ls): why",
        ),
        (decided("session"), "approved for this session", "Approved for this session: why"),
        (
            decided("hard_limit", "deny", reason="outside the workspace"),
            "denied: outside the workspace",
            "Denied: outside the workspace",
        ),
        (
            decided("headless", "deny", reason="print mode never prompts; x", message="print mode never prompts; x"),
            "denied: print mode never prompts; x",
            "Denied: print mode never prompts; x",
        ),
        (decided("hook", "deny"), "denied (hook)", "Denied (hook): why"),
        (decided("user", "deny", choice="deny"), "denied by you", "Denied by you. It asked because why."),
    ]
    for event, line, detail in cases:
        assert (decision_text(event), decision_detail(event)) == (line, detail)
    assert decision_detail(None) == "Not run: the call was invalid."


def test_an_applied_edit_is_titled_the_same_everywhere() -> None:
    one = edit("a.py")
    some = EditApplied(
        tool_use_id="t", path="b.py", before_blob="x", after_blob="y", hunks_total=3, hunks_applied=[0, 2], diff=""
    )
    by_user = EditApplied(
        tool_use_id="t",
        path="c.py",
        before_blob="x",
        after_blob="y",
        hunks_total=2,
        hunks_applied=[],
        edited_by_user=True,
        diff="",
    )
    new = EditApplied(
        tool_use_id="t", path="d.py", before_blob=None, after_blob="y", hunks_total=0, hunks_applied=[], diff=""
    )
    assert [applied_title(e) for e in (one, some, by_user, new)] == [
        "Applied: a.py · 1 of 1 hunk applied",
        "Applied: b.py · 2 of 3 hunks applied",
        "Applied: c.py · edited by the user before applying",
        "Applied: d.py",
    ]
    assert (edit_title(some), edit_outcome(some)) == ("Applied: b.py", "2 of 3 hunks applied")


def test_hook_runs_and_attached_instructions_show_as_notes() -> None:
    from tui.engine.session.events import ContextAttached, HookRan
    from tui.presentation.transcript import fold

    entries = fold(
        [
            HookRan(
                event="PreToolUse",
                command="./guard.sh",
                source=".claude/settings.json",
                matcher="Bash",
                exit_code=2,
                summary="blocked: no rm",
            ),
            HookRan(event="PostToolUse", command="./log.sh", source=".claude/settings.json", exit_code=0, summary="ok"),
            ContextAttached(tool_use_id="t", paths=["pkg/CLAUDE.md"]),
        ]
    )
    assert entries == [
        NoteEntry("Hook PreToolUse Bash (.claude/settings.json): blocked: no rm", "warning"),
        NoteEntry("Hook PostToolUse (.claude/settings.json): ok", "info"),
        NoteEntry("Instructions attached for the file just read: pkg/CLAUDE.md", "info"),
    ]
