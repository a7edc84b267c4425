"""The app's keys, defined once: `/help` prints them and the README's key table is checked against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class KeyHelp:
    """Keys that do one thing, as `/help` and the README list them."""

    keys: tuple[str, ...]
    does: str
    where: Literal["approval", "app"]
    """`approval`: in the permission pane; `app`: anywhere else."""


KEYS: tuple[KeyHelp, ...] = (
    KeyHelp(("y",), "approve once (with hunks deselected: apply only the selected hunks)", "approval"),
    KeyHelp(("a",), "approve and don't ask again this session (the pattern is shown, editable)", "approval"),
    KeyHelp(("s",), "approve and save the rule to `.stepwise/settings.yaml`", "approval"),
    KeyHelp(("n",), "deny, with an optional message for the agent (Enter sends)", "approval"),
    KeyHelp(("e", "E"), "edit the proposed content first (editor pane / `$EDITOR`, else `vi` or `nano`)", "approval"),
    KeyHelp(("j", "k", "space"), "move between hunks, toggle one (a deselected hunk is dimmed)", "approval"),
    KeyHelp(("↑", "↓", "c"), "move to a line of the diff, comment on it (comments go with `y` or `n`)", "approval"),
    KeyHelp(("A",), "approve all edits of this turn", "approval"),
    KeyHelp(("Enter",), "send (Shift+Enter or Ctrl+J: a new line; Up/Down: the history)", "app"),
    KeyHelp(("Esc",), "interrupt the running turn; when nothing runs, back to the prompt", "app"),
    KeyHelp(("/",), "typed anywhere but the permission pane, goes to the prompt (as any printable key)", "app"),
    KeyHelp(("Shift+Tab",), "cycle the permission mode", "app"),
    KeyHelp(("F2",), "unified / side-by-side diff", "app"),
    KeyHelp(("Ctrl+P",), "command palette: every slash command, the themes", "app"),
    KeyHelp(("Ctrl+Q",), "quit (prints how to resume the session)", "app"),
)


def readme_rows() -> list[str]:
    """The README's key table rows, exactly."""
    return [f"| {' '.join(f'`{key}`' for key in k.keys)} | {k.does} |" for k in KEYS]


def help_lines() -> list[str]:
    """The keys part of `/help`."""
    lines = []
    for title, where in (("Keys:", "app"), ("Approvals:", "approval")):
        lines.append(title)
        lines += [f"  {' '.join(k.keys):<12} {k.does.replace('`', '')}" for k in KEYS if k.where == where]
    return lines
