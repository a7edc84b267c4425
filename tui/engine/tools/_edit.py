"""What the edit tools share: finding the text to replace, building proposals, applying them.

`prepare` reads the file and computes the new text (`replace_once`), so the
approval shows the exact diff; `apply_edits` writes what the user approved
(everything, some hunks, or their own text) and tells the model what landed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui.engine.permissions.pathguard import write_violation
from tui.engine.session.approval import Approval, ApprovalKind
from tui.engine.tools._files import display_path
from tui.engine.tools.base import Action, ToolContext, ToolInputError, ToolOutput
from tui.engine.workspace.fileio import MAX_FILE_BYTES, FileRefused, file_digest, read_text
from tui.engine.workspace.proposals import AppliedEdit, Proposal, StaleProposal, WriteRefused, apply_proposal

MAX_REPORTED_DIFF_CHARS = 8_000
"""A user-edited result is shown to the model as a diff cut to this size."""


@dataclass(frozen=True)
class FileState:
    """A file as an edit tool found it (`text` is None when it does not exist)."""

    path: Path
    rel: str
    text: str | None
    newline: str = "\n"
    digest: str | None = None
    mode: int | None = None

    def propose(self, new_text: str, explanation: str = "") -> Proposal:
        """The proposal to write `new_text`.

        Raises:
            ToolInputError: the new content is over the size limit for files stepwise edits.
        """
        size = len(new_text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise ToolInputError(
                f"the new content of {self.rel} is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit "
                "for files stepwise writes; split it into smaller files"
            )
        return Proposal.build(
            self.path,
            self.rel,
            self.text,
            new_text,
            newline=self.newline,
            old_digest=self.digest,
            mode=self.mode,
            explanation=explanation,
        )


def load(root: Path, path: Path, *, must_exist: bool = True) -> FileState:
    """Read the file an edit targets.

    Raises:
        ToolInputError: missing (when `must_exist`), a folder, binary, not UTF-8 or too large.
    """
    rel = display_path(root, path)
    try:
        current = read_text(path)
    except FileNotFoundError:
        if must_exist:
            raise ToolInputError(
                f"{rel} does not exist. Check the path with file_search or list_dir, "
                "or use create_file to create a new file"
            ) from None
        return FileState(path, rel, None)
    except FileRefused as exc:
        raise ToolInputError(str(exc)) from None
    except OSError as exc:
        raise ToolInputError(f"cannot read {rel}: {exc.strerror or exc}") from None
    return FileState(path, rel, current.text, current.newline, current.digest, current.mode)


def replace_text(text: str, old: str, new: str, *, rel: str, replace_all: bool = False) -> str:
    """`text` with `old` replaced by `new`: exactly one occurrence, or all with `replace_all`.

    When `old` is not found exactly, a match that differs only in indentation
    and trailing whitespace is used if it is unique (the replacement is
    re-indented to match the file).

    Raises:
        ToolInputError: no match, several matches, empty or identical strings.
    """
    old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    if old == new:
        raise ToolInputError("oldString and newString are identical; there is nothing to change")
    if not old:
        raise ToolInputError(
            f"oldString is empty. Copy the exact text to replace from {rel}, "
            "with a few lines of context so that it matches only once"
        )
    starts = _occurrences(text, old)
    if len(starts) == 1 or (starts and replace_all):
        return text.replace(old, new)
    if len(starts) > 1:
        raise ToolInputError(
            f"oldString matches {len(starts)} times in {rel} (lines {_line_list(text, starts)}). "
            "Include more surrounding lines so that it matches exactly once"
        )
    return _replace_tolerant(text, old, new, rel=rel, replace_all=replace_all)


def _occurrences(text: str, needle: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), text)]


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _line_list(text: str, starts: list[int], limit: int = 10) -> str:
    lines = [str(_line_of(text, s)) for s in starts[:limit]]
    return ", ".join(lines) + (", ..." if len(starts) > limit else "")


def _replace_tolerant(text: str, old: str, new: str, *, rel: str, replace_all: bool) -> str:
    """Match `old` line by line ignoring leading and trailing whitespace."""
    file_lines = text.split("\n")
    old_lines = old.strip("\n").split("\n")
    wanted = [line.strip() for line in old_lines]
    size = len(wanted)
    found = [
        i for i in range(len(file_lines) - size + 1) if [line.strip() for line in file_lines[i : i + size]] == wanted
    ]
    if not found or (len(found) > 1 and not replace_all):
        raise ToolInputError(_not_found_message(text, old_lines, rel, found))
    new_lines = new.strip("\n").split("\n") if new.strip("\n") else []
    old_indent = _indent(old_lines)
    out: list[str] = []
    pos = 0
    for start in found:
        if start < pos:  # overlapping match: already replaced
            continue
        file_indent = _indent(file_lines[start : start + size])
        out.extend(file_lines[pos:start])
        out.extend(_reindent(line, old_indent, file_indent) for line in new_lines)
        pos = start + size
    out.extend(file_lines[pos:])
    return "\n".join(out)


def _not_found_message(text: str, old_lines: list[str], rel: str, found: list[int]) -> str:
    if found:
        lines = ", ".join(str(i + 1) for i in found[:10])
        return (
            f"oldString is not in {rel} exactly; ignoring indentation it matches {len(found)} times "
            f"(lines {lines}). Copy the text exactly and include more surrounding lines"
        )
    message = (
        f"oldString was not found in {rel}. Read the file again (it may have changed) and copy "
        "the text exactly, including whitespace and indentation"
    )
    first = next((line.strip() for line in old_lines if line.strip()), "")
    if first:
        hits = [i + 1 for i, line in enumerate(text.split("\n")) if first in line]
        if hits:
            where = ", ".join(str(n) for n in hits[:10])
            message += f". Its first line appears at line {where}; the lines after it differ"
    return message


def _indent(lines: list[str]) -> str:
    for line in lines:
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def _reindent(line: str, old_indent: str, file_indent: str) -> str:
    if line.startswith(old_indent) and line.strip():
        return file_indent + line[len(old_indent) :]
    return line


# --- applying ---------------------------------------------------------------


async def apply_edits(action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
    """Write the action's proposals as approved and describe the outcome for the model.

    Every proposal is checked (hard limits, unchanged on disk) before anything
    is written, so a stale file fails the whole call without a partial edit.
    """
    for proposal in action.proposals:
        problem = _precheck(proposal, ctx.root, ctx.extra_roots)
        if problem:
            return ToolOutput(problem, is_error=True)
    applied: list[AppliedEdit] = []
    notes: list[str] = []
    for index, proposal in enumerate(action.proposals):
        hunks, text = _choice(approval, index)
        if hunks is not None and not hunks and proposal.hunks:
            notes.append(f"The user rejected every change to {proposal.rel_path}; it was not modified.")
            continue
        try:
            edit = apply_proposal(proposal, ctx.root, hunks=hunks, text=text, extra_roots=ctx.extra_roots)
        except (StaleProposal, WriteRefused, FileRefused) as exc:
            return _failed(applied, notes, f"{proposal.rel_path}: {exc}")
        except OSError as exc:
            return _failed(applied, notes, f"could not write {proposal.rel_path}: {exc.strerror or exc}")
        applied.append(edit)
        notes.append(_describe(edit))
    return ToolOutput("\n".join(notes), edits=applied)


def _precheck(proposal: Proposal, root: Path, extra_roots: tuple[Path, ...]) -> str | None:
    violation = write_violation(root, proposal.path, extra_roots)
    if violation:
        return f"Refused: {violation}"
    try:
        digest = file_digest(proposal.path)
    except OSError as exc:
        return f"{proposal.rel_path} can no longer be read: {exc.strerror or exc}"
    if digest != proposal.old_digest:
        return (
            f"{proposal.rel_path} changed on disk since this edit was proposed; nothing was written. "
            "Read the file again and propose the edit anew"
        )
    return None


def _choice(approval: Approval, index: int) -> tuple[list[int] | None, str | None]:
    """(hunks, text) for proposal `index`; a proposal the approval does not mention is applied whole."""
    if approval.kind == ApprovalKind.HUNKS and index in approval.hunks:
        return list(approval.hunks[index]), None
    if approval.kind == ApprovalKind.EDITED and index in approval.text:
        return None, approval.text[index]
    return None, None


def _describe(edit: AppliedEdit) -> str:
    proposal = edit.proposal
    if edit.edited_by_user:
        diff = edit.diff or "(no change: the file is as it was)\n"
        if len(diff) > MAX_REPORTED_DIFF_CHARS:
            diff = diff[:MAX_REPORTED_DIFF_CHARS] + "\n[... diff cut ...]\n"
        return (
            f"The user edited your proposal for {proposal.rel_path} before applying it. "
            f"The change that landed (against the file before your edit):\n{diff}"
            "Read the file before editing it again."
        )
    total = len(proposal.hunks)
    if total and len(edit.hunks_applied) < total:
        rejected = sorted(set(range(total)) - set(edit.hunks_applied))
        return (
            f"Applied {len(edit.hunks_applied)} of {total} hunks to {proposal.rel_path}; "
            f"the user rejected the others (hunk {', '.join(str(i + 1) for i in rejected)}). "
            f"What landed:\n{edit.diff}"
        )
    verb = "Created" if proposal.is_new_file else "Edited"
    lines = edit.text.count("\n") + (0 if edit.text.endswith("\n") or not edit.text else 1)
    if proposal.is_new_file:
        return f"{verb} {proposal.rel_path} ({lines} lines)."
    if not proposal.hunks:
        return f"{proposal.rel_path} already had this content; nothing changed."
    return f"{verb} {proposal.rel_path} (+{proposal.added} -{proposal.removed} lines)."


def _failed(applied: list[AppliedEdit], notes: list[str], reason: str) -> ToolOutput:
    done = " Already applied before the failure:\n" + "\n".join(notes) if applied else " Nothing was written."
    return ToolOutput(f"Edit failed: {reason}.{done}", is_error=True, edits=applied)
