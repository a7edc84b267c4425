"""The permission pane: every choice, answered with keys, reaches the engine as the right Approval."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TextArea

from tests.app.fakes import Command, Edit, Say, make_app, until
from tui.app.screens.editor import EditorScreen
from tui.engine.session.approval import ApprovalKind

TWENTY = "".join(f"line {i}\n" for i in range(1, 21))
TWO_HUNKS = TWENTY.replace("line 1\n", "LINE ONE\n").replace("line 19\n", "LINE NINETEEN\n")


async def start(pilot, sessions, prompt: str = "go"):
    app = pilot.app
    await until(pilot, lambda: app.session is not None, "the session")
    app.main.prompt.insert(prompt)
    await pilot.press("enter")
    return sessions[0]


async def asked(pilot, session, count: int = 1) -> None:
    await until(pilot, lambda: len(session.asked) >= count and pilot.app.main.permission.display, "the permission pane")


async def test_approve_once_applies_only_after_the_key(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("one\ntwo\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "one\n2\n"}, explanation="use a digit")]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        pane = app.main.permission
        assert (tmp_path / "a.py").read_text() == "one\ntwo\n"  # nothing on disk before approval
        assert app.focused is pane
        assert "a.py" in str(pane.query_one("#permission-detail").render())
        assert "use a digit" in str(pane.query_one("#permission-detail").render())
        assert app.main.diff_view.selectable and app.main.diff_view.hunk_count == 1
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.ONCE
        assert (tmp_path / "a.py").read_text() == "one\n2\n"
        assert not pane.display and app.focused is app.main.prompt
        line = app.main.chat.tool(session.asked[0].tool_use_id)
        assert "approved by you" in str(line.title) and "done" in str(line.title)


async def test_approve_for_the_session_skips_the_next_matching_ask(tmp_path: Path) -> None:
    turn = [Command("pytest -q", ["1 passed\n"]), Command("pytest tests", ["2 passed\n"])]
    app, sessions = make_app(tmp_path, [turn])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("a")
        field = app.main.permission.query_one("#permission-input", Input)
        assert field.display and field.value == "run_in_terminal(pytest:*)"
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert len(session.asked) == 1
        assert session.approvals[0].kind is ApprovalKind.SESSION
        assert session.approvals[0].rule == "run_in_terminal(pytest:*)"
        assert session.commands_run == ["pytest -q", "pytest tests"]


async def test_save_rule_can_be_edited_before_confirming(tmp_path: Path) -> None:
    app, sessions = make_app(tmp_path, [[Command("npm test", ["ok\n"])]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("s")
        field = app.main.permission.query_one("#permission-input", Input)
        field.value = "run_in_terminal(npm test)"
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.SAVE
        assert session.saved_rules == ["run_in_terminal(npm test)"]


async def test_deny_with_a_message_reaches_the_model(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("one\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "two\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("n")
        await pilot.press(*"use pathlib")
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.DENY
        assert session.approvals[0].message == "use pathlib"
        assert "The user says: use pathlib" in session.model_messages[-1]
        assert (tmp_path / "a.py").read_text() == "one\n"
        line = app.main.chat.tool(session.asked[0].tool_use_id)
        assert "denied by you: use pathlib" in str(line.title)


async def test_escape_leaves_the_rule_input_without_answering(tmp_path: Path) -> None:
    app, sessions = make_app(tmp_path, [[Command("ls", [])]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("n", "escape")
        pane = app.main.permission
        assert pane.display and not pane.input_mode and app.focused is pane
        assert session.approvals == [] and session.cancel_calls == 0
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.commands_run == ["ls"]


async def test_per_hunk_approval_applies_only_the_chosen_hunks(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text(TWENTY)
    app, sessions = make_app(tmp_path, [[Edit({"f.txt": TWO_HUNKS})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        diff = app.main.diff_view
        assert diff.hunk_count == 2 and diff.selected_hunks == {0, 1}
        await pilot.press("j", "space")
        assert diff.current_hunk == 1 and diff.selected_hunks == {0}
        assert "1 of 2 hunks selected" in str(app.main.permission.query_one("#permission-hunks").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.HUNKS
        assert session.approvals[0].hunks == {0: [0]}
        on_disk = (tmp_path / "f.txt").read_text()
        assert "LINE ONE" in on_disk and "line 19\n" in on_disk and "NINETEEN" not in on_disk


async def test_edit_before_apply_writes_the_users_text(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("one\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "two\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen), "the editor")
        editor = app.screen.query_one("#editor-text", TextArea)
        assert editor.text == "two\n"
        editor.load_text("mine\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.EDITED
        assert session.approvals[0].text == {0: "mine\n"}
        assert (tmp_path / "a.py").read_text() == "mine\n"


async def test_cancelled_editor_keeps_the_request_open(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("one\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "two\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen), "the editor")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EditorScreen), "the editor to close")
        assert session.approvals == [] and app.main.permission.display
        assert session.cancel_calls == 0


async def test_several_files_are_reviewed_in_sequence(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a\n")
    (tmp_path / "b.py").write_text("b\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "A\n", "b.py": "B\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        pane = app.main.permission
        assert "file 1/2: a.py" in str(pane.query_one("#permission-hunks").render())
        await pilot.press("y")
        assert "file 2/2: b.py" in str(pane.query_one("#permission-hunks").render())
        assert session.approvals == []
        await pilot.press("space", "y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.approvals[0].kind is ApprovalKind.HUNKS
        assert session.approvals[0].hunks == {1: []}
        assert (tmp_path / "a.py").read_text() == "A\n"
        assert (tmp_path / "b.py").read_text() == "b\n"


async def test_approve_all_edits_of_the_turn(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a\n")
    (tmp_path / "b.py").write_text("b\n")
    turns = [[Edit({"a.py": "A\n"}), Edit({"b.py": "B\n"})], [Edit({"a.py": "AA\n"})]]
    app, sessions = make_app(tmp_path, turns)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("A")
        # The second edit is approved without another key press.
        await until(pilot, lambda: not session.busy, "the turn")
        assert [a.kind for a in session.approvals] == [ApprovalKind.ONCE, ApprovalKind.ONCE]
        assert (tmp_path / "b.py").read_text() == "B\n"
        # The next turn asks again.
        await until(pilot, lambda: not app.approver.approve_edits_this_turn, "the turn end")
        app.main.prompt.insert("again")
        await pilot.press("enter")
        await asked(pilot, session, 3)
        assert (tmp_path / "a.py").read_text() == "A\n"


async def test_command_output_streams_into_the_tool_line(tmp_path: Path) -> None:
    app, sessions = make_app(tmp_path, [[Command("pytest", ["collected 2\n", "\x1b[32m2 passed\x1b[0m\n"]), Say("Done.")]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        assert "$ pytest" in str(app.main.permission.query_one("#permission-detail").render())
        assert str(tmp_path) in str(app.main.permission.query_one("#permission-detail").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        line = app.main.chat.tool(session.asked[0].tool_use_id)
        assert list(line.output.lines)[:2] == ["collected 2", "2 passed"]
        assert "done" in str(line.title) and "1.5 s" in str(line.title)


async def test_plan_approval_shows_the_plan_markdown(tmp_path: Path) -> None:
    from textual.selection import Selection

    from tests.app.fakes import Plan
    from tui.app.widgets.streaming_markdown import StreamingMarkdown

    plan = "## Plan\n\n1. Validate input\n2. Add tests\n"
    app, sessions = make_app(tmp_path, [[Plan(plan)]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        session.set_mode("plan")
        await asked(pilot, session)
        pane = app.main.permission
        shown = pane.query_one("#permission-plan", StreamingMarkdown)
        await until(pilot, lambda: shown.complete and shown.source == plan, "the plan")
        assert shown.display and shown.get_selection(Selection(None, None))[0].splitlines()[0] == "Plan"  # rendered
        assert "Approve this plan" in str(pane.query_one("#permission-title").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.mode == "default"


async def test_external_editor_unavailable_keeps_the_request_open(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", "true")
    (tmp_path / "a.py").write_text("one\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "two\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("E")
        editor_done = lambda: not [w for w in app.workers if w.group == "external-editor" and not w.is_finished]  # noqa: E731
        await until(pilot, editor_done, "the editor worker")
        assert session.approvals == [] and app.main.permission.display
        assert (tmp_path / "a.py").read_text() == "one\n"


async def test_escape_while_asking_interrupts_and_denies(tmp_path: Path) -> None:
    app, sessions = make_app(tmp_path, [[Command("make deploy", [])]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        await pilot.press("escape")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.cancel_calls == 1
        assert session.approvals[0].kind is ApprovalKind.DENY
        assert session.commands_run == []
        assert not app.main.permission.display and app.main.prompt.display



async def test_the_status_bar_marks_the_tree_dirty_after_an_applied_edit(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("one\n")
    app, sessions = make_app(tmp_path, [[Edit({"a.py": "1\n"})]])
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, sessions)
        await asked(pilot, session)
        assert app.main.status_bar.dirty is False
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        await until(pilot, lambda: app.main.status_bar.dirty, "the dirty mark")
