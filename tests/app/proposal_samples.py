"""Small proposals the diff tests share."""

from pathlib import Path

from tui.engine.workspace.proposals import Proposal


def make_proposal(old: str | None, new: str, rel_path: str = "src/app.py") -> Proposal:
    return Proposal.build(Path("/ws") / rel_path, rel_path, old, new)


def three_hunk_proposal() -> Proposal:
    """Three hunks of 26 rows each: more than one screen, so navigating scrolls."""
    old_lines = [f"value_{i} = {i}\n" for i in range(200)]
    new_lines = list(old_lines)
    for start in (10, 100, 180):
        for i in range(start, start + 10):
            new_lines[i] = f"value_{i} = {i} + 1\n"
    return make_proposal("".join(old_lines), "".join(new_lines))
