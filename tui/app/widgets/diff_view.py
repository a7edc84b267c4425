"""The diff pane: a proposal or a (multi-file) unified diff, unified or side by side.

The widget draws the model of `tui.app.diff_model` with Textual's Line API: it
keeps one small row record per display row and renders only the rows on screen,
so a 20,000-line diff costs no more to draw than a 20-line one. Pygments runs in
a thread worker, and only for the hunks on screen: the others are highlighted
when they are scrolled to, so a big diff does not keep the CPU (and the GIL)
busy while its first screen is drawn. Until colours arrive rows are plain text.

Row 0 of the viewport is a fixed header (path, +/- counts, badges, hunk k/n);
the scrollable rows are drawn below it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme
from textual.worker import get_current_worker

from tui.app.diff_model import (
    NO_NEWLINE_MARKER,
    DiffFile,
    DiffHunk,
    change_blocks,
    parse_unified_diff,
    proposal_diff_files,
)
from tui.app.fit import ELLIPSIS
from tui.app.highlight import Span, StyledLine, highlight_hunk, sanitize, word_spans
from tui.app.themes import DiffColors, ThemeSpec, default_pygments_style, theme_spec_of

if TYPE_CHECKING:
    from tui.engine.workspace.proposals import Proposal

_NULL_STYLE = Style()


# --- display rows -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    kind: str
    """"file" (a file title in a multi-file diff), "note" (a file without hunks),
    "hunk" (a hunk header), "line", or "comment" (a review comment under the line it is on)."""
    file: int
    hunk: int = -1
    left: int = -1
    """Unified: the hunk line. Side by side: the old side's hunk line (-1: none)."""
    right: int = -1
    """Side by side: the new side's hunk line (-1: none)."""


CommentKey = tuple[int, int]
"""(hunk index, line index in the hunk) of a review comment."""


def _build_rows(
    files: Sequence[DiffFile], side_by_side: bool, comments: dict[CommentKey, list[str]] | None = None
) -> tuple[list[_Row], list[int]]:
    """Display rows and, per hunk, the row of its header; each commented line is followed by its comments."""
    comments = comments or {}
    rows: list[_Row] = []
    hunk_rows: list[int] = []

    def add_comments(hunk: int, *lines: int) -> None:
        for line in lines:
            rows.extend(_Row("comment", file_index, hunk, line, n) for n in range(len(comments.get((hunk, line), ()))))

    for file_index, diff_file in enumerate(files):
        if len(files) > 1:
            rows.append(_Row("file", file_index))
        if not diff_file.hunks:
            rows.append(_Row("note", file_index))
        for hunk in diff_file.hunks:
            hunk_rows.append(len(rows))
            rows.append(_Row("hunk", file_index, hunk.index))
            if not side_by_side:
                for i in range(len(hunk.lines)):
                    rows.append(_Row("line", file_index, hunk.index, i))
                    add_comments(hunk.index, i)
                continue
            for olds, news in change_blocks(hunk.lines):
                for old, new in zip_longest(olds, news, fillvalue=-1):
                    rows.append(_Row("line", file_index, hunk.index, old, new))
                    add_comments(hunk.index, *dict.fromkeys(i for i in (old, new) if i >= 0))
    return rows, hunk_rows


@dataclass(frozen=True)
class _Palette:
    """Rich styles derived from the theme's diff colours."""

    added: Style
    removed: Style
    added_word: Style
    removed_word: Style
    hunk_header: Style
    line_number: Style
    selected_hunk: Style

    @classmethod
    def from_colors(cls, colors: DiffColors) -> _Palette:
        return cls(
            added=Style(bgcolor=colors.added_bg),
            removed=Style(bgcolor=colors.removed_bg),
            added_word=Style(bgcolor=colors.added_word_bg),
            removed_word=Style(bgcolor=colors.removed_word_bg),
            hunk_header=Style(color=colors.hunk_header, bold=True),
            line_number=Style(color=colors.line_number),
            selected_hunk=Style(bgcolor=colors.selected_hunk_bg),
        )


