"""Review comments on the lines of a proposed edit, and how the model is told about them.

In the permission pane the user can leave one-line comments anchored to a
file and a line of the diff under review, on as many hunks as they like.
They travel with the answer (`Approval.comments`), are logged with the
decision (`PermissionDecision.comments`) and reach the model in the call's
tool_result as structured feedback: `path:line`, the quoted line, the
comment, and which hunks landed. The wording is defined here, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    from tui.engine.workspace.proposals import AppliedEdit, Proposal


class ReviewComment(TypedDict):
    """One comment, as approvals carry it and the session log stores it."""

    path: str
    """The file's workspace-relative path."""
    line: int
    """The line number on `side` (1-based)."""
    side: Literal["new", "old"]
    """`new`: a line of the proposed file (added or unchanged); `old`: a removed line."""
    quoted: str
    """The line's text, as shown."""
    comment: str
    hunk: int
    """The hunk's index in its proposal (0-based)."""


def anchor(comment: Mapping[str, Any]) -> str:
    """`app.py:12`, or `app.py:12 (removed line)` for a line of the old side."""
    where = f"{comment['path']}:{comment['line']}"
    return where if comment["side"] == "new" else f"{where} (removed line)"


def comment_note(comment: Mapping[str, Any]) -> str:
    """A comment in one line, for the chat, the replay viewer and export: `Review comment on app.py:12 “line”: text`."""
    return f"Review comment on {anchor(comment)} “{str(comment['quoted']).strip()}”: {comment['comment']}"


def review_feedback(
    comments: Sequence[ReviewComment],
    proposals: Sequence[Proposal],
    applied: Sequence[AppliedEdit] | None,
) -> str:
    """The feedback the model gets in the tool_result.

    Args:
        comments: The user's comments, in the order they were left.
        proposals: The call's proposals (for the hunk counts).
        applied: What landed; None when the call was denied (nothing landed).
    """
    lines = [f"The user left {len(comments)} review comment{'s' if len(comments) != 1 else ''} on this edit:"]
    for number, comment in enumerate(comments, 1):
        lines.append(f"{number}. {anchor(comment)} (hunk {comment['hunk'] + 1})")
        lines.append(f"   > {comment['quoted']}")
        lines.append(f"   {comment['comment']}")
    lines.append(_landed(proposals, applied))
    return "\n".join(lines)


def _landed(proposals: Sequence[Proposal], applied: Sequence[AppliedEdit] | None) -> str:
    if applied is None:
        return "Nothing was applied: the user denied the edit, with these comments as the reason."
    by_path = {edit.proposal.rel_path: edit for edit in applied}
    parts = []
    for proposal in proposals:
        total = len(proposal.hunks)
        edit = by_path.get(proposal.rel_path)
        if edit is None:
            parts.append(f"{proposal.rel_path}: not applied")
        elif edit.edited_by_user:
            parts.append(f"{proposal.rel_path}: the user's own edited version was applied")
        elif len(edit.hunks_applied) == total:
            parts.append(f"{proposal.rel_path}: {'applied' if total == 1 else f'all {total} hunks applied'}")
        else:
            landed = ", ".join(str(i + 1) for i in edit.hunks_applied)
            parts.append(
                f"{proposal.rel_path}: hunk{'s' if len(edit.hunks_applied) != 1 else ''} {landed} of {total} applied"
            )
    return "Hunks that landed: " + "; ".join(parts) + "."
