"""The chat pane: user and assistant messages, thinking, tool calls and notes.

Model text streams into one `StreamingMarkdown` per text block (rendered
lines, appended once per frame). Old widgets are pruned so long sessions stay
responsive (Textual does not virtualise widget lists).
"""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import AwaitMount
from textual.widgets import Collapsible, Static

from tui.app.widgets.streaming_markdown import StreamingMarkdown
from tui.app.widgets.tool_call import ToolCallView
from tui.engine.exec.terminal_text import show_controls
from tui.presentation.transcript import ChatEntry, NoteEntry, TextEntry, ThinkingEntry, ToolEntry, UserEntry

MAX_CHAT_WIDGETS = 200
"""Message widgets kept mounted; older ones become the "N earlier messages" line."""
OLDER_CHUNK = 8
"""Earlier messages built at a time when the user scrolls up past the oldest shown."""
HISTORY_CHARS = 60_000
"""Text of a resumed history built at once (about 60 ms of Markdown rendering); the rest waits above."""


class ChatNote(Static):
    """A one-line note in the chat: a notice, a retry, an error, a mode change."""

    def __init__(self, text: str, kind: str = "info") -> None:
        """Create a note.

        Args:
            text: Plain text (never markup); sanitised before display.
            kind: `info`, `notice`, `warning` or `error` (a CSS class).
        """
        super().__init__(Content(show_controls(text)), classes=f"note -{kind}")
        self.text = text
        self.kind = kind


class UserMessageView(Static):
    """What the user sent, with the files attached by `@path` mentions."""

    def __init__(self, text: str, attachments: list[dict[str, str]] | None = None) -> None:
        self.entry = UserEntry(text, list(attachments or []))
        shown = show_controls(text)
        for attachment in attachments or []:
            shown += f"\n📎 {attachment.get('path', '')}"
        super().__init__(Content(shown), classes="user-message")


class ThinkingView(Collapsible):
    """The model's thinking, collapsed by default."""

    def __init__(self) -> None:
        self.body = Static("", classes="thinking-text")
        super().__init__(self.body, title="thinking…", collapsed=True, classes="thinking")
        self.text = ""

    def feed(self, text: str) -> None:
        """Append thinking text (plain, never markup)."""
        self.text += show_controls(text)
        self.body.update(Content(self.text))


ChatMessage = ChatNote | UserMessageView | StreamingMarkdown | ThinkingView | ToolCallView
"""What the chat shows, one widget per message."""


