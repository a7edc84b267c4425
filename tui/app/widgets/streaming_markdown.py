"""Assistant Markdown that streams in: one widget holding rendered lines.

A reply is drawn with the Line API (`render_line`), from lines rendered by
`tui.app.markdown_render`, instead of as one Textual widget per Markdown
block: a long reply used to become thousands of widgets, and every layout of
the screen visited them all. Here a reply is one widget whatever its length.

The text is kept in parts cut at safe places (`tui.app.markdown_split`), each
rendered once per width and theme, so a streamed append re-renders only the
last part and finishing re-renders nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tui.app.event_batch import FRAME_S
from tui.app.markdown_split import CutFinder, has_link_definitions
from tui.app.themes import pygments_style_of
from tui.engine.exec.terminal_text import show_controls

if TYPE_CHECKING:
    # Imported on first render: Rich's Markdown and its parser are not needed for the first frame.
    from tui.app.markdown_render import Line, MarkdownStyle

PART_CHARS = 1_000
"""A new part starts at the first safe cut after this many characters."""
RENDER_BUDGET_CHARS = 20_000
"""Characters of one reply rendered in one layout; the parts above them (a long
reply resumed, resized or arriving in a burst) are rendered in the next
frames, the nearest to the end first."""
_MAX_WIDTHS = 2
"""Widths whose rendering a part keeps (a layout may measure with and without a scrollbar)."""

_styles: WeakKeyDictionary[App[object], tuple[str, MarkdownStyle]] = WeakKeyDictionary()


def markdown_style(app: App[object]) -> MarkdownStyle:
    """The Markdown colours of `app`'s current theme (computed once per theme)."""
    from tui.app.markdown_render import MarkdownStyle

    cached = _styles.get(app)
    if cached is not None and cached[0] == app.theme:
        return cached[1]
    style = MarkdownStyle.from_variables(app.get_css_variables(), pygments_style_of(app))
    _styles[app] = (app.theme, style)
    return style


@dataclass
class _Part:
    """`received[start:end]`, rendered as its own Markdown document."""

    start: int
    end: int
    lines: dict[int, list[Line]] = field(default_factory=dict)
    """Rendered lines by width; emptied when the text or the theme changes."""


