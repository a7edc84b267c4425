"""How engine events are shown in the chat and diff panes, shared by the live app and the replay.

The live main screen and the replay app feed the same events into the same
widgets; `EventFeed` is that one mapping. What an event shows comes from the
presentation's `Transcript`, the fold export and print mode use too; the feed
adds only what is live: streamed text, command output, a call's line changing
as its decision and result arrive. What only the live screen has (the status
bar's session state, the changed-files list, the approver) stays with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.widget import AwaitMount

from tui.app.widgets.chat import ChatView
from tui.engine.session.events import (
    AssistantMessage,
    CommandOutput,
    EditApplied,
    Event,
    NestedEvent,
    PermissionDecision,
    StreamReset,
    SubagentEnd,
    SubagentStart,
    TextDelta,
    ThinkingDelta,
    ToolResult,
    TurnEnd,
)
from tui.presentation.standing import StandingEdits
from tui.presentation.transcript import (
    CheckpointEntry,
    EditEntry,
    TextEntry,
    ThinkingEntry,
    TodoEntry,
    Transcript,
    applied_title,
    fold_history,
)

NO_CHANGES_TITLE = "No changes yet"
"""The diff pane's title when no applied edit stands (none yet, or every one undone)."""

ShowDiff = Callable[[str, str, str], None]
"""`show_diff(title, diff, path)`: puts a diff and its title in the diff pane."""
ShowTodos = Callable[[list[dict[str, str]]], None]
"""`show_todos(items)`: shows the agent's task list over the prompt."""


class EventFeed:
    """Applies one event at a time to a chat pane and a diff pane."""

    def __init__(self, chat: ChatView, show_diff: ShowDiff, show_todos: ShowTodos | None = None) -> None:
        """Create the feed.

        Args:
            chat: The conversation pane.
            show_diff: Shows an applied edit's diff (title, diff text, path).
            show_todos: Shows the task list, when the view has a place for it.
        """
        self.chat = chat
        self.show_diff = show_diff
        self.show_todos = show_todos
        self.transcript = Transcript()
        self.standing = StandingEdits()

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
            # The reply's blocks finish what streamed (matched by block index); its notes follow below.
            chat.assistant_message(event.content)
        elif isinstance(event, PermissionDecision):
            if (line := chat.tool(event.tool_use_id)) is not None:
                line.decided(event)
        elif isinstance(event, CommandOutput):
            if (line := chat.tool(event.tool_use_id)) is not None:
                line.command_output(event.text)
        elif isinstance(event, ToolResult):
            if (line := chat.tool(event.tool_use_id)) is not None:
                line.result(event)
        elif isinstance(event, TurnEnd):
            chat.end_assistant()
        for entry in self.transcript.add(event):
            if isinstance(entry, TodoEntry):
                if self.show_todos is not None:
                    self.show_todos(entry.items)
            elif not isinstance(entry, TextEntry | ThinkingEntry | CheckpointEntry | EditEntry):
                chat.add_entry(entry)
        if isinstance(event, SubagentStart | NestedEvent | SubagentEnd):
            # One line per sub-agent: each shows its own progress, side by side ones separately.
            run = self.transcript.delegation(event.run_id)
            if run is not None and run.changed and (line := chat.tool(run.start.tool_use_id)) is not None:
                line.delegation_changed(run)
        if self.standing.apply(event):
            # An edit, a step, an undo or a rewind: the diff pane follows what still stands.
            self._show_edit(self.standing.last)

    def _show_edit(self, edit: EditApplied | None) -> None:
        if edit is None:
            self.show_diff(NO_CHANGES_TITLE, "", "")
        else:
            self.show_diff(applied_title(edit), edit.diff, edit.path)

    def clear(self) -> None:
        """Start over: no messages shown, no call waiting for its outcome, no edit standing."""
        self.chat.clear_messages()
        self.transcript = Transcript()
        self.standing = StandingEdits()
        self._show_edit(None)

    def show_history(self, events: Iterable[Event]) -> AwaitMount | None:
        """Show a session's logged events at once: only the chat's last entries are built.

        Each assistant message is rendered once from its final text; the older
        entries wait in the chat until the user scrolls up to them. The diff
        pane shows the last applied edit that still stands, or nothing (never
        the previous session's edit, nor one undone since).

        Returns:
            Awaitable: done when the chat's widgets are mounted and rendered;
            None when the history has nothing to show (a new session).
        """
        history = fold_history(events)
        mounted = self.chat.show_history(history.entries) if history.entries else None
        if history.todos and self.show_todos is not None:
            self.show_todos(history.todos)
        self.standing = history.standing
        self._show_edit(self.standing.last)
        return mounted
