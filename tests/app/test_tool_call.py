"""A tool call line: collapsed it is only its title; its input and output are mounted when first expanded."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Collapsible, Log

from tui.app.widgets.tool_call import ToolCallView
from tui.engine.session.events import ToolCall, ToolResult


async def test_a_collapsed_call_mounts_its_contents_on_first_expansion() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 20)) as pilot:
        view = ToolCallView(
            ToolCall(tool_use_id="t1", name="read_file", tool="read_file", input={"filePath": "a.py"}, target="a.py")
        )
        view.result(ToolResult(tool_use_id="t1", content="file body\n", duration_ms=200))
        await app.screen.mount(view)
        await pilot.pause()
        assert not view.query(Collapsible.Contents) and not view.output.is_attached
        assert "read_file a.py · done · 0.2 s" in str(view.title)
        await pilot.click(view._title)
        await pilot.pause()
        assert not view.collapsed and view.output.is_attached and view.input_view.is_attached
        assert list(view.output.lines)[:1] == ["file body"]
        view.collapsed = True
        await pilot.pause()
        view.collapsed = False
        await pilot.pause()
        assert len(view.query(Collapsible.Contents)) == 1


async def test_output_before_mount_expands_with_its_contents() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 20)) as pilot:
        view = ToolCallView(
            ToolCall(
                tool_use_id="t2", name="Bash", tool="run_in_terminal", input={"command": "pytest"}, target="pytest"
            )
        )
        view.command_output("collected 2\n")
        await app.screen.mount(view)
        await pilot.pause()
        assert not view.collapsed and view.query_one(Log) is view.output
        assert list(view.output.lines)[:1] == ["collected 2"]


def test_an_expanded_edit_call_shows_the_change_not_json() -> None:
    from tui.app.widgets.tool_call import edit_preview
    from tui.engine.session.events import ToolCall

    edit = ToolCall(
        tool_use_id="t", name="Edit", tool="replace_string_in_file", target="app.py",
        input={"file_path": "app.py", "old_string": "a\nb", "new_string": "a\nc"},
    )  # fmt: skip
    assert edit_preview(edit) == "--- app.py\n-a\n-b\n+a\n+c"
    new = ToolCall(
        tool_use_id="t", name="create_file", tool="create_file", input={"filePath": "n.py", "content": "x = 1"}
    )
    assert edit_preview(new) == "+++ n.py (new file)\n+x = 1"
    command = ToolCall(tool_use_id="t", name="Bash", tool="run_in_terminal", input={"command": "ls"})
    assert edit_preview(command) is None
