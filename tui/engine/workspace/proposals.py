"""Edit proposals: a file's old and new text with its diff split into hunks.

Tools compute proposals without touching disk. Applying one (whole, a chosen
subset of hunks, or a user-edited text) is a separate step, done only after
approval, and refused when the file changed on disk since the proposal was made.
"""

from __future__ import annotations

import difflib
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.permissions.pathguard import write_violation
from tui.engine.workspace.fileio import atomic_write, digest_bytes, encode_text

CONTEXT_LINES = 3


class StaleProposal(StepwiseError, RuntimeError):
    """The file changed on disk after the proposal was made."""


class WriteRefused(StepwiseError, PermissionError):
    """Applying would break a hard limit (outside the workspace, inside `.git/`)."""


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff.

    `changes` are the (old_start, old_end, new_start, new_end) line ranges
    (0-based, end exclusive) this hunk replaces; `lines` are its display lines
    prefixed with ' ', '-' or '+'.
    """

    index: int
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    changes: tuple[tuple[int, int, int, int], ...]
    lines: tuple[str, ...]

    @property
    def header(self) -> str:
        return f"@@ -{_range(self.old_start, self.old_len)} +{_range(self.new_start, self.new_len)} @@"

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.startswith("+"))

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.startswith("-"))


def _range(start: int, length: int) -> str:
    # Unified diff ranges are 1-based; an empty range names the line before it.
    first = start + 1 if length else start
    return f"{first},{length}" if length != 1 else f"{first}"


@dataclass(frozen=True)
class Proposal:
    path: Path
    """Absolute, resolved path."""
    rel_path: str
    """Workspace-relative POSIX path, for display and the log."""
    old_text: str | None
    """Current content (`\\n` endings), None when the file does not exist yet."""
    new_text: str
    newline: str = "\n"
    old_digest: str | None = None
    """sha256 of the bytes on disk when the proposal was made (None: no file)."""
    mode: int | None = None
    explanation: str = ""
    hunks: tuple[Hunk, ...] = field(default=())

    @classmethod
    def build(
        cls,
        path: Path,
        rel_path: str,
        old_text: str | None,
        new_text: str,
        *,
        newline: str = "\n",
        old_digest: str | None = None,
        mode: int | None = None,
        explanation: str = "",
    ) -> Proposal:
        return cls(
            path=path,
            rel_path=rel_path,
            old_text=old_text,
            new_text=new_text,
            newline=newline,
            old_digest=old_digest,
            mode=mode,
            explanation=explanation,
            hunks=compute_hunks(old_text or "", new_text),
        )

    @property
    def is_new_file(self) -> bool:
        return self.old_text is None

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @cached_property
    def diff(self) -> str:
        return unified_diff(self.rel_path, self.old_text, self.new_text, self.hunks)

    def text_with_hunks(self, selected: list[int] | set[int]) -> str:
        """The new text with only the `selected` hunks applied to the old text."""
        return apply_hunks(self.old_text or "", self.new_text, self.hunks, set(selected))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running inside the block.

    `SequenceMatcher` allocates a list per distinct line (20,000 for a
    20,000-line file). They hold no cycles and refcounting frees them, but
    their sheer number triggers collections, now and then a full one over the
    whole app's heap (30-100 ms). Only re-enabled here if it was enabled on entry.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compute_hunks(old: str, new: str, context: int = CONTEXT_LINES) -> tuple[Hunk, ...]:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    # autojunk stays off: on by default, it treats lines that repeat a lot
    # (blank lines, closing braces) as junk and gives worse, different hunks.
    with _cyclic_gc_paused():
        groups = list(difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_grouped_opcodes(context))
    hunks: list[Hunk] = []
    for group in groups:
        lines: list[str] = []
        changes: list[tuple[int, int, int, int]] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(" " + _display(line) for line in old_lines[i1:i2])
                continue
            changes.append((i1, i2, j1, j2))
            lines.extend("-" + _display(line) for line in old_lines[i1:i2])
            lines.extend("+" + _display(line) for line in new_lines[j1:j2])
        first, last = group[0], group[-1]
        hunks.append(
            Hunk(
                index=len(hunks),
                old_start=first[1],
                old_len=last[2] - first[1],
                new_start=first[3],
                new_len=last[4] - first[3],
                changes=tuple(changes),
                lines=tuple(lines),
            )
        )
    return tuple(hunks)


def _display(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line + "\n\\ No newline at end of file"


def unified_diff(rel_path: str, old: str | None, new: str, hunks: tuple[Hunk, ...]) -> str:
    """A `git diff`-style unified diff of the hunks."""
    if not hunks:
        return ""
    head = [
        f"--- {'/dev/null' if old is None else 'a/' + rel_path}",
        f"+++ b/{rel_path}",
    ]
    body: list[str] = []
    for hunk in hunks:
        body.append(hunk.header)
        body.extend(hunk.lines)
    return "\n".join(head + body) + "\n"


def apply_hunks(old: str, new: str, hunks: tuple[Hunk, ...], selected: set[int]) -> str:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for hunk in hunks:
        if hunk.index not in selected:
            continue
        for i1, i2, j1, j2 in hunk.changes:
            out.extend(old_lines[pos:i1])
            out.extend(new_lines[j1:j2])
            pos = i2
    out.extend(old_lines[pos:])
    return "".join(out)


@dataclass(frozen=True)
class AppliedEdit:
    """What landed on disk."""

    proposal: Proposal
    text: str
    hunks_applied: tuple[int, ...]
    edited_by_user: bool
    diff: str
    before: bytes | None
    after: bytes


def apply_proposal(
    proposal: Proposal,
    root: Path,
    *,
    hunks: list[int] | None = None,
    text: str | None = None,
    extra_roots: tuple[Path, ...] = (),
) -> AppliedEdit:
    """Write a proposal to disk: whole, only `hunks`, or the user's `text`.

    Raises:
        StaleProposal: the file changed on disk since the proposal was made.
        WriteRefused: the path breaks a hard limit.
    """
    violation = write_violation(root, proposal.path, extra_roots)
    if violation:
        raise WriteRefused(violation)
    try:
        before: bytes | None = proposal.path.read_bytes()
    except FileNotFoundError:
        before = None
    if (None if before is None else digest_bytes(before)) != proposal.old_digest:
        raise StaleProposal(
            f"{proposal.rel_path} changed on disk since this edit was proposed; "
            "read the file again and propose the edit anew"
        )
    all_hunks = tuple(h.index for h in proposal.hunks)
    if text is not None:
        final, applied, edited = text.replace("\r\n", "\n"), all_hunks, True
    elif hunks is not None:
        chosen = sorted(set(hunks) & set(all_hunks))
        final, applied, edited = proposal.text_with_hunks(chosen), tuple(chosen), False
    else:
        final, applied, edited = proposal.new_text, all_hunks, False
    after = encode_text(final, proposal.newline)
    atomic_write(proposal.path, after, mode=proposal.mode)
    landed = compute_hunks(proposal.old_text or "", final)
    return AppliedEdit(
        proposal=proposal,
        text=final,
        hunks_applied=applied,
        edited_by_user=edited,
        diff=unified_diff(proposal.rel_path, proposal.old_text, final, landed),
        before=before,
        after=after,
    )
