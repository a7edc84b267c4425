"""Where a long Markdown text can be cut into documents that render exactly as the whole.

A streamed reply is kept as several Markdown documents so each append
re-renders only the last one. A cut is safe only where no block
spans it and the next block has no top margin: after a blank line, outside any
fenced code or raw HTML block, before a line that starts with a letter (so the
block after the cut is a paragraph, never a list item, heading, quote, table,
fence or indented code). A link reference definition can be used anywhere in
a document, so a text holding one is never cut (`has_link_definitions`).

Pure text logic, no Textual: `tui.app.widgets.streaming_markdown` uses it.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_RAW_HTML = re.compile(r" {0,3}<(pre|script|style|textarea)(\s|>|$)", re.IGNORECASE)
_COMMENT = re.compile(r" {0,3}<!--")
# Also inside block quotes and list items: a definition there still serves the whole document.
_LINK_DEFINITION = re.compile(r"^(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t])))*[ \t]*\[[^\]\n]+\]:", re.MULTILINE)


def has_link_definitions(text: str) -> bool:
    """Whether `text` defines a link reference (`[name]: url`), which every part of the document can use."""
    return _LINK_DEFINITION.search(text) is not None


class CutFinder:
    """Finds safe cut offsets in a growing text, looking at each line once.

    Feed it the whole text so far each time (`scan`). A cut is reported as
    soon as the first character of its line arrives, so a streamed paragraph
    can start a new part before its line is complete.
    """

    def __init__(self) -> None:
        self._scanned = 0
        """Offset of the first line not complete yet."""
        self._judged = -1
        """Offset of the incomplete line already judged as a cut or not."""
        self._closer: re.Pattern[str] | None = None
        """Ends the fenced code or raw HTML block the scan is inside, if any."""
        self._after_blank = True

    def scan(self, text: str) -> list[int]:
        """Offsets (in `text`) of the safe cuts at lines begun since the last call.

        Args:
            text: The whole text so far; it only ever grows.
        """
        cuts: list[int] = []
        start = self._scanned
        while start < len(text):
            if self._judged != start:
                self._judged = start
                if self._after_blank and self._closer is None and text[start].isalpha():
                    cuts.append(start)
            end = text.find("\n", start)
            if end < 0:
                break
            self._line(text[start:end])
            start = end + 1
        self._scanned = start
        return cuts

    def _line(self, line: str) -> None:
        """Advance the state over one complete line."""
        self._after_blank = not line.strip()
        if self._closer is not None:
            if self._closer.search(line):
                self._closer = None
            return
        fence = _FENCE.match(line)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            mark = fence.group(1)
            self._closer = re.compile(rf"^ {{0,3}}{re.escape(mark[0])}{{{len(mark)},}}\s*$")
            return
        raw = _RAW_HTML.match(line)
        if raw:
            closer = re.compile(rf"</{raw.group(1)}>", re.IGNORECASE)
            if not closer.search(line, raw.end()):
                self._closer = closer
            return
        comment = _COMMENT.match(line)
        if comment and "-->" not in line[comment.end() :]:
            self._closer = re.compile("-->")
