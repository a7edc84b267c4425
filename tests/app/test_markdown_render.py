"""Markdown rendered to lines in the theme's colours (the chat's renderer)."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.style import Style

from tui.app.markdown_render import MarkdownStyle, _console, render_markdown

SAMPLE = (
    "## Steps\n\nSome **bold**, _em_, ~~gone~~ and `code`; see [docs](https://example.com).\n\n"
    "1. one\n2. two\n   - nested\n\n> quoted\n\n```python\ndef f():\n    return 1\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n### Done\n"
)
VARIABLES = {
    "background": "#101010",
    "foreground": "#e0e0e0",
    "foreground-muted": "#E0E0E099",
    "text-primary": "#57A5E2",
    "text-warning": "#FFC473",
    "surface": "#1E1E1E",
    "border": "#0178D4",
    "text-muted": "auto 60%",
    "markdown-h2-color": "ansi_magenta",
    "markdown-h2-background": "transparent",
    "markdown-h2-text-style": "underline",
}


def _text(lines) -> list[str]:
    return ["".join(segment.text for segment in line) for line in lines]


def test_renders_as_rich_markdown_does_with_the_same_options() -> None:
    style = MarkdownStyle.from_variables(VARIABLES, "monokai")
    ours = render_markdown(SAMPLE, 60, style)
    console: Console = _console(style)
    rich = console.render_lines(
        Markdown(SAMPLE, code_theme="monokai", hyperlinks=False),
        console.options.update(width=60),
        pad=False,
        new_lines=False,
    )
    assert ours == rich
    assert "(https://example.com)" in " ".join(_text(ours))  # a link shows where it goes


def test_headings_are_aligned_left_at_every_level() -> None:
    lines = _text(render_markdown("# Title\n", 40, MarkdownStyle.from_variables(VARIABLES, "monokai")))
    assert lines[0].startswith("Title")


def test_theme_variables_become_markdown_styles() -> None:
    styles = dict(MarkdownStyle.from_variables(VARIABLES, "monokai").styles)
    assert styles["markdown.code"] == Style(color="#FFC473", bgcolor="#1E1E1E")
    heading = styles["markdown.h2"]  # an ANSI colour name; "transparent" means no background
    assert heading.color is not None and heading.color.number == 5 and heading.underline and heading.bgcolor is None
    # A translucent colour is blended over the background; contrast forms ("auto 60%") are left out.
    muted = styles["markdown.hr"].color
    assert muted is not None and muted.triplet is not None and muted.triplet.red < 0xE0
    assert styles["markdown.block_quote"] == Style(color=muted, italic=True)


def test_blank_text_renders_no_lines() -> None:
    assert render_markdown(" \n\n", 40, MarkdownStyle.from_variables(VARIABLES, "monokai")) == []
