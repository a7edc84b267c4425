"""Memory and instructions attached to a tool result the first time a read or an edit reaches a file.

Claude Code loads a sub-folder's `CLAUDE.md` when the agent first reads a file under it; Copilot
attaches an `.instructions.md` whose `applyTo` matches. The session agent and each sub-agent run
(a fresh conversation: `Memory.fresh_view`) attach through the same function, and each attachment
is a `ContextAttached` event (nested under the sub-agent's run in the log and the chat).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.engine.agents.memory import Memory, display_path, reminder
from tui.engine.session.events import ContextAttached, Event
from tui.engine.tools.base import Action


def attach_context(memory: Memory, root: Path, emit: Callable[[Event], None], tool_use_id: str, action: Action) -> str:
    """The reminder to append to the result of `action` (empty when nothing is new), recorded by `emit`."""
    attached = memory.attach_for(action.paths)
    if not attached:
        return ""
    emit(ContextAttached(tool_use_id=tool_use_id, paths=[display_path(m.path, root) for m in attached]))
    return reminder(attached, root)
