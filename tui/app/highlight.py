"""Syntax highlighting and word-level change emphasis for diff lines.

Pure functions over strings, with no Textual in them: Pygments tokens become
Rich styles, and the words that differ between a removed line and the added
line it pairs with become character spans. The diff pane calls these from a
worker thread (highlighting) and while rendering (emphasis); both are cached by
content, so scrolling back and forth or re-showing a diff costs nothing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePosixPath

from rich.style import Style

Fragment = tuple[str, Style]
"""A run of text with its syntax style."""
StyledLine = tuple[Fragment, ...]
"""One display line as syntax-styled fragments (no newline)."""
Span = tuple[int, int]
"""A `[start, end)` character range inside a line."""

TAB_SIZE = 4
MIN_WORD_SIMILARITY = 0.4
"""Below this token similarity two paired lines are simply different: emphasising
nearly every word would be noise, so nothing is emphasised."""
MAX_WORD_TOKENS = 400
"""Word diffs of longer lines are skipped: difflib is quadratic and this runs
while rendering."""

_NULL_STYLE = Style()
_WORD_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Bidi overrides and isolates can make code read differently from how it runs
# ("Trojan Source"); they are shown as replacement characters, never obeyed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def sanitize(text: str, tab_size: int = TAB_SIZE) -> str:
    """Make one line of untrusted text safe and predictable to display.

    Tabs are expanded; C0 controls (ESC included) and DEL become their visible
    Unicode "control picture" (so an escape sequence shows as `␛[31m` instead of
    reaching the terminal); C1 controls and bidi overrides become `�`.

    Args:
        text: A single line (newlines are control characters too).
        tab_size: Tab stop width.

    Returns:
        Text without any control character.
    """
    if "\t" in text:
        text = text.expandtabs(tab_size)
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=256)
def lexer_alias_for(path: str) -> str | None:
    """The Pygments lexer alias for a file name, or None to show plain text.

    Args:
        path: A file path; only its name is used.
    """
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    name = PurePosixPath(path.replace("\\", "/")).name
    if not name:
        return None
    try:
        lexer = get_lexer_for_filename(name)
    except ClassNotFound:
        return None
    return lexer.aliases[0] if lexer.aliases else None


@lru_cache(maxsize=4096)
def _token_style(style_name: str, token_type: object) -> Style:
    from pygments.styles import get_style_by_name

    spec = get_style_by_name(style_name).style_for_token(token_type)
    # The token background is ignored on purpose: the diff owns the background
    # (added/removed/emphasis colours), and the widget's theme owns the rest.
    return Style(
        color=f"#{spec['color']}" if spec["color"] else None,
        bold=spec["bold"] or None,
        italic=spec["italic"] or None,
        underline=spec["underline"] or None,
    )


@lru_cache(maxsize=512)
def _highlight_block(code: str, lexer_alias: str, style_name: str) -> tuple[StyledLine, ...]:
    from pygments.lexers import get_lexer_by_name

    # stripnl=False keeps leading/trailing blank lines so output lines align with input lines.
    lexer = get_lexer_by_name(lexer_alias, stripnl=False, ensurenl=True)
    lines: list[StyledLine] = []
    current: list[Fragment] = []
    for token_type, value in lexer.get_tokens(code):
        style = _token_style(style_name, token_type)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append(tuple(current))
                current = []
            if part:
                current.append((part, style))
    if current:
        lines.append(tuple(current))
    return tuple(lines)


def highlight_lines(lines: Sequence[str], path: str, style_name: str) -> list[StyledLine]:
    """Highlight consecutive lines of one file as a block (so multi-line strings
    and comments keep their colour).

    Args:
        lines: Sanitized lines without newlines.
        path: The file path, to pick the lexer from its name.
        style_name: A Pygments style name (unknown names fall back to plain text).

    Returns:
        One `StyledLine` per input line; plain fragments when no lexer fits.
    """
    plain: list[StyledLine] = [((line, _NULL_STYLE),) if line else () for line in lines]
    alias = lexer_alias_for(path)
    if alias is None or not lines:
        return plain
    from pygments.util import ClassNotFound

    try:
        styled = _highlight_block("\n".join(lines), alias, style_name)
    except ClassNotFound:
        return plain
    # A lexer never drops text, but guard the alignment rather than trust it.
    return [styled[i] if i < len(styled) else plain[i] for i in range(len(lines))]


def highlight_hunk(lines: Sequence[tuple[str, str]], path: str, style_name: str) -> list[StyledLine | None]:
    """Highlight the lines of one diff hunk, each side in its own context.

    The old side (context and removed lines) and the new side (context and
    added lines) are each highlighted as one block, so a removed line is
    coloured as it read before the change and an added line as it reads after.

    Args:
        lines: `(sign, text)` per hunk line; sign is ' ', '-', '+' or '\\\\'
            (the "No newline at end of file" marker, never highlighted).
        path: The file path, to pick the lexer.
        style_name: A Pygments style name.

    Returns:
        A `StyledLine` per hunk line, None for marker lines.
    """
    old_rows = [i for i, (sign, _) in enumerate(lines) if sign in " -"]
    new_rows = [i for i, (sign, _) in enumerate(lines) if sign in " +"]
    result: list[StyledLine | None] = [None] * len(lines)
    for row, styled in zip(old_rows, highlight_lines([lines[i][1] for i in old_rows], path, style_name), strict=True):
        result[row] = styled
    # Context lines take the new side's colouring; both sides agree on them anyway.
    for row, styled in zip(new_rows, highlight_lines([lines[i][1] for i in new_rows], path, style_name), strict=True):
        result[row] = styled
    return result


@lru_cache(maxsize=8192)
def word_spans(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The changed character ranges between a removed line and its added line.

    Lines are split into words, runs of whitespace and single punctuation marks;
    difflib matches those tokens, and every unmatched run becomes a span.

    Args:
        old: The removed line.
        new: The added line it pairs with.

    Returns:
        `(old_spans, new_spans)`, each sorted and non-overlapping; both empty
        when the lines are too different (or too long) for word emphasis to help.
    """
    old_tokens = _WORD_TOKEN.findall(old)
    new_tokens = _WORD_TOKEN.findall(new)
    if len(old_tokens) > MAX_WORD_TOKENS or len(new_tokens) > MAX_WORD_TOKENS:
        return (), ()
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    if matcher.ratio() < MIN_WORD_SIMILARITY:
        return (), ()
    old_offsets = _offsets(old_tokens)
    new_offsets = _offsets(new_tokens)
    old_spans: list[Span] = []
    new_spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((old_offsets[i1], old_offsets[i2]))
        if j2 > j1:
            new_spans.append((new_offsets[j1], new_offsets[j2]))
    return tuple(old_spans), tuple(new_spans)


def _offsets(tokens: list[str]) -> list[int]:
    """Start offset of each token, plus the end of the line."""
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets
