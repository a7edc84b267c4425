"""How engine events are shown in the chat and diff panes, shared by the live app and the replay.

The live main screen and the replay app feed the same events into the same
widgets; `EventFeed` is that one mapping. What only the live screen has (the
status bar's session state, the changed-files list, the approver) stays with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.widget import AwaitMount

from tui.app.chat_history import PARTIAL_NOTE, event_note, fold_history
from tui.app.widgets.chat import ChatView
from tui.engine.session.events import (
    AssistantMessage,
    CommandOutput,
    EditApplied,
    Event,
    PermissionDecision,
    StreamReset,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    TurnEnd,
    UserMessage,
)

ShowDiff = Callable[[str, str, str], None]
"""`show_diff(title, diff, path)`: puts a diff and its title in the diff pane."""


def applied_title(event: EditApplied) -> str:
    """The diff pane's title for an applied edit: the path and which hunks landed.

    Examples: `Applied: app.py · 1 of 1 hunk applied`,
    `Applied: app.py · edited by the user before applying`.
    """
    title = f"Applied: {event.path}"
    if event.edited_by_user:
        return f"{title} · edited by the user before applying"
    if event.hunks_total:
        noun = "hunk" if event.hunks_total == 1 else "hunks"
        return f"{title} · {len(event.hunks_applied)} of {event.hunks_total} {noun} applied"
    return title


class EventFeed:
    """Applies one event at a time to a chat pane and a diff pane."""

    def __init__(self, chat: ChatView, show_diff: ShowDiff) -> None:
        """Create the feed.

        Args:
            chat: The conversation pane.
            show_diff: Shows an applied edit's diff (title, diff text, path).
        """
        self.chat = chat
        self.show_diff = show_diff

    def apply(self, event: Event) -> None:
        """Show one live event; events the panes do not show (checkpoints, status, ...) are ignored."""
        chat = self.chat
        if isinstance(event, TextDelta):
            chat.text_delta(event.index, event.text)
        elif isinstance(event, ThinkingDelta):
            chat.thinking_delta(event.index, event.text)
        elif isinstance(event, StreamReset):
            chat.stream_reset(event.keep_chars)
        elif isinstance(event, AssistantMessage):
            chat.assistant_message(event.content)
            if event.partial:
                chat.add_note(PARTIAL_NOTE, "warning")
        elif isinstance(event, UserMessage):
            chat.add_user(event.text, event.attachments)
        elif isinstance(event, ToolCall):
            chat.add_tool_call(event)
        elif isinstance(event, PermissionDecision):
            line = chat.tool(event.tool_use_id)
            if line is not None:
                line.decided(event)
        elif isinstance(event, CommandOutput):
            line = chat.tool(event.tool_use_id)
            if line is not None:
                line.command_output(event.text)
        elif isinstance(event, ToolResult):
            line = chat.tool(event.tool_use_id)
            if line is not None:
                line.result(event)
        elif isinstance(event, EditApplied):
            self.show_diff(applied_title(event), event.diff, event.path)
        elif isinstance(event, TurnEnd):
            chat.end_assistant()
        note = event_note(event)
        if note is not None:
            chat.add_note(note.text, note.kind)

    def show_history(self, events: Iterable[Event]) -> AwaitMount:
        """Show a session's logged events at once: only the chat's last entries are built.

        Each assistant message is rendered once from its final text; the older
        entries wait in the chat until the user scrolls up to them. The diff
        pane shows the last applied edit.

        Returns:
            Awaitable: done when the chat's widgets are mounted and rendered.
        """
        history = fold_history(events)
        mounted = self.chat.show_history(history.entries)
        if history.last_edit is not None:
            self.show_diff(applied_title(history.last_edit), history.last_edit.diff, history.last_edit.path)
        return mounted
