"""The diff model: files, hunks and numbered lines, from unified diff text or a proposal.

`parse_unified_diff` reads any unified diff (a proposal's, or `git diff` output
with many files); `proposal_diff_files` builds the same model straight from a
proposal's hunks, without writing the diff out as text and parsing it back.
All text passes through `highlight.sanitize`, so control characters and escape
sequences in a file (or in a model's edit) are shown, never sent to the terminal.
No Textual in here: the diff pane (`widgets/diff_view.py`) draws this model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from tui.app.highlight import sanitize

if TYPE_CHECKING:
    from tui.engine.workspace.proposals import Proposal

NO_NEWLINE_MARKER = "\\"
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk, with its sanitized text and line numbers."""

    sign: str
    """' ' context, '-' removed, '+' added, '\\\\' the "No newline at end of file" marker."""
    text: str
    old_no: int | None
    new_no: int | None
    partner: int | None = None
    """Index (in the hunk) of the added line a removed line pairs with, or the reverse."""


@dataclass(frozen=True)
class DiffHunk:
    """One hunk: its header and numbered lines."""

    index: int
    """Position among all hunks of the diff shown (for a proposal: `Hunk.index`)."""
    file: int
    """Position of its file in the diff."""
    header: str
    lines: tuple[DiffLine, ...]

    # Cached: the pane's header row shows the counts on every frame.
    @cached_property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.sign == "+")

    @cached_property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.sign == "-")


@dataclass(frozen=True)
class DiffFile:
    """One file of a diff: its path, hunks and what a hunk cannot show."""

    path: str
    hunks: tuple[DiffHunk, ...]
    is_new_file: bool = False
    is_deleted: bool = False
    notes: tuple[str, ...] = ()
    """Things a hunk cannot show: "binary file", "renamed from x", ..."""

    @cached_property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @cached_property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)


