"""The permission pane on the real engine: every choice, answered with keys, reaches the engine as the right Approval."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input, TextArea

from tests.app.live import Live, live_app
from tests.app.pilot_helpers import until
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use
from tui.app.screens.editor import EditorScreen
from tui.engine.session.approval import ApprovalKind
from tui.engine.session.events import ToolResult

TWENTY = "".join(f"line {i}\n" for i in range(1, 21))
TWO_HUNKS = TWENTY.replace("line 1\n", "LINE ONE\n").replace("line 19\n", "LINE NINETEEN\n")


def edit(path: str, old: str, new: str, **extra: str) -> dict:
    return tool_use("replace_string_in_file", {"filePath": path, "oldString": old, "newString": new, **extra})


def run(command: str) -> dict:
    return tool_use("run_in_terminal", {"command": command})


def script(server: FakeAnthropic, *turns: list[dict]) -> None:
    """One model reply per list (its tool calls), each answered by a closing text reply."""
    for calls in turns:
        server.script(*calls)
        server.script(text("Done."))


async def start(pilot, live: Live, prompt: str = "go"):
    app = pilot.app
    await until(pilot, lambda: app.session is not None, "the session")
    app.main.prompt.insert(prompt)
    await pilot.press("enter")
    return live.session


async def asked(pilot, live: Live, count: int = 1) -> None:
    await until(pilot, lambda: len(live.requests) >= count and pilot.app.main.permission.display, "the permission pane")


def ran(session) -> list[str]:
    """The commands whose result came back without an error."""
    calls = {e.tool_use_id: e for e in session.history() if e.type == "tool_call" and e.tool == "run_in_terminal"}
    return [
        calls[e.tool_use_id].target
        for e in session.history()
        if isinstance(e, ToolResult) and e.tool_use_id in calls and not e.is_error
    ]


async def test_approve_once_applies_only_after_the_key(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("one\ntwo\n")
    script(model_env, [edit("a.py", "two", "2", explanation="use a digit")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        pane = app.main.permission
        assert (git_repo / "a.py").read_text() == "one\ntwo\n"  # nothing on disk before approval
        assert app.focused is pane
        assert "a.py" in str(pane.query_one("#permission-detail").render())
        assert "use a digit" in str(pane.query_one("#permission-detail").render())
        assert app.main.diff_view.selectable and app.main.diff_view.hunk_count == 1
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.ONCE
        assert (git_repo / "a.py").read_text() == "one\n2\n"
        assert not pane.display and app.focused is app.main.prompt
        line = app.main.chat.tool(live.requests[0].tool_use_id)
        assert "approved by you" in str(line.title) and "done" in str(line.title)


async def test_approve_for_the_session_skips_the_next_matching_ask(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [run("echo 1 passed"), run("echo 2 passed")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("a")
        field = app.main.permission.query_one("#permission-input", Input)
        assert field.display and field.value == "run_in_terminal(echo:*)"
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert len(live.requests) == 1
        assert live.approvals[0].kind is ApprovalKind.SESSION
        assert live.approvals[0].rule == "run_in_terminal(echo:*)"
        assert ran(session) == ["echo 1 passed", "echo 2 passed"]


async def test_save_rule_can_be_edited_before_confirming(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [run("echo npm test")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("s")
        field = app.main.permission.query_one("#permission-input", Input)
        field.value = "run_in_terminal(echo npm test)"
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.SAVE
        saved = (git_repo / ".stepwise" / "settings.yaml").read_text()
        assert "run_in_terminal(echo npm test)" in saved and "echo:*" not in saved


async def test_deny_with_a_message_reaches_the_model(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("one\n")
    script(model_env, [edit("a.py", "one", "two")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("n")
        await pilot.press(*"use pathlib")
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.DENY
        assert live.approvals[0].message == "use pathlib"
        assert "The user says: use pathlib" in live.tool_results()[-1]["content"]
        assert (git_repo / "a.py").read_text() == "one\n"
        line = app.main.chat.tool(live.requests[0].tool_use_id)
        assert "denied by you: use pathlib" in str(line.title)


async def test_escape_leaves_the_rule_input_without_answering(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [run("ls")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("n", "escape")
        pane = app.main.permission
        assert pane.display and not pane.input_mode and app.focused is pane
        assert live.approvals == [] and session.busy  # not answered, not interrupted
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert ran(session) == ["ls"]


async def test_per_hunk_approval_applies_only_the_chosen_hunks(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "f.txt").write_text(TWENTY)
    script(model_env, [edit("f.txt", TWENTY, TWO_HUNKS)])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        diff = app.main.diff_view
        assert diff.hunk_count == 2 and diff.selected_hunks == {0, 1}
        await pilot.press("j", "space")
        assert diff.current_hunk == 1 and diff.selected_hunks == {0}
        assert "1 of 2 hunks selected" in str(app.main.permission.query_one("#permission-hunks").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.HUNKS
        assert live.approvals[0].hunks == {0: [0]}
        on_disk = (git_repo / "f.txt").read_text()
        assert "LINE ONE" in on_disk and "line 19\n" in on_disk and "NINETEEN" not in on_disk


async def test_edit_before_apply_writes_the_users_text(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("one\n")
    script(model_env, [edit("a.py", "one", "two")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen), "the editor")
        editor = app.screen.query_one("#editor-text", TextArea)
        assert editor.text == "two\n"
        editor.load_text("mine\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.EDITED
        assert live.approvals[0].text == {0: "mine\n"}
        assert (git_repo / "a.py").read_text() == "mine\n"


async def test_cancelled_editor_keeps_the_request_open(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("one\n")
    script(model_env, [edit("a.py", "one", "two")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen), "the editor")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EditorScreen), "the editor to close")
        assert live.approvals == [] and app.main.permission.display
        assert session.busy  # not interrupted


async def test_several_files_are_reviewed_in_sequence(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("a\n")
    (git_repo / "b.py").write_text("b\n")
    both = {
        "replacements": [
            {"filePath": "a.py", "oldString": "a", "newString": "A"},
            {"filePath": "b.py", "oldString": "b", "newString": "B"},
        ]
    }
    script(model_env, [tool_use("multi_replace_string_in_file", both)])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        pane = app.main.permission
        assert "file 1/2: a.py" in str(pane.query_one("#permission-hunks").render())
        await pilot.press("y")
        assert "file 2/2: b.py" in str(pane.query_one("#permission-hunks").render())
        assert live.approvals == []
        await pilot.press("space", "y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert live.approvals[0].kind is ApprovalKind.HUNKS
        assert live.approvals[0].hunks == {1: []}
        assert (git_repo / "a.py").read_text() == "A\n"
        assert (git_repo / "b.py").read_text() == "b\n"


async def test_approve_all_edits_of_the_turn(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("a\n")
    (git_repo / "b.py").write_text("b\n")
    script(model_env, [edit("a.py", "a", "A"), edit("b.py", "b", "B")], [edit("a.py", "A", "AA")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("A")
        # The second edit is approved without another key press.
        await until(pilot, lambda: not session.busy, "the turn")
        assert [a.kind for a in live.approvals] == [ApprovalKind.ONCE, ApprovalKind.ONCE]
        assert (git_repo / "b.py").read_text() == "B\n"
        # The next turn asks again.
        await until(pilot, lambda: not app.approver.approve_edits_this_turn, "the turn end")
        app.main.prompt.insert("again")
        await pilot.press("enter")
        await asked(pilot, live, 3)
        assert (git_repo / "a.py").read_text() == "A\n"


async def test_command_output_streams_into_the_tool_line(git_repo: Path, model_env: FakeAnthropic) -> None:
    command = r"printf 'collected 2\n'; printf '\033[32m2 passed\033[0m\n'"
    script(model_env, [run(command)])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        assert "$ printf" in str(app.main.permission.query_one("#permission-detail").render())
        assert str(git_repo) in str(app.main.permission.query_one("#permission-detail").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        line = app.main.chat.tool(live.requests[0].tool_use_id)
        assert list(line.output.lines)[:2] == ["collected 2", "2 passed"]
        assert re.search(r"· done · \d+\.\d s$", str(line.title)), str(line.title)


async def test_plan_approval_shows_the_plan_markdown(git_repo: Path, model_env: FakeAnthropic) -> None:
    from textual.selection import Selection

    from tui.app.widgets.streaming_markdown import StreamingMarkdown

    plan = "## Plan\n\n1. Validate input\n2. Add tests\n"
    script(model_env, [tool_use("exit_plan_mode", {"plan": plan})])
    app, live = live_app(git_repo, model_env, session_options={"permission_mode": "plan"})
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        pane = app.main.permission
        shown = pane.query_one("#permission-plan", StreamingMarkdown)
        await until(pilot, lambda: shown.complete and shown.source == plan, "the plan")
        assert shown.display and shown.get_selection(Selection(None, None))[0].splitlines()[0] == "Plan"  # rendered
        assert "Approve this plan" in str(pane.query_one("#permission-title").render())
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert session.mode == "default"


async def test_external_editor_unavailable_keeps_the_request_open(
    git_repo: Path, model_env: FakeAnthropic, monkeypatch
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    (git_repo / "a.py").write_text("one\n")
    script(model_env, [edit("a.py", "one", "two")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("E")
        editor_done = lambda: not [w for w in app.workers if w.group == "external-editor" and not w.is_finished]  # noqa: E731
        await until(pilot, editor_done, "the editor worker")
        assert live.approvals == [] and app.main.permission.display
        assert (git_repo / "a.py").read_text() == "one\n"


async def test_escape_while_asking_interrupts_and_denies(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [run("touch deployed")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        await pilot.press("escape")
        await until(pilot, lambda: not session.busy, "the turn")
        ends = [e for e in session.history() if e.type == "turn_end"]
        assert [e.reason for e in ends] == ["cancelled"]
        assert live.approvals[0].kind is ApprovalKind.DENY
        assert ran(session) == [] and not (git_repo / "deployed").exists()
        assert not app.main.permission.display and app.main.prompt.display


async def test_the_status_bar_marks_the_tree_dirty_after_an_applied_edit(
    git_repo: Path, model_env: FakeAnthropic
) -> None:
    script(model_env, [edit("app.py", "hello", "hi")])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        session = await start(pilot, live)
        await asked(pilot, live)
        assert app.main.status_bar.dirty is False
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        await until(pilot, lambda: app.main.status_bar.dirty, "the dirty mark")


async def test_the_pane_shows_what_runs_carriage_returns_and_escapes_included(
    git_repo: Path, model_env: FakeAnthropic
) -> None:
    # A `\r` once made the pane show only `$ git status --short` (what followed it): now it is written out.
    command = "touch pwned #\r$ git status --short \x1b]0;title\x07 \u202eexe"
    script(model_env, [run(command)])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(160, 40)) as pilot:
        await start(pilot, live)
        await asked(pilot, live)
        detail = str(app.main.permission.query_one("#permission-detail").render())
        assert "$ touch pwned #\\r$ git status --short \\x1b]0;title\\x07 U+202Eexe" in detail
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", detail)
        await pilot.press("n")
        await pilot.press("enter")
        await until(pilot, lambda: bool(live.tool_results()), "the result")
    assert not (git_repo / "pwned").exists()