class StreamingMarkdown(Widget):
    """Assistant Markdown fed in small pieces and drawn from rendered lines.

    - pending text is appended at most once per frame, to the last part only;
    - a new part starts at a safe cut once the last holds `PART_CHARS`
      characters, so an append re-renders a bounded tail;
    - a text with a link reference definition stays one document, since any
      part may use the definition;
    - at most `RENDER_BUDGET_CHARS` characters of the reply are rendered per
      layout, the end first (what an anchored chat shows), so one long reply
      never blocks the event loop for long (the chat bounds how much history
      it builds at once, `HISTORY_CHARS`);
    - the theme-change subscription ends on unmount, so a pruned reply is freed.
    """

    DEFAULT_CSS = """
    StreamingMarkdown {
        height: auto;
    }
    """

    def __init__(self, markdown: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        """Create the widget.

        Args:
            markdown: Text shown at once (a resumed message); more can be fed.
            id: Widget id.
            classes: CSS classes.
        """
        super().__init__(id=id, classes=classes)
        self._backfill_timer: Timer | None = None
        self._style: MarkdownStyle | None = None
        self._base_style = Style()
        self._pending = False
        """Some parts are not rendered at `_layout_width` yet."""
        self._start(show_controls(markdown))

    def _start(self, text: str) -> None:
        """Reset to `text` as the whole content, rendered with the next layout."""
        self._text = text
        self._fed: list[str] = []
        """Pieces fed since `_text` was last brought up to date (joined once, not per piece)."""
        self._shown = 0
        """How much of `received` the parts hold."""
        self._parts: list[_Part] = []
        self._layout_width = -1
        self._line_starts: list[int] = []
        """First line of each part at `_layout_width`."""
        self._height = 0
        self._cuts = CutFinder()
        self._whole = False
        """A link definition was seen: the reply is one document."""

    # --- feeding -----------------------------------------------------------------

    @property
    def received(self) -> str:
        """Everything fed so far (sanitised)."""
        if self._fed:
            self._text += "".join(self._fed)
            self._fed.clear()
        return self._text

    @property
    def source(self) -> str:
        """The Markdown the parts hold (what is or is about to be on screen)."""
        return self.received[: self._shown]

    def feed(self, text: str) -> None:
        """Append a piece of Markdown; it is rendered with the next layout.

        Pieces arriving between two frames cost one render of the last part.

        Args:
            text: Raw model text (sanitised here).
        """
        clean = show_controls(text)
        if clean:
            self._fed.append(clean)
            self.refresh(layout=True)

    def update(self, text: str) -> None:
        """Show `text` instead of what was fed; nothing is rendered again when it is the same.

        Args:
            text: The whole Markdown text, raw (the complete reply once an
                `AssistantMessage` arrives, a plan to approve).
        """
        if (clean := show_controls(text)) != self.received:
            self._start(clean)
            self.refresh(layout=True)

    def _show_received(self) -> None:
        """Move the text received since the last layout into the parts: the last part's tail, then new parts."""
        text = self.received
        start, end = self._shown, len(text)
        if end <= start and self._parts:
            return
        self._shown = end
        # A definition may have begun in the previous piece: look from the start of its line.
        line_start = text.rfind("\n", 0, start) + 1
        if not self._whole and has_link_definitions(text[line_start:end]):
            self._whole = True
            self._parts = []
        if not self._parts:
            self._parts.append(_Part(0, 0))
        last = self._parts[-1]
        for cut in self._cuts.scan(text):
            if not self._whole and cut - last.start >= PART_CHARS:
                last.end = cut
                last.lines.clear()
                last = _Part(cut, cut)
                self._parts.append(last)
        last.end = end
        last.lines.clear()
        self._layout_width = -1

    @property
    def part_count(self) -> int:
        """How many Markdown documents the text is cut into."""
        return len(self._parts)

    @property
    def complete(self) -> bool:
        """Everything fed is in the parts and every part is rendered at the current width."""
        return self._shown == len(self.received) and self._layout_width == self.size.width and not self._pending

    # --- rendering ---------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def on_unmount(self) -> None:
        # The signal's callback holds the widget: without this a pruned or cleared reply stays in memory.
        self.app.theme_changed_signal.unsubscribe(self)

    def _on_theme_changed(self, _theme: object) -> None:
        self._layout_width = -1  # the next layout restyles: Markdown colours and the base style
        self.refresh(layout=True)

    def _restyle(self) -> None:
        style = markdown_style(self.app)
        if style != self._style:
            self._style = style
            for part in self._parts:
                part.lines.clear()
            self._layout_width = -1

    def _layout(self, width: int) -> None:
        """Render what is missing at `width` (within the budget) and index the lines."""
        self._show_received()
        if width == self._layout_width:
            return
        from tui.app.markdown_render import render_markdown

        self._restyle()
        assert self._style is not None
        self._base_style = self.rich_style  # a walk up the DOM: once per layout, not per line drawn
        budget = RENDER_BUDGET_CHARS
        self._pending = False
        for index in range(len(self._parts) - 1, -1, -1):
            part = self._parts[index]
            if width in part.lines:
                continue
            if budget <= 0:
                self._pending = True
                break
            text = self.received[part.start : part.end]
            budget -= len(text)
            lines = render_markdown(text, width, self._style)
            if index and lines:
                lines.insert(0, [])  # the blank line between two blocks of one document
            if len(part.lines) >= _MAX_WIDTHS:
                part.lines.clear()
            part.lines[width] = lines
        starts, height = [], 0
        for part in self._parts:
            starts.append(height)
            height += len(part.lines.get(width, ()))
        self._line_starts, self._height, self._layout_width = starts, height, width
        if self._pending and self._backfill_timer is None:
            self._backfill_timer = self.set_timer(FRAME_S, self._backfill)

    def _backfill(self) -> None:
        self._backfill_timer = None
        self._layout_width = -1
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._layout(width)
        return self._height

    def _line(self, y: int) -> Line | None:
        """Line `y` at the laid-out width, if there is one."""
        if not 0 <= y < self._height:
            return None
        index = bisect_right(self._line_starts, y) - 1
        lines = self._parts[index].lines.get(self._layout_width)
        return None if lines is None else lines[y - self._line_starts[index]]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._layout(width)
        segments = self._line(y)
        if segments is None:
            return Strip.blank(width, self.rich_style)
        # Styled and padded here, for the lines on screen only: most of a long reply never is.
        base = self._base_style
        line = Strip(segments).apply_style(base).crop_extend(0, width, base)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = self._select(line, *span)
        return line.apply_offsets(0, y)

    # --- selection -----------------------------------------------------------------

    def _select(self, line: Strip, start: int, end: int) -> Strip:
        """`line` with characters `start` to `end` (-1: the end) in the selection style."""
        end = line.cell_length if end == -1 else end
        style = self.screen.get_component_rich_style("screen--selection")
        before, middle, after = line.divide([start, end, line.cell_length])
        selected = Strip(list(Segment.apply_style(middle, post_style=style)))
        return Strip.join([before, selected, after])

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        self._layout(self.size.width)  # text or theme may have changed since the last layout
        lines = (self._line(y) for y in range(self._height))
        text = "\n".join("".join(segment.text for segment in line).rstrip() for line in lines if line is not None)
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
