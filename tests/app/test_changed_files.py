"""The changed-files list: rows from (status, path) pairs, selection posts the path."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.app.widgets.changed_files import ChangedFiles


class FilesApp(App[None]):
    def __init__(self, files: list[tuple[str, str]]) -> None:
        super().__init__()
        self.files = files
        self.chosen: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield ChangedFiles(self.files)

    def on_changed_files_selected(self, message: ChangedFiles.Selected) -> None:
        self.chosen.append((message.status, message.path))


async def test_selecting_a_file_posts_its_path() -> None:
    app = FilesApp([("M", "src/app.py"), ("A", "docs/new.md"), ("D", "old.txt")])
    async with app.run_test(size=(60, 12)) as pilot:
        files = app.query_one(ChangedFiles)
        files.focus()
        await pilot.press("down", "enter")
        assert app.chosen == [("A", "docs/new.md")]
        assert files.option_count == 3
        assert "docs/new.md" in str(files.get_option_at_index(1).prompt)


async def test_set_files_replaces_rows_and_handles_empty_and_hostile_names() -> None:
    app = FilesApp([])
    async with app.run_test(size=(60, 12)) as pilot:
        files = app.query_one(ChangedFiles)
        assert files.option_count == 1 and files.get_option_at_index(0).disabled
        assert "no changed files" in str(files.get_option_at_index(0).prompt)

        files.set_files([("??", "evil\x1b[2J[b]name[/b].txt")])
        await pilot.pause()
        prompt = str(files.get_option_at_index(0).prompt)
        assert "\x1b" not in prompt and "␛[2J[b]name[/b].txt" in prompt
        files.focus()
        await pilot.press("enter")
        assert app.chosen == [("??", "evil\x1b[2J[b]name[/b].txt")]
        assert files.files == [("??", "evil\x1b[2J[b]name[/b].txt")]
