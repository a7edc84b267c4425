"""Which applied edit still stands: what the diff pane shows after edits, undos, rewinds and resumes.

Never imports Textual (the replay viewer and the live app share it).

An edit belongs to the step (checkpoint) recorded after its tool call; an undo
or a rewind drops the steps after the one it restored. The diff pane shows the
last edit of the last step that still stands, or nothing once every edit is
undone: never a change that is no longer on disk.
"""

from __future__ import annotations

from tui.engine.session.events import Checkpoint, EditApplied, Event, Rewind, SubagentEvent


class StandingEdits:
    """Follows checkpoints, edits and rewinds, one event at a time (live, resumed or replayed)."""

    def __init__(self) -> None:
        self._steps: list[tuple[int, list[EditApplied]]] = []
        """(step, the edits it holds), oldest first: only steps that still stand."""
        self._pending: list[EditApplied] = []
        """Edits applied whose checkpoint has not been recorded yet."""

    def apply(self, event: Event) -> bool:
        """Take one event into account; True when the standing edit may have changed."""
        if isinstance(event, SubagentEvent) and event.event.get("type") == EditApplied.type:
            event = event.inner()  # a sub-agent's edit is a step of the session like any other
        if isinstance(event, EditApplied):
            self._pending.append(event)
        elif isinstance(event, Checkpoint):
            held = [e for e in self._pending if e.tool_use_id == event.tool_use_id] if event.tool_use_id else []
            self._pending = [e for e in self._pending if e not in held]
            self._steps.append((event.step, held))
        elif isinstance(event, Rewind):
            self._steps = [(step, edits) for step, edits in self._steps if step <= event.to_step]
            self._pending = []
        else:
            return False
        return True

    @property
    def last(self) -> EditApplied | None:
        """The newest edit that is still on disk, if any."""
        if self._pending:
            return self._pending[-1]
        return next((edits[-1] for _, edits in reversed(self._steps) if edits), None)
