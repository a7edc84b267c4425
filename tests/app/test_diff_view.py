"""The diff pane: layout, hunk navigation and selection, deferred highlighting, themes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tests.app.proposal_samples import make_proposal, three_hunk_proposal
from tests.app.test_diff_model import GIT_DIFF
from tui.app.themes import DiffColors, register_all
from tui.app.widgets.diff_view import DiffView


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPWISE_HOME", str(tmp_path))


class DiffApp(App[None]):
    """A bare app around one DiffView, themed like the real app."""

    def __init__(self, theme_name: str = "stepwise-dark") -> None:
        super().__init__()
        self.theme_name = theme_name
        self.selections: list[frozenset[int]] = []

    def compose(self) -> ComposeResult:
        yield DiffView()

    def on_mount(self) -> None:
        specs = register_all(self)
        self.theme = self.theme_name
        self.query_one(DiffView).theme_spec = specs[self.theme_name]

    def on_diff_view_selection_changed(self, message: DiffView.SelectionChanged) -> None:
        self.selections.append(message.selected)


def _screen_lines(view: DiffView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


async def _settled(app: App[None], pilot: Pilot[None]) -> None:
    """Wait until the highlight worker delivered (a newer worker may have cancelled an older one)."""
    await pilot.pause()
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()
    await pilot.pause()


# --- the widget -----------------------------------------------------------------


async def test_header_shows_path_counts_and_badges() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("a = 1\nb = 2\n", "a = 1\nb = 3\nc = 4\n"))
        await _settled(app, pilot)
        header = view.render_line(0).text
        assert "src/app.py" in header and "+2 -1" in header and "hunk 1/1" in header
        assert "new file" not in header

        view.show_proposal(make_proposal(None, "print('hi')\n", "new.py"))
        await _settled(app, pilot)
        header = view.render_line(0).text
        assert "new.py" in header and "+1 -0" in header and "new file" in header


async def test_hunk_navigation_moves_current_hunk_and_scrolls() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(three_hunk_proposal())
        await _settled(app, pilot)
        assert view.current_hunk == 0 and view.scroll_offset.y == 0

        view.next_hunk()
        await pilot.pause()
        assert view.current_hunk == 1
        assert view.scroll_offset.y > 0
        first_row = view.render_line(1).text
        assert "(2/3)" in first_row and first_row.startswith("▌")
        assert "hunk 2/3" in view.render_line(0).text

        view.next_hunk()
        view.next_hunk()
        await pilot.pause()
        assert view.current_hunk == 2

        view.prev_hunk()
        await pilot.pause()
        assert view.current_hunk == 1 and "(2/3)" in view.render_line(1).text

        view.current_hunk = 0
        view.prev_hunk()
        await pilot.pause()
        assert view.current_hunk == 0 and view.scroll_offset.y == 0


async def test_keys_navigate_when_focused() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(three_hunk_proposal())
        view.focus()
        await pilot.press("n", "n")
        assert view.current_hunk == 2
        await pilot.press("p")
        assert view.current_hunk == 1


async def test_toggling_hunks_updates_selection_mark_and_message() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(three_hunk_proposal(), selectable=True)
        await _settled(app, pilot)
        assert view.selected_hunks == {0, 1, 2}
        assert view.render_line(1).text.startswith("▌[x] @@")
        assert "3/3 selected" in view.render_line(0).text

        view.toggle_hunk()
        await pilot.pause()
        assert view.selected_hunks == {1, 2}
        assert view.render_line(1).text.startswith("▌[ ] @@")
        assert "2/3 selected" in view.render_line(0).text
        assert app.selections[-1] == frozenset({1, 2})

        view.toggle_hunk(2)
        view.toggle_hunk(0)
        await pilot.pause()
        assert view.selected_hunks == {0, 1}
        assert app.selections[-1] == frozenset({0, 1})

        with pytest.raises(IndexError, match="no hunk 7: this diff has 3 hunk"):
            view.toggle_hunk(7)


async def test_clicking_a_hunk_header_toggles_it() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(three_hunk_proposal(), selectable=True)
        await _settled(app, pilot)
        await pilot.click(DiffView, offset=(3, 1))
        await pilot.pause()
        assert view.selected_hunks == {1, 2}


async def test_unselectable_diff_has_no_marks_and_ignores_toggles() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(three_hunk_proposal())
        await _settled(app, pilot)
        view.toggle_hunk()
        await pilot.pause()
        assert not view.selectable and app.selections == []
        assert "[x]" not in view.render_line(1).text


async def test_side_by_side_renders_both_columns() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("keep = 0\nold_name = 1\nkeep = 2\n", "keep = 0\nnew_name = 1\nkeep = 2\n"))
        view.side_by_side = True
        await _settled(app, pilot)
        lines = _screen_lines(view)
        changed = next(line for line in lines if "old_name" in line)
        left, right = changed.split("│")
        assert "2 -old_name = 1" in left and "2 +new_name = 1" in right
        context = next(line for line in lines if "keep = 0" in line)
        assert context.count("keep = 0") == 2
        assert "side by side" in lines[0]

        view.side_by_side = False
        await pilot.pause()
        lines = _screen_lines(view)
        assert not any("│" in line for line in lines)
        assert any("old_name" in line for line in lines) and any("new_name" in line for line in lines)


async def test_changed_words_get_the_emphasis_background() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("total = price * quantity\n", "total = price * count\n"))
        await _settled(app, pilot)
        spec = view.theme_spec
        assert spec is not None
        removed = next(view.render_line(y) for y in range(5) if "quantity" in view.render_line(y).text)
        added = next(view.render_line(y) for y in range(5) if "count" in view.render_line(y).text)
        removed_word = Style(bgcolor=spec.diff.removed_word_bg).bgcolor
        added_word = Style(bgcolor=spec.diff.added_word_bg).bgcolor
        assert {s.text for s in removed if s.style and s.style.bgcolor == removed_word} == {"quantity"}
        assert {s.text for s in added if s.style and s.style.bgcolor == added_word} == {"count"}
        assert any(s.text == "price" and s.style.bgcolor == Style(bgcolor=spec.diff.added_bg).bgcolor for s in added)


async def test_large_file_renders_plain_first_then_highlighted() -> None:
    new_text = "".join(f"def function_{i}(value):\n    return value + {i}\n" for i in range(10_000))
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal(None, new_text, "big.py"))
        # Synchronously after loading, before the worker could deliver: plain text.
        assert not view.is_highlighted
        plain = view.render_line(2)
        assert "def function_0(value):" in plain.text
        base_colour = view.rich_style.color
        assert all(s.style.color == base_colour for s in plain if "def" in s.text)

        await _settled(app, pilot)
        assert view.is_highlighted
        styled = view.render_line(2)
        assert any(s.text == "def" and s.style.color not in (None, base_colour) for s in styled)
        view.current_hunk = 0
        view.scroll_to(y=19_000, animate=False)
        await pilot.pause()
        # Viewport row 5 (below the fixed header) shows content row 19,004: new line 19,004.
        assert "19004 +    return value + 9501" in view.render_line(5).text


async def test_off_screen_hunks_are_highlighted_when_scrolled_to() -> None:
    old_lines = [f"value_{i} = {i}\n" for i in range(3_000)]
    new_lines = [line.replace(" = ", " = 10 * ") if i % 100 == 50 else line for i, line in enumerate(old_lines)]
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("".join(old_lines), "".join(new_lines), "many.py"))
        await _settled(app, pilot)
        assert view.hunk_count == 30 and view.is_highlighted

        def coloured(y: int) -> bool:
            # Plain text keeps `value_1 = 1` in one segment; Pygments makes "=" a token of its own.
            return any(segment.text == "=" for segment in view.render_line(y))

        assert coloured(2)
        # Scrolled synchronously: no worker could have delivered yet, so the last
        # hunk is plain only if it was not highlighted along with the first screen.
        view.scroll_to(y=view.virtual_size.height, animate=False, immediate=True)
        last_row = view.size.height - 2
        assert "value_2950" in view.render_line(last_row).text or "value_2952" in view.render_line(last_row).text
        assert not view.is_highlighted and not coloured(last_row)

        await _settled(app, pilot)
        assert view.is_highlighted and coloured(last_row)


async def test_theme_change_recolours_the_diff() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("a = 1\n", "a = 2\n"))
        await _settled(app, pilot)
        specs = register_all(app)
        app.theme = "stepwise-light"
        view.theme_spec = specs["stepwise-light"]
        await _settled(app, pilot)
        added = next(view.render_line(y) for y in range(5) if "a = 2" in view.render_line(y).text)
        light_added = Style(bgcolor=specs["stepwise-light"].diff.added_bg).bgcolor
        assert any(s.text == "a" and s.style.bgcolor == light_added for s in added)


async def test_without_a_spec_the_view_follows_the_app_themes_brightness() -> None:
    class PlainApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DiffView()

    app = PlainApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_proposal(make_proposal("a = 1\n", "a = 2\n"))
        app.theme = "textual-light"
        await _settled(app, pilot)
        added = next(view.render_line(y) for y in range(5) if "a = 2" in view.render_line(y).text)
        light_added = Style(bgcolor=DiffColors.defaults(dark=False).added_bg).bgcolor
        assert any(s.text == "a" and s.style.bgcolor == light_added for s in added)


async def test_escape_sequences_in_diff_text_are_not_passed_through() -> None:
    hostile = (
        "--- a/evil\x1b[2J.txt\n+++ b/evil\x1b[2J.txt\n@@ -1 +1 @@ \x1b]0;pwned\x07\n"
        "-safe\n+\x1b[31mred\x1b[0m\x9b1m \u202egnirts\n"
    )
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_diff(hostile, "evil.txt")
        await _settled(app, pilot)
        rendered = [segment.text for y in range(6) for segment in view.render_line(y)]
        text = "".join(rendered)
        assert "␛[31mred␛[0m" in text and "␛[2J" in text
        assert all(segment.isprintable() for segment in rendered)
        assert app.export_screenshot().count("\x1b") == 0


async def test_multi_file_diff_shows_file_rows_and_notes() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_diff(GIT_DIFF)
        await _settled(app, pilot)
        lines = _screen_lines(view)
        assert "file 1/4" in lines[0] and "hunk 1/3" in lines[0]
        assert any("db/schema.sql  +2 -0  [new file]" in line for line in lines)
        assert any("old.txt  +0 -1  [deleted]" in line for line in lines)
        assert any("binary file" in line for line in lines)
        assert any("No newline at end of file" in line for line in lines)
        view.current_hunk = 1
        await pilot.pause()
        assert "db/schema.sql" in view.render_line(0).text and "file 2/4" in view.render_line(0).text


async def test_empty_diff_says_no_changes() -> None:
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        view.show_diff("", "same.py")
        await _settled(app, pilot)
        assert "same.py" in view.render_line(0).text
        assert "no changes" in view.render_line(1).text
        view.next_hunk()
        assert view.current_hunk == 0


# --- snapshots ------------------------------------------------------------------

SNAPSHOT_OLD = 'def greet(name):\n    """Say hello."""\n    print("Hello", name)\n    return None\n'
SNAPSHOT_NEW = (
    'def greet(name, punctuation="!"):\n    """Say hello."""\n    print("Hello", name + punctuation)\n    return name\n'
)


def _snapshot_app(theme_name: str, side_by_side: bool) -> DiffApp:
    app = DiffApp(theme_name)

    async def loaded() -> None:
        view = app.query_one(DiffView)
        view.side_by_side = side_by_side
        view.show_proposal(make_proposal(SNAPSHOT_OLD, SNAPSHOT_NEW, "greet.py"), selectable=True)

    app.call_after_refresh(loaded)
    return app


@pytest.mark.parametrize("theme_name", ["stepwise-dark", "stepwise-light"])
@pytest.mark.parametrize("side_by_side", [False, True], ids=["unified", "side_by_side"])
def test_snapshot(snap_compare, theme_name: str, side_by_side: bool) -> None:  # type: ignore[no-untyped-def]
    async def settle(pilot: Pilot[None]) -> None:
        await _settled(pilot.app, pilot)

    assert snap_compare(_snapshot_app(theme_name, side_by_side), terminal_size=(100, 14), run_before=settle)
