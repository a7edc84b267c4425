"""The chat pane: user and assistant messages, thinking, tool calls and notes.

Model text streams into a Textual `Markdown` widget through its
`MarkdownStream`; deltas are coalesced per frame so a fast stream costs one
append per frame, not one per delta. Old widgets are pruned so long sessions
stay responsive (Textual does not virtualise widget lists).
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from tui.app.widgets.tool_call import ToolCallView
from tui.engine.terminal import sanitize_terminal_text

FRAME_S = 1 / 60
"""Deltas arriving within one frame become one Markdown append."""
MAX_CHAT_WIDGETS = 200
"""Message widgets kept mounted; older ones become the "N earlier messages" line."""


class ChatNote(Static):
    """A one-line note in the chat: a notice, a retry, an error, a mode change."""

    def __init__(self, text: str, kind: str = "info") -> None:
        """Create a note.

        Args:
            text: Plain text (never markup); sanitised before display.
            kind: `info`, `notice`, `warning` or `error` (a CSS class).
        """
        super().__init__(Content(sanitize_terminal_text(text)), classes=f"note -{kind}")
        self.text = text


class UserMessageView(Static):
    """What the user sent, with the files attached by `@path` mentions."""

    def __init__(self, text: str, attachments: list[dict[str, str]] | None = None) -> None:
        shown = sanitize_terminal_text(text)
        for attachment in attachments or []:
            shown += f"\n📎 {attachment.get('path', '')}"
        super().__init__(Content(shown), classes="user-message")


class StreamingMarkdown(Markdown):
    """A Markdown widget fed in small pieces, at most one append per frame."""

    def __init__(self, markdown: str = "", classes: str | None = None) -> None:
        super().__init__(sanitize_terminal_text(markdown), classes=classes)
        self._pending: list[str] = []
        self._stream: MarkdownStream | None = None
        self._flush_timer: Timer | None = None
        self.received = ""
        """Everything fed so far (sanitised), for tests and for the final check."""

    def feed(self, text: str) -> None:
        """Queue a piece of Markdown; it is appended on the next frame.

        Args:
            text: Raw model text (sanitised here).
        """
        clean = sanitize_terminal_text(text)
        if not clean:
            return
        self.received += clean
        self._pending.append(clean)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FRAME_S, self._flush)

    async def _flush(self) -> None:
        self._flush_timer = None
        if not self._pending:
            return
        chunk = "".join(self._pending)
        self._pending.clear()
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(chunk)

    async def finish(self, full_text: str | None = None) -> None:
        """Flush what is queued and stop streaming.

        Args:
            full_text: The complete text when known (an `AssistantMessage`);
                replaces the streamed text only when the stream missed some.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush()
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if full_text is not None:
            clean = sanitize_terminal_text(full_text)
            if clean != self.received:
                self.received = clean
                await self.update(clean)


class ThinkingView(Collapsible):
    """The model's thinking, collapsed by default."""

    def __init__(self) -> None:
        self.body = Static("", classes="thinking-text")
        super().__init__(self.body, title="thinking…", collapsed=True, classes="thinking")
        self.text = ""

    def feed(self, text: str) -> None:
        """Append thinking text (plain, never markup)."""
        self.text += sanitize_terminal_text(text)
        self.body.update(Content(self.text))


class ChatView(VerticalScroll):
    """The scrolling conversation."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._earlier = Static("", classes="earlier-messages")
        self._pruned = 0
        self._text_blocks: dict[int, StreamingMarkdown] = {}
        self._thinking_blocks: dict[int, ThinkingView] = {}
        self._tools: dict[str, ToolCallView] = {}
        self._skip_chars = 0

    def on_mount(self) -> None:
        self._earlier.display = False
        self.mount(self._earlier)
        self.anchor()

    # --- adding -----------------------------------------------------------------

    def add(self, widget: Widget) -> Widget:
        """Mount a message widget at the end, pruning the oldest beyond the limit."""
        self.mount(widget)
        self._prune()
        return widget

    def add_note(self, text: str, kind: str = "info") -> ChatNote:
        """Show a plain-text note (notice, retry, error, ...)."""
        note = ChatNote(text, kind)
        self.add(note)
        return note

    def add_user(self, text: str, attachments: list[dict[str, str]] | None = None) -> None:
        """Show a user message; it also ends the previous assistant message."""
        self.end_assistant()
        self.add(UserMessageView(text, attachments))

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
            self.add(block)
        block.feed(text)

    def thinking_delta(self, index: int, text: str) -> None:
        """Stream thinking of content block `index` (shown collapsed)."""
        view = self._thinking_blocks.get(index)
        if view is None:
            view = ThinkingView()
            self._thinking_blocks[index] = view
            self.add(view)
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
                    self.add(streamed)
                if streamed is not None:
                    self.run_worker(streamed.finish(text), group="markdown-finish")
            elif kind == "thinking" and index not in self._thinking_blocks and block.get("thinking"):
                self.thinking_delta(index, str(block["thinking"]))
        self.end_assistant()

    def end_assistant(self) -> None:
        """Close the current assistant message: flush and stop its streams."""
        for block in self._text_blocks.values():
            self.run_worker(block.finish(), group="markdown-finish")
        self._text_blocks.clear()
        self._thinking_blocks.clear()
        self._skip_chars = 0

    @property
    def text_blocks(self) -> list[StreamingMarkdown]:
        """Every assistant text block still mounted, oldest first."""
        return list(self.query(StreamingMarkdown))

    # --- tool calls -------------------------------------------------------------

    def add_tool_call(self, tool_use_id: str, tool: str, target: str, tool_input: dict[str, object]) -> ToolCallView:
        """Show a tool call line (its status follows the permission and result events)."""
        self.end_assistant()
        view = ToolCallView(tool_use_id, tool, target, tool_input)
        self._tools[tool_use_id] = view
        self.add(view)
        return view

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
        self._pruned = 0
        self._earlier.display = False

    def _prune(self) -> None:
        # Blocks still streaming stay mounted: their deltas keep arriving.
        streaming = {*self._text_blocks.values(), *self._thinking_blocks.values(), self._earlier}
        messages = [child for child in self.children if child not in streaming]
        excess = len(messages) - MAX_CHAT_WIDGETS
        if excess <= 0:
            return
        for widget in messages[:excess]:
            if isinstance(widget, ToolCallView):
                self._tools.pop(widget.tool_use_id, None)
            widget.remove()
        self._pruned += excess
        self._earlier.update(Content(f"… {self._pruned} earlier messages (see /export for the whole session)"))
        self._earlier.display = True