class ChatView(VerticalScroll):
    """The scrolling conversation."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._earlier = Static("", classes="earlier-messages")
        self._older: list[ChatEntry] = []
        """What comes before the oldest mounted message, not built until the user scrolls up to it."""
        self._text_blocks: dict[int, StreamingMarkdown] = {}
        self._thinking_blocks: dict[int, ThinkingView] = {}
        self._tools: dict[str, ToolCallView] = {}
        self._skip_chars = 0
        self._early: list[ChatMessage] = []
        self._released_at_end: float | None = None
        """The end (`max_scroll_y`) when the anchor was last released there, until that scroll is checked."""

    def on_mount(self) -> None:
        self._earlier.display = False
        self.mount(self._earlier, *self._early)
        self._early.clear()
        self.anchor()

    # --- following the conversation ------------------------------------------------

    def release_anchor(self) -> None:
        """Stop following the end, unless the scroll that releases it goes nowhere above the end.

        Textual releases the anchor on every scroll (a wheel or key, but also
        any `scroll_to` or scroll into view) and takes it back only when the
        scroll position changes and lands on the end: a scroll that leaves the
        chat where it was (at the end, before the reply grows) released it for
        good, and the reply then streamed on below the screen.
        """
        if self._anchored and not self._anchor_released:  # following: at the end, wherever the target says
            self._released_at_end = self.max_scroll_y
            # Twice: `scroll_to` releases first and scrolls after the next refresh.
            self.call_after_refresh(self.call_after_refresh, self._follow_if_still_at_end)
        super().release_anchor()

    def _follow_if_still_at_end(self) -> None:
        end, self._released_at_end = self._released_at_end, None
        # A target below 0 is the anchor's own (a chat shorter than its height): the end too.
        if end is not None and self._anchor_released and max(self.scroll_target_y, 0) >= end:
            self.anchor()

    # --- adding -----------------------------------------------------------------

    def _add(self, widget: ChatMessage) -> None:
        """Mount a message at the end, pruning the oldest beyond the limit.

        Messages added before the chat is mounted (start-up notices) are
        mounted with it, so they are in the first frame.
        """
        if not self.is_attached:
            self._early.append(widget)
            return
        self.mount(widget)
        self._prune()

    def add_note(self, text: str, kind: str = "info") -> ChatNote:
        """Show a plain-text note (notice, retry, error, ...)."""
        note = ChatNote(text, kind)
        self._add(note)
        return note

    def add_entry(self, entry: ChatEntry) -> None:
        """Show a new message at the end; a user message or a tool call also ends the assistant's message."""
        if isinstance(entry, UserEntry | ToolEntry):
            self.end_assistant()
        self._add(self._entry_widget(entry))

    def text_delta(self, index: int, text: str) -> None:
        """Stream assistant text of content block `index`."""
        if self._skip_chars:
            # A retried stream repeats what is already on screen.
            skipped = min(self._skip_chars, len(text))
            self._skip_chars -= skipped
            text = text[skipped:]
            if not text:
                return
        block = self._text_blocks.get(index)
        if block is None:
            block = StreamingMarkdown(classes="assistant-text")
            self._text_blocks[index] = block
            self._add(block)
        block.feed(text)

    def thinking_delta(self, index: int, text: str) -> None:
        """Stream thinking of content block `index` (shown collapsed)."""
        view = self._thinking_blocks.get(index)
        if view is None:
            view = ThinkingView()
            self._thinking_blocks[index] = view
            self._add(view)
        view.feed(text)

    def stream_reset(self, keep_chars: int) -> None:
        """A retried stream restarts: its first `keep_chars` characters are already shown."""
        self._skip_chars = keep_chars

    def assistant_message(self, content: list[dict[str, object]]) -> None:
        """The complete response arrived: finish streams, show blocks that never streamed."""
        for index, block in enumerate(content):
            kind = block.get("type")
            if kind == "text":
                text = str(block.get("text", ""))
                streamed = self._text_blocks.pop(index, None)
                if streamed is None and text:
                    streamed = StreamingMarkdown(classes="assistant-text")
                    self._add(streamed)
                if streamed is not None:
                    streamed.update(text)  # re-rendered only if the stream missed some
            elif kind == "thinking" and index not in self._thinking_blocks and block.get("thinking"):
                self.thinking_delta(index, str(block["thinking"]))
        self.end_assistant()

    def end_assistant(self) -> None:
        """Close the current assistant message: later deltas start new blocks."""
        self._text_blocks.clear()
        self._thinking_blocks.clear()
        self._skip_chars = 0

    @property
    def text_blocks(self) -> list[StreamingMarkdown]:
        """Every assistant text block still mounted, oldest first."""
        return list(self.query(StreamingMarkdown))

    # --- tool calls -------------------------------------------------------------

    def tool(self, tool_use_id: str) -> ToolCallView | None:
        """The line of a tool call, if it is still mounted."""
        return self._tools.get(tool_use_id)

    # --- housekeeping -----------------------------------------------------------

    def clear_messages(self) -> None:
        """Remove every message (`/clear`); the session itself is unchanged."""
        for child in list(self.children):
            if child is not self._earlier:
                child.remove()
        self._tools.clear()
        self._text_blocks.clear()
        self._thinking_blocks.clear()
        self._older.clear()
        self._earlier.display = False

    def _prune(self, limit: int = MAX_CHAT_WIDGETS) -> None:
        """Unmount the oldest messages beyond `limit`; those that can be rebuilt wait in `_older`."""
        # Blocks still streaming stay mounted: their deltas keep arriving.
        streaming = {*self._text_blocks.values(), *self._thinking_blocks.values()}
        # A removed widget stays a child until the removal is processed; it reports itself hidden.
        messages = [
            child
            for child in self.children
            if isinstance(child, ChatMessage) and child not in streaming and child.display
        ]
        excess = len(messages) - limit
        if excess <= 0:
            return
        for widget in messages[:excess]:
            self._older.append(_entry_of(widget))
            if isinstance(widget, ToolCallView):
                self._tools.pop(widget.tool_use_id, None)
            widget.remove()
        self._show_earlier()

    # --- history: built only when shown ----------------------------------------

    def show_history(self, entries: list[ChatEntry]) -> AwaitMount:
        """Show a resumed session's entries after what is shown, building only the last ones.

        At most `MAX_CHAT_WIDGETS` messages, and messages with at most
        `HISTORY_CHARS` characters of text, are built; everything before them
        (including what was shown before the history) waits, unbuilt, until
        the user scrolls up to it.

        Args:
            entries: The history's entries, oldest first (see `fold_history`).

        Returns:
            Awaitable: done when the widgets are mounted (replies render their
            lines as they are laid out).
        """
        hidden = max(len(entries) - MAX_CHAT_WIDGETS, 0)
        chars = 0
        for index in range(len(entries) - 1, hidden, -1):
            chars += _text_size(entries[index])
            if chars > HISTORY_CHARS:
                hidden = index
                break
        if hidden:
            # What is already shown now precedes the hidden part of the history.
            self._prune(limit=0)
            self._older.extend(entries[:hidden])
        mounted = self.mount_all([self._entry_widget(entry) for entry in entries[hidden:]])
        self._prune()
        self._show_earlier()
        return mounted

    @property
    def older_count(self) -> int:
        """Earlier messages not built yet that scrolling up would show."""
        return len(self._older)

    def load_older(self, count: int = OLDER_CHUNK) -> int:
        """Build the `count` messages before the oldest shown; the view stays on what it showed.

        Returns:
            How many messages were added (0 when there are none left).
        """
        if not self._older:
            return 0
        chunk = self._older[-count:]
        del self._older[-count:]
        oldest = next((child for child in self.children if child is not self._earlier and child.display), None)
        self.mount_all([self._entry_widget(entry) for entry in chunk], after=self._earlier)
        self._show_earlier()
        if oldest is not None:
            self.call_after_refresh(self.scroll_to_widget, oldest, animate=False, top=True)
        return len(chunk)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 < old_value and self._older:
            self.load_older()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        # Scrolling up at the top (or in a chat too short to scroll) moves no scrollbar.
        if self.scroll_y <= 0 and self._older:
            self.load_older()

    def on_click(self, event: events.Click) -> None:
        if event.widget is self._earlier and self._older:
            self.load_older()

    def _show_earlier(self) -> None:
        self._earlier.display = bool(self._older)
        if self._older:
            self._earlier.update(
                Content(f"… {len(self._older)} earlier messages: scroll up or click here to show more")
            )

    def _entry_widget(self, entry: ChatEntry) -> ChatMessage:
        """Build the widget of an entry in its final state (nothing streams)."""
        widget: ChatMessage
        if isinstance(entry, NoteEntry):
            widget = ChatNote(entry.text, entry.kind)
        elif isinstance(entry, UserEntry):
            widget = UserMessageView(entry.text, entry.attachments)
        elif isinstance(entry, TextEntry):
            widget = StreamingMarkdown(entry.text, classes="assistant-text")
        elif isinstance(entry, ThinkingEntry):
            widget = ThinkingView()
            widget.feed(entry.text)
        else:
            widget = self._tool_widget(entry)
        return widget

    def _tool_widget(self, entry: ToolEntry) -> ToolCallView:
        call = entry.call
        view = ToolCallView(call)
        if entry.decision is not None:
            view.decided(entry.decision)
        if entry.delegation is not None:
            view.delegation_changed(entry.delegation)
        if entry.result is not None:
            view.result(entry.result)
        self._tools[call.tool_use_id] = view
        return view


def _text_size(entry: ChatEntry) -> int:
    """Characters an entry renders when built (thinking and tool calls start collapsed)."""
    return len(entry.text) if isinstance(entry, TextEntry | UserEntry) else 0


def _entry_of(widget: ChatMessage) -> ChatEntry:
    """What a mounted message shows, to build it again once pruned.

    Live messages count too: a reply by the text it received, a tool call by
    the events it has seen.
    """
    if isinstance(widget, ChatNote):
        return NoteEntry(widget.text, widget.kind)
    if isinstance(widget, UserMessageView | ToolCallView):
        return widget.entry
    if isinstance(widget, StreamingMarkdown):
        return TextEntry(widget.received)
    return ThinkingEntry(widget.text)
