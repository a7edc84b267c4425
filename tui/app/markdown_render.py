"""Markdown rendered to lines of segments, in the app theme's colours.

The chat shows model text as lines rendered by Rich's Markdown (the same
markdown-it parser Textual's `Markdown` widget uses) instead of a tree of
Textual widgets: Rich renders about 0.6 us a character, Textual's widgets
cost about 20 us a character to build and lay out and make every later
layout slower. Colours come from the Textual theme's variables (the
`markdown-h1-color` family, `text-primary`, ...) so both look alike, and code
fences use the theme's Pygments style, as the diff pane does.

Links are shown with their address (`text (url)`), never as hidden terminal
hyperlinks: model text is untrusted, and what a link points at is part of
what the user reads.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Heading, Markdown, MarkdownElement
from rich.segment import Segment
from rich.style import Style
from rich.theme import Theme
from textual.color import Color

Line = list[Segment]
"""One rendered line, without a newline."""


class _Heading(Heading):
    """Headings aligned left at every level, as in Textual's Markdown (Rich centres `#`)."""

    LEVEL_ALIGN: ClassVar = dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "left")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt().enable("strikethrough").enable("table")


class _ChatMarkdown(Markdown):
    """Rich's Markdown with left-aligned headings and one shared parser.

    Rich builds a markdown-it parser (compiling its rules) for every document,
    about 0.3 ms; a streamed reply renders hundreds of documents. The
    attributes set here are those `Markdown.__init__` sets, with the same
    parser configuration (`tests/app/test_markdown_render.py` checks both
    render alike).
    """

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {**Markdown.elements, "heading_open": _Heading}

    def __init__(self, markup: str, code_theme: str) -> None:
        self.markup = markup
        self.parsed = _parser().parse(markup)
        self.code_theme = code_theme
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme


@dataclass(frozen=True)
class MarkdownStyle:
    """What Markdown colours depend on: the theme's resolved CSS variables and its Pygments style.

    Build it with `from_variables`; equal styles share one rendering console.
    """

    styles: tuple[tuple[str, Style], ...]
    code_theme: str

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], code_theme: str) -> MarkdownStyle:
        """Derive the Rich `markdown.*` styles from a Textual theme's CSS variables.

        Args:
            variables: `App.get_css_variables()` of the current theme.
            code_theme: Pygments style name for fenced code.
        """
        background = _color(variables.get("background"), None) or Color(0, 0, 0)

        def color(name: str) -> Color | None:
            return _color(variables.get(name), background)

        def style(fg: str | None = None, bg: str | None = None, text_style: str = "") -> Style:
            fore = color(fg) if fg else None
            back = color(bg) if bg else None
            base = Style.parse(text_style) if text_style and text_style != "none" else Style()
            return base + Style(
                color=fore.rich_color if fore else None,
                bgcolor=back.rich_color if back else None,
            )

        styles = {
            "markdown.code": style("text-warning", "surface"),
            "markdown.code_block": style("foreground", "surface"),
            "markdown.block_quote": style("foreground-muted", text_style="italic"),
            "markdown.list": style("text-primary"),
            "markdown.item.bullet": style("text-primary", text_style="bold"),
            "markdown.item.number": style("text-primary"),
            "markdown.hr": style("foreground-muted"),
            "markdown.link": style("text-primary", text_style="underline"),
            "markdown.link_url": style("foreground-muted"),
            "markdown.table.border": style("border"),
            "markdown.table.header": style("text-primary", text_style="bold"),
            "markdown.kbd": style("text-accent", text_style="bold"),
        }
        for level in range(1, 7):
            prefix = f"markdown-h{level}"
            styles[f"markdown.h{level}"] = style(
                f"{prefix}-color", f"{prefix}-background", variables.get(f"{prefix}-text-style", "")
            )
        return cls(tuple(styles.items()), code_theme)


def _color(value: str | None, background: Color | None) -> Color | None:
    """A theme variable as an opaque colour (blended over `background`), or None when transparent or unknown."""
    if not value or value == "transparent":
        return None
    try:
        parsed = Color.parse(value)
    except Exception:  # noqa: BLE001 - "auto 60%" and other contrast forms have no fixed colour
        return None
    if parsed.a < 1 and background is not None:
        return background + parsed
    return parsed


@lru_cache(maxsize=8)
def _console(style: MarkdownStyle) -> Console:
    return Console(
        file=io.StringIO(),
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        theme=Theme(dict(style.styles), inherit=True),
        highlight=False,
        emoji=False,
        width=80,
    )


def render_markdown(text: str, width: int, style: MarkdownStyle) -> list[Line]:
    """Render `text` as Markdown into lines of at most `width` cells.

    Args:
        text: Markdown source (already free of terminal controls).
        width: Cells per line (at least 1).
        style: Colours and code theme.

    Returns:
        The lines, unpadded; empty for blank text.
    """
    if not text.strip():
        return []
    console = _console(style)
    markdown = _ChatMarkdown(text, style.code_theme)
    options = console.options.update(width=max(width, 1))
    return console.render_lines(markdown, options, pad=False, new_lines=False)