def _split_fragments(fragments: StyledLine, spans: Sequence[Span], style: Style, emphasis: Style) -> list[Segment]:
    """Segments of a styled line, with `emphasis` added inside `spans`."""
    segments: list[Segment] = []
    position = 0
    for text, fragment_style in fragments:
        start, end = position, position + len(text)
        cuts = sorted({start, end, *(edge for span in spans for edge in span if start < edge < end)})
        for cut_start, cut_end in itertools.pairwise(cuts):
            emphasised = any(s <= cut_start and cut_end <= e for s, e in spans)
            segments.append(
                Segment(
                    text[cut_start - start : cut_end - start],
                    style + fragment_style + emphasis if emphasised else style + fragment_style,
                )
            )
        position = end
    return segments


# --- the widget ---------------------------------------------------------------


class DiffView(ScrollView, can_focus=True):
    """A scrollable, highlighted diff with hunk navigation and per-hunk selection.

    The app calls `show_proposal` or `show_diff`, and sets `side_by_side` when
    the user toggles the layout; colours follow the app theme.
    """

    DEFAULT_CSS = (Path(__file__).with_name("diff_view.tcss")).read_text(encoding="utf-8")

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff-view--header",
        "diff-view--file",
        "diff-view--gutter",
        "diff-view--note",
        "diff-view--comment",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_hunk", "Next hunk", show=False),
        Binding("p", "prev_hunk", "Previous hunk", show=False),
        Binding("space", "toggle_hunk", "Toggle hunk", show=False),
        Binding("v", "toggle_layout", "Side by side", show=False),
    ]

    side_by_side: reactive[bool] = reactive(False, init=False)
    """Show old and new text in two columns instead of one."""
    current_hunk: reactive[int] = reactive(0, init=False)
    """The highlighted hunk; setting it scrolls the hunk to the top of the view."""
    theme_spec: reactive[ThemeSpec | None] = reactive(None, init=False)
    """A theme spec (Pygments style and diff colours) to use instead of the
    app's; None follows the app theme: its spec when the app has one
    (`theme_spec_of`), otherwise default colours for its brightness."""

    class SelectionChanged(Message):
        """The set of selected hunks changed."""

        def __init__(self, diff_view: DiffView, selected: frozenset[int]) -> None:
            super().__init__()
            self.diff_view = diff_view
            self.selected = selected

        @property
        def control(self) -> DiffView:
            return self.diff_view

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._files: tuple[DiffFile, ...] = ()
        self._hunks: tuple[DiffHunk, ...] = ()
        self._rows: list[_Row] = []
        self._hunk_rows: list[int] = []
        self._styled: dict[int, list[StyledLine | None]] = {}
        """Syntax colours per hunk index, for the hunks highlighted so far."""
        self._highlight_pending: set[int] = set()
        """Hunks a highlight worker is busy with."""
        self._selectable = False
        self._selected: set[int] = set()
        self._cursor = -1
        """The row of the line cursor while reviewing (-1: none); `c` comments on that line."""
        self._comments: dict[CommentKey, list[str]] = {}
        self._number_width = 1
        self._code_width = 0
        self._highlight_generation = 0
        self._pygments_style = "monokai"
        self._palette = _Palette.from_colors(DiffColors.defaults(dark=True))

    # --- what the app calls

    def show_proposal(self, proposal: Proposal, selectable: bool = False) -> None:
        """Show an edit proposal; with `selectable`, each hunk gets a checkbox (all checked).

        Args:
            proposal: The proposal; hunk indices match `proposal.hunks`.
            selectable: Show per-hunk selection marks.
        """
        self._load(proposal_diff_files(proposal), selectable)

    def show_diff(self, text: str, path: str = "") -> None:
        """Show a unified diff (one file or many, e.g. `git diff` output).

        Args:
            text: The diff; empty text shows "no changes".
            path: The path to show when the diff names none.
        """
        self._load(parse_unified_diff(text, path) or (DiffFile(sanitize(path), ()),), selectable=False)

    @property
    def files(self) -> tuple[DiffFile, ...]:
        """The files shown."""
        return self._files

    @property
    def hunk_count(self) -> int:
        return len(self._hunks)

    @property
    def selectable(self) -> bool:
        return self._selectable

    @property
    def selected_hunks(self) -> set[int]:
        """Indices of the selected hunks (a copy)."""
        return set(self._selected)

    @property
    def is_highlighted(self) -> bool:
        """Syntax colours for the hunks on screen have arrived (others come when scrolled to)."""
        return not self._visible_hunks() - self._styled.keys()

    def next_hunk(self) -> None:
        self.current_hunk = min(self.current_hunk + 1, max(len(self._hunks) - 1, 0))

    def prev_hunk(self) -> None:
        self.current_hunk = max(self.current_hunk - 1, 0)

    @property
    def cursor_line(self) -> tuple[DiffHunk, int] | None:
        """The hunk and the index (in it) of the line under the cursor, while reviewing.

        Side by side, a row holding a removed and an added line stands for the added one.
        """
        if not self._selectable or not 0 <= self._cursor < len(self._rows):
            return None
        row = self._rows[self._cursor]
        return self._hunks[row.hunk], row.right if self.side_by_side and row.right >= 0 else row.left

    def move_cursor(self, step: int) -> None:
        """Move the line cursor to the next (`step` > 0) or previous code line; its hunk becomes current."""
        lines = self._line_rows()
        if not lines:
            return
        if self._cursor not in lines:
            target = lines[0]
        else:
            target = lines[min(max(lines.index(self._cursor) + step, 0), len(lines) - 1)]
        self._put_cursor(target)

    def line_key(self, hunk_index: int, number: int, side: str) -> CommentKey | None:
        """The (hunk, line index) of line `number` of `side` (`new` or `old`) in a hunk shown, if it is there."""
        if not 0 <= hunk_index < len(self._hunks):
            return None
        for index, line in enumerate(self._hunks[hunk_index].lines):
            if side == "old" and line.sign == "-" and line.old_no == number:
                return hunk_index, index
            if side == "new" and line.sign in " +" and line.new_no == number:
                return hunk_index, index
        return None

    def set_comments(self, comments: dict[CommentKey, list[str]]) -> None:
        """Show these review comments under the lines they are on (keys: hunk index, line index)."""
        cursor_row = self._rows[self._cursor] if 0 <= self._cursor < len(self._rows) else None
        self._comments = {key: list(texts) for key, texts in comments.items() if texts}
        self._layout_rows()
        if cursor_row is not None and cursor_row in self._rows:
            self._cursor = self._rows.index(cursor_row)

    def _line_rows(self) -> list[int]:
        return [
            i
            for i, row in enumerate(self._rows)
            if row.kind == "line"
            and self._hunks[row.hunk].lines[row.right if row.left < 0 else row.left].sign != NO_NEWLINE_MARKER
        ]

    def _put_cursor(self, row_index: int) -> None:
        self._cursor = row_index
        hunk = self._rows[row_index].hunk
        if hunk != self.current_hunk:
            self.set_reactive(DiffView.current_hunk, hunk)
        height = max(self.size.height - 1, 1)
        top = self.scroll_offset.y
        if row_index < top:
            self.scroll_to(y=row_index, animate=False)
        elif row_index >= top + height:
            self.scroll_to(y=row_index - height + 1, animate=False)
        self.refresh()

    def _cursor_to_hunk(self) -> None:
        """Put the line cursor on the current hunk's first changed line (or its first line)."""
        if not self._selectable or not self._hunks:
            return
        hunk = self._hunks[self.current_hunk]
        rows = [i for i in self._line_rows() if self._rows[i].hunk == hunk.index]
        changed = [i for i in rows if hunk.lines[max(self._rows[i].left, self._rows[i].right)].sign in "+-"]
        if rows:
            self._cursor = (changed or rows)[0]

    def toggle_hunk(self, index: int | None = None) -> None:
        """Flip the selection of a hunk (the current one by default).

        Does nothing when the diff is not selectable.

        Raises:
            IndexError: `index` names no hunk of this diff.
        """
        if not self._selectable:
            return
        index = self.current_hunk if index is None else index
        if not 0 <= index < len(self._hunks):
            raise IndexError(f"no hunk {index}: this diff has {len(self._hunks)} hunk(s)")
        self._selected ^= {index}
        self._selection_changed()

    # --- actions for the bindings

    def action_next_hunk(self) -> None:
        self.next_hunk()

    def action_prev_hunk(self) -> None:
        self.prev_hunk()

    def action_toggle_hunk(self) -> None:
        if self._hunks:
            self.toggle_hunk()

    def action_toggle_layout(self) -> None:
        self.side_by_side = not self.side_by_side

    # --- loading and highlighting

    def _load(self, files: tuple[DiffFile, ...], selectable: bool) -> None:
        self._files = files
        self._hunks = tuple(hunk for diff_file in files for hunk in diff_file.hunks)
        self._selectable = selectable and bool(self._hunks)
        self._selected = set(range(len(self._hunks)))
        self._forget_highlights()
        biggest = max(
            (max(line.old_no or 0, line.new_no or 0) for hunk in self._hunks for line in hunk.lines), default=1
        )
        self._number_width = len(str(biggest))
        self._code_width = max((cell_len(line.text) for hunk in self._hunks for line in hunk.lines), default=0)
        self.set_reactive(DiffView.current_hunk, 0)
        self._comments = {}
        self._layout_rows()
        self._cursor = -1
        self._cursor_to_hunk()
        self.scroll_to(0, 0, animate=False)
        self._highlight_visible()

    def _layout_rows(self) -> None:
        self._rows, self._hunk_rows = _build_rows(self._files, self.side_by_side, self._comments)
        width = 0 if self.side_by_side else self._unified_prefix_width() + self._code_width
        # One extra row: the fixed header drawn on the first line of the viewport.
        self.virtual_size = Size(width, len(self._rows) + 1)
        self.refresh()

    def _forget_highlights(self) -> None:
        """Drop all colours (new diff or new style); workers still running see the new generation and stop."""
        self._highlight_generation += 1
        self._styled = {}
        self._highlight_pending = set()

    def _visible_hunks(self) -> set[int]:
        # The first viewport row is the fixed header.
        height = max(self.size.height - 1, 0)
        # Right after a load the scroll back to the top is still pending; an
        # offset past the new rows must not make the screen look empty.
        top = min(self.scroll_offset.y, max(len(self._rows) - height, 0))
        return {row.hunk for row in self._rows[top : top + height] if row.hunk >= 0}

    def _highlight_visible(self) -> None:
        """Start highlighting the hunks on screen that have no colours yet and no worker busy with them."""
        if not self.is_mounted:
            return  # on_mount comes back here
        missing = self._visible_hunks() - self._styled.keys() - self._highlight_pending
        if not missing:
            return
        self._highlight_pending |= missing
        jobs = [(self._hunks[index], self._files[self._hunks[index].file].path) for index in sorted(missing)]
        self._highlight(self._highlight_generation, jobs, self._pygments_style)

    # Not exclusive: each worker has its own hunks, and scrolling on must not
    # cancel the colours of the hunks just passed. A failed highlight only
    # leaves plain text on screen; it must not end the app.
    @work(thread=True, group="diff-view-highlight", exit_on_error=False)
    def _highlight(self, generation: int, jobs: list[tuple[DiffHunk, str]], style_name: str) -> None:
        worker = get_current_worker()
        styled: dict[int, list[StyledLine | None]] = {}
        for hunk, path in jobs:
            if worker.is_cancelled or generation != self._highlight_generation:
                return
            styled[hunk.index] = highlight_hunk([(line.sign, line.text) for line in hunk.lines], path, style_name)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._highlight_ready, generation, styled)

    def _highlight_ready(self, generation: int, styled: dict[int, list[StyledLine | None]]) -> None:
        if generation == self._highlight_generation:
            self._styled.update(styled)
            self._highlight_pending -= styled.keys()
            self.refresh()

    def _apply_palette(self) -> bool:
        """Take the Pygments style and diff colours from the theme spec (or the app theme).

        Returns:
            Whether the Pygments style changed (the diff needs highlighting anew).
        """
        spec = self.theme_spec or theme_spec_of(self.app)
        if spec is not None:
            style_name, colors = spec.pygments_style, spec.diff
        else:
            dark = self.app.current_theme.dark
            style_name, colors = default_pygments_style(dark), DiffColors.defaults(dark)
        self._palette = _Palette.from_colors(colors)
        changed = style_name != self._pygments_style
        self._pygments_style = style_name
        return changed

    def _restyle(self) -> None:
        if not self.is_mounted:
            return  # on_mount applies the palette
        if self._apply_palette():
            self._forget_highlights()
            self._highlight_visible()
        self.refresh()

    # --- Textual hooks

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_app_theme_changed)
        self._apply_palette()
        self._highlight_visible()

    def on_resize(self) -> None:
        self._highlight_visible()

    def _on_app_theme_changed(self, _theme: Theme) -> None:
        if self.theme_spec is None:
            self._restyle()

    def watch_theme_spec(self) -> None:
        self._restyle()

    def watch_side_by_side(self) -> None:
        self._layout_rows()
        self._cursor_to_hunk()
        self._scroll_to_current()
        self._highlight_visible()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._highlight_visible()

    def validate_current_hunk(self, value: int) -> int:
        return min(max(value, 0), max(len(self._hunks) - 1, 0))

    def watch_current_hunk(self) -> None:
        self._cursor_to_hunk()
        self._scroll_to_current()
        self.refresh()

    def _scroll_to_current(self) -> None:
        if self._hunk_rows:
            self.scroll_to(y=self._hunk_rows[self.current_hunk], animate=False)

    def on_click(self, event: events.Click) -> None:
        row_index = self.scroll_offset.y + event.y - 1
        if event.y < 1 or row_index >= len(self._rows) or self._rows[row_index].hunk < 0:
            return
        row = self._rows[row_index]
        if row.kind == "line" and self._selectable and row_index in self._line_rows():
            self._put_cursor(row_index)
            return
        self.current_hunk = row.hunk
        if row.kind == "hunk" and self._selectable:
            self.toggle_hunk(row.hunk)

    def _selection_changed(self) -> None:
        self.refresh()
        self.post_message(self.SelectionChanged(self, frozenset(self._selected)))

    # --- rendering

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        if row.kind == "file":
            return self._render_file_row(row, width, base)
        if row.kind == "note":
            diff_file = self._files[row.file]
            note = ", ".join(diff_file.notes) or "no changes"
            style = base + self.get_component_rich_style("diff-view--note")
            return Strip([Segment(f"  {note}", style)]).crop_extend(0, width, style)
        if row.kind == "hunk":
            return self._dimmed(row, self._render_hunk_row(row, width, base))
        if row.kind == "comment":
            return self._render_comment_row(row, width, base)
        gutter = self._gutter(row.hunk, base)
        if index == self._cursor and self._selectable:
            gutter = Segment("▶", base + self.get_component_rich_style("diff-view--gutter"))
        if self.side_by_side:
            return self._dimmed(row, self._render_split_row(row, gutter, width, base))
        return self._dimmed(row, self._render_unified_row(row, gutter, width, base))

    def _dimmed(self, row: _Row, strip: Strip) -> Strip:
        """A deselected hunk is drawn dimmed: it will not be applied."""
        if self._selectable and row.hunk not in self._selected:
            return strip.apply_style(Style(dim=True))
        return strip

    def _render_comment_row(self, row: _Row, width: int, base: Style) -> Strip:
        text = self._comments[(row.hunk, row.left)][row.right]
        style = base + self.get_component_rich_style("diff-view--comment")
        indent = " " * (self._unified_prefix_width() if not self.side_by_side else 2)
        return Strip([Segment(f"{indent}💬 {sanitize(text)}", style)]).crop_extend(0, width, style)

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("diff-view--header")
        if not self._files:
            return Strip([Segment(" no diff", style)]).crop_extend(0, width, style)
        hunk = self._hunks[self.current_hunk] if self._hunks else None
        file_index = hunk.file if hunk is not None else 0
        diff_file = self._files[file_index]
        segments = [
            Segment(f" {diff_file.path}  +{diff_file.added} -{diff_file.removed} ", style),
        ]
        if diff_file.is_new_file:
            segments.append(Segment(" new file ", style + self._palette.added_word))
        if diff_file.is_deleted:
            segments.append(Segment(" deleted ", style + self._palette.removed_word))
        facts = []
        if hunk is not None:
            facts.append(f"hunk {self.current_hunk + 1}/{len(self._hunks)}")
        if len(self._files) > 1:
            facts.append(f"file {file_index + 1}/{len(self._files)}")
        if self._selectable:
            facts.append(f"{len(self._selected)}/{len(self._hunks)} selected")
        facts.append("side by side" if self.side_by_side else "unified")
        segments.append(Segment("  " + " · ".join(facts), style))
        header = Strip(segments)
        if header.cell_length > width > 1:
            # Cut with `…`, never mid-word without a sign that something is missing.
            return Strip.join([header.crop(0, width - 1), Strip([Segment(ELLIPSIS, style)])])
        return header.crop_extend(0, width, style)

    def _render_file_row(self, row: _Row, width: int, base: Style) -> Strip:
        diff_file = self._files[row.file]
        style = base + self.get_component_rich_style("diff-view--file")
        badges = "".join(
            f"  [{badge}]"
            for badge, present in (("new file", diff_file.is_new_file), ("deleted", diff_file.is_deleted))
            if present
        )
        text = f" {diff_file.path}  +{diff_file.added} -{diff_file.removed}{badges}"
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def _render_hunk_row(self, row: _Row, width: int, base: Style) -> Strip:
        hunk = self._hunks[row.hunk]
        style = base + self._palette.hunk_header
        if row.hunk == self.current_hunk:
            style += self._palette.selected_hunk
        mark = ("[x] " if row.hunk in self._selected else "[ ] ") if self._selectable else ""
        text = f"{mark}{hunk.header}  ({row.hunk + 1}/{len(self._hunks)})"
        return Strip([self._gutter(row.hunk, base), Segment(text, style)]).crop_extend(0, width, style)

    def _gutter(self, hunk_index: int, base: Style) -> Segment:
        if hunk_index == self.current_hunk:
            return Segment("▌", base + self.get_component_rich_style("diff-view--gutter"))
        return Segment(" ", base)

    def _unified_prefix_width(self) -> int:
        # gutter, two line-number columns with a space after each, the sign
        return 1 + 2 * (self._number_width + 1) + 1

    def _render_unified_row(self, row: _Row, gutter: Segment, width: int, base: Style) -> Strip:
        hunk = self._hunks[row.hunk]
        line = hunk.lines[row.left]
        style = base + self._line_background(line.sign)
        digits = self._number_width
        old = str(line.old_no) if line.old_no is not None else ""
        new = str(line.new_no) if line.new_no is not None else ""
        prefix = Strip(
            [
                gutter,
                Segment(f"{old:>{digits}} {new:>{digits}} ", style + self._palette.line_number),
                Segment(line.sign if line.sign != NO_NEWLINE_MARKER else " ", style + Style(bold=True)),
            ]
        )
        code_width = max(width - prefix.cell_length, 0)
        scroll_x = self.scroll_offset.x
        code = Strip(self._code_segments(hunk, row.left, style)).crop_extend(scroll_x, scroll_x + code_width, style)
        return Strip.join([prefix, code])

    def _render_split_row(self, row: _Row, gutter: Segment, width: int, base: Style) -> Strip:
        hunk = self._hunks[row.hunk]
        left_width = max((width - 2) // 2, 0)
        right_width = max(width - 2 - left_width, 0)
        divider = Segment("│", base + self._palette.line_number)
        return Strip.join(
            [
                Strip([gutter]),
                self._render_half(hunk, row.left, "old", left_width, base),
                Strip([divider]),
                self._render_half(hunk, row.right, "new", right_width, base),
            ]
        )

    def _render_half(self, hunk: DiffHunk, index: int, side: str, width: int, base: Style) -> Strip:
        if index < 0:
            return Strip.blank(width, base)
        line = hunk.lines[index]
        style = base + self._line_background(line.sign)
        number = line.old_no if side == "old" else line.new_no
        sign = line.sign if line.sign != NO_NEWLINE_MARKER else " "
        shown = "" if number is None else str(number)
        prefix = [
            Segment(f"{shown:>{self._number_width}} ", style + self._palette.line_number),
            Segment(sign, style + Style(bold=True)),
        ]
        return Strip(prefix + self._code_segments(hunk, index, style)).crop_extend(0, width, style)

    def _line_background(self, sign: str) -> Style:
        if sign == "+":
            return self._palette.added
        if sign == "-":
            return self._palette.removed
        return _NULL_STYLE

    def _code_segments(self, hunk: DiffHunk, index: int, style: Style) -> list[Segment]:
        line = hunk.lines[index]
        if line.sign == NO_NEWLINE_MARKER:
            return [Segment(line.text, style + Style(italic=True, dim=True))]
        styled = self._styled.get(hunk.index)
        fragments = styled[index] if styled is not None else None
        if fragments is None:
            fragments = ((line.text, _NULL_STYLE),)
        spans: Sequence[Span] = ()
        emphasis = _NULL_STYLE
        if line.partner is not None:
            partner = hunk.lines[line.partner].text
            if line.sign == "-":
                spans, emphasis = word_spans(line.text, partner)[0], self._palette.removed_word
            else:
                spans, emphasis = word_spans(partner, line.text)[1], self._palette.added_word
        return _split_fragments(fragments, spans, style, emphasis)