def parse_unified_diff(text: str, path: str = "") -> tuple[DiffFile, ...]:
    """Parse a unified diff: one file (a proposal's diff) or many (`git diff`).

    Tolerant by design: unknown lines between files are skipped and a hunk
    ends early where its lines stop matching its header counts.

    Args:
        text: The diff text.
        path: The path to show when the diff names none (a bare hunk list).

    Returns:
        The files in diff order; empty when the text holds no diff.
    """
    parser = _DiffParser(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        parser.feed(line.removesuffix("\r"))
    return parser.finish()


def proposal_diff_files(proposal: Proposal) -> tuple[DiffFile, ...]:
    """The diff of a proposal, built from its hunks.

    The same model `parse_unified_diff(proposal.diff, proposal.rel_path)` gives
    (hunk indices match `proposal.hunks`), without writing the diff out as text
    and parsing it back.

    Args:
        proposal: The proposal.

    Returns:
        Its file (without hunks when the proposal changes nothing); hunk lines
        that contradict their header counts are read as the text parser would.
    """
    parser = _DiffParser(proposal.rel_path)
    parser.file = _FileDraft(new_path=proposal.rel_path, is_new_file=proposal.is_new_file)
    for hunk in proposal.hunks:
        # `Hunk` ranges are 0-based; the first shown line of either side is the next one.
        parser.start_hunk(hunk.header, hunk.old_start + 1, hunk.new_start + 1, hunk.old_len, hunk.new_len)
        for entry in hunk.lines:
            # A last line without newline carries its "\\ No newline" marker after a "\n".
            for line in entry.split("\n"):
                parser.feed(line.removesuffix("\r"))
    return parser.finish()


@dataclass
class _FileDraft:
    git_path: str = ""
    old_path: str | None = None
    new_path: str | None = None
    saw_old_header: bool = False
    is_new_file: bool = False
    is_deleted: bool = False
    notes: list[str] = field(default_factory=list)
    hunks: list[DiffHunk] = field(default_factory=list)

    def path(self, default: str) -> str:
        return self.new_path or self.old_path or self.git_path or default


@dataclass
class _HunkDraft:
    header: str
    old_no: int
    new_no: int
    old_left: int
    new_left: int
    lines: list[DiffLine] = field(default_factory=list)


class _DiffParser:
    """Reads diff lines one at a time into files and hunks (see `parse_unified_diff`)."""

    def __init__(self, default_path: str) -> None:
        self.default_path = default_path
        self.files: list[DiffFile] = []
        self.file: _FileDraft | None = None
        self.hunk: _HunkDraft | None = None
        self.hunk_count = 0

    def feed(self, line: str) -> None:
        if self.hunk is not None and self._feed_hunk(line):
            return
        if line.startswith("diff --git "):
            self._close_file()
            self.file = _FileDraft(git_path=_git_header_path(line[len("diff --git ") :]))
        elif line.startswith("--- "):
            if self.file is None or self.file.hunks or self.file.saw_old_header:
                self._close_file()
                self.file = _FileDraft()
            self.file.saw_old_header = True
            self.file.old_path = _header_path(line[4:])
            self.file.is_new_file |= self.file.old_path is None
        elif line.startswith("+++ ") and self.file is not None:
            self.file.new_path = _header_path(line[4:])
            self.file.is_deleted |= self.file.new_path is None
        elif line.startswith("@@"):
            self._open_hunk(line)
        elif self.file is not None:
            self._file_detail(self.file, line)

    def _file_detail(self, draft: _FileDraft, line: str) -> None:
        if line.startswith("new file mode"):
            draft.is_new_file = True
        elif line.startswith("deleted file mode"):
            draft.is_deleted = True
        elif line.startswith("rename from "):
            draft.notes.append("renamed from " + sanitize(line[len("rename from ") :]))
        elif line.startswith("Binary files "):
            draft.notes.append("binary file")

    def _open_hunk(self, line: str) -> None:
        match = _HUNK_HEADER.match(line)
        if match is None:
            return
        old_start, old_len, new_start, new_len = (
            int(match[1]),
            int(match[2] if match[2] is not None else 1),
            int(match[3]),
            int(match[4] if match[4] is not None else 1),
        )
        # An empty range names the line before it; the first shown line is the next one.
        self.start_hunk(
            line,
            old_start if old_len else old_start + 1,
            new_start if new_len else new_start + 1,
            old_len,
            new_len,
        )

    def start_hunk(self, header: str, old_no: int, new_no: int, old_len: int, new_len: int) -> None:
        """Open a hunk whose first old/new lines are numbered `old_no`/`new_no`."""
        self._close_hunk()
        if self.file is None:
            self.file = _FileDraft()
        self.hunk = _HunkDraft(
            header=sanitize(header),
            old_no=old_no,
            new_no=new_no,
            old_left=old_len,
            new_left=new_len,
        )

    def _feed_hunk(self, line: str) -> bool:
        """Add `line` to the open hunk; False (and the hunk closed) when it is not part of it."""
        hunk = self.hunk
        assert hunk is not None
        if line.startswith(NO_NEWLINE_MARKER):
            hunk.lines.append(DiffLine(NO_NEWLINE_MARKER, sanitize(line[1:].strip()), None, None))
            return True
        sign = line[:1] or " "  # some tools strip the space of an empty context line
        fits = (
            (sign == " " and hunk.old_left > 0 and hunk.new_left > 0)
            or (sign == "-" and hunk.old_left > 0)
            or (sign == "+" and hunk.new_left > 0)
        )
        if not fits:
            self._close_hunk()
            return False
        text = sanitize(line[1:])
        if sign == " ":
            hunk.lines.append(DiffLine(" ", text, hunk.old_no, hunk.new_no))
            hunk.old_no, hunk.new_no = hunk.old_no + 1, hunk.new_no + 1
            hunk.old_left, hunk.new_left = hunk.old_left - 1, hunk.new_left - 1
        elif sign == "-":
            hunk.lines.append(DiffLine("-", text, hunk.old_no, None))
            hunk.old_no, hunk.old_left = hunk.old_no + 1, hunk.old_left - 1
        else:
            hunk.lines.append(DiffLine("+", text, None, hunk.new_no))
            hunk.new_no, hunk.new_left = hunk.new_no + 1, hunk.new_left - 1
        return True

    def _close_hunk(self) -> None:
        hunk, self.hunk = self.hunk, None
        if hunk is None or self.file is None:
            return
        self.file.hunks.append(
            DiffHunk(
                index=self.hunk_count,
                file=len(self.files),
                header=hunk.header,
                lines=_with_partners(hunk.lines),
            )
        )
        self.hunk_count += 1

    def _close_file(self) -> None:
        self._close_hunk()
        draft, self.file = self.file, None
        if draft is None:
            return
        self.files.append(
            DiffFile(
                path=sanitize(draft.path(self.default_path)),
                hunks=tuple(draft.hunks),
                is_new_file=draft.is_new_file,
                is_deleted=draft.is_deleted,
                notes=tuple(draft.notes),
            )
        )

    def finish(self) -> tuple[DiffFile, ...]:
        self._close_file()
        return tuple(self.files)


def _header_path(value: str) -> str | None:
    """The path of a `---`/`+++` line: None for /dev/null, git's a/ b/ prefix dropped."""
    value = value.split("\t", 1)[0].strip()
    if value == "/dev/null":
        return None
    if value.startswith(("a/", "b/")):
        return value[2:]
    return value


def _git_header_path(value: str) -> str:
    """The new path of a `diff --git a/x b/y` line (spaces in paths are ambiguous; best effort)."""
    head, sep, tail = value.partition(" b/")
    if sep:
        return tail
    return head.removeprefix("a/")


def change_blocks(lines: Sequence[DiffLine]) -> Iterator[tuple[list[int], list[int]]]:
    """Group hunk lines into (old side, new side) index lists.

    Context lines come as a block with the same index on both sides; a run of
    removed and added lines comes as one block with each side's indices (a
    no-newline marker goes to the side of the line it follows).
    """
    i, count = 0, len(lines)
    while i < count:
        if lines[i].sign not in "-+":
            yield [i], [i]
            i += 1
            continue
        olds: list[int] = []
        news: list[int] = []
        last = "-"
        while i < count and lines[i].sign in "-+" + NO_NEWLINE_MARKER:
            sign = lines[i].sign
            last = sign if sign != NO_NEWLINE_MARKER else last
            (olds if last == "-" else news).append(i)
            i += 1
        yield olds, news


def _with_partners(lines: list[DiffLine]) -> tuple[DiffLine, ...]:
    """The lines with each removed line paired to the added line at the same place in its run."""
    partners: dict[int, int] = {}
    for olds, news in change_blocks(lines):
        removed = [i for i in olds if lines[i].sign == "-"]
        added = [i for i in news if lines[i].sign == "+"]
        for old, new in zip(removed, added, strict=False):
            partners[old], partners[new] = new, old
    return tuple(
        DiffLine(line.sign, line.text, line.old_no, line.new_no, partners[i]) if i in partners else line
        for i, line in enumerate(lines)
    )
