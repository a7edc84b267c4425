"""Which applied edit still stands after edits, command steps, undos and rewinds."""

from __future__ import annotations

from tui.engine.session.events import Checkpoint, EditApplied, Rewind
from tui.presentation.standing import StandingEdits


def edit(tool_use_id: str, path: str) -> EditApplied:
    return EditApplied(
        tool_use_id=tool_use_id, path=path, before_blob=None, after_blob="b", hunks_total=1, hunks_applied=[0], diff=""
    )


def step(number: int, tool_use_id: str | None = None) -> Checkpoint:
    return Checkpoint(step=number, commit=f"c{number}", label="x", tool_use_id=tool_use_id)


def test_the_last_standing_edit_follows_steps_undos_and_rewinds() -> None:
    standing = StandingEdits()
    assert standing.last is None
    events = [step(0), edit("t1", "a.py"), step(1, "t1"), edit("t2", "b.py"), step(2, "t2"), step(3, "t3")]
    for event in events:
        assert standing.apply(event)
    assert standing.last is not None and standing.last.path == "b.py"  # step 3, a command, edited nothing
    standing.apply(Rewind(to_step=2, step=4, commit="r", undo=True))  # undo the command
    assert standing.last.path == "b.py"
    standing.apply(Rewind(to_step=1, step=5, commit="r", undo=True))
    assert standing.last.path == "a.py"
    standing.apply(Rewind(to_step=0, step=6, commit="r"))
    assert standing.last is None
    standing.apply(edit("t7", "c.py"))  # live: shown as soon as it lands, before its checkpoint
    assert standing.last.path == "c.py"
