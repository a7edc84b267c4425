"""Text a terminal would interpret, made safe: shown visibly, or removed.

Model text, command output and names from files reach the screen through
these: an escape sequence, a carriage return or a bidi override must never
redraw what the user sees (`touch p #\\r$ git status` cannot pass for
`$ git status`). Kept apart from the command runner (`terminal.py`) so that the
app's widgets load nothing of it.
"""

from __future__ import annotations

import re

__all__ = ["StreamSanitizer", "sanitize_terminal_text", "show_controls"]

_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                      # CSI: colours, cursor moves
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?    # OSC: titles, hyperlinks
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c\n]* (?:\x1b\\|\x9c)?  # DCS, SOS, PM, APC
    | \x1b [ -/]* [0-~]                                        # other ESC sequences (charset, keypad)
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PARTIAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b\n]*|[PX^_][^\x1b\n]*|[ -/]*)\Z")
_MAX_CARRY = 4096
"""Held-back text (a cut escape sequence, a progress line) is released past this size."""


_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
"""Characters a terminal interprets or does not show: controls (ESC, `\\r`, C1), bidi overrides and
isolates, zero-width and line-separator characters. Newlines and tabs are text."""


def show_controls(text: str) -> str:
    """`text` with every character a terminal would interpret, or not show, written out visibly:
    `\\r`, `\\x1b`, `U+202E`. Nothing is dropped, so what is shown is what is there
    (`touch p #\\r$ git status` cannot pass for `$ git status`); one character at a time, so it is
    safe on streamed chunks."""
    return _INVISIBLE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"U+{code:04X}"


def sanitize_terminal_text(text: str) -> str:
    """Text safe to show or send: escape sequences and control characters removed.

    Newlines and tabs stay. A carriage return that overwrites a line (progress
    bars) keeps only the last non-empty version of that line.
    """
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(_last_overwrite(line) for line in text.split("\n"))
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)


def _last_overwrite(line: str) -> str:
    if "\r" not in line:
        return line
    parts = [part for part in line.split("\r") if part]
    return parts[-1] if parts else ""


class StreamSanitizer:
    """Sanitises a stream chunk by chunk.

    An escape sequence split across chunks, or a line still being redrawn, is
    held back until it is complete.
    """

    def __init__(self) -> None:
        self._carry = ""

    def feed(self, chunk: str) -> str:
        text = self._carry + chunk
        cut = len(text)
        partial = _PARTIAL_ESCAPE.search(text)
        if partial:
            cut = partial.start()
        # A line still being overwritten with \r (a progress bar) waits for its final version.
        line_start = text.rfind("\n", 0, cut) + 1
        if "\r" in text[line_start:cut]:
            cut = line_start
        if len(text) - cut > _MAX_CARRY:
            cut = len(text)
        self._carry = text[cut:]
        return sanitize_terminal_text(text[:cut])

    def flush(self) -> str:
        text, self._carry = self._carry, ""
        return sanitize_terminal_text(text)
