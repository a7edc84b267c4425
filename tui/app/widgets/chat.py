"""The chat pane: user and assistant messages, thinking, tool calls and notes.

Model text streams into a column of Textual `Markdown` parts; deltas are
coalesced per frame so a fast stream costs one append per frame, not one per
delta, and only the last part is ever re-parsed. Textual's Markdown (and its
parser) is imported on the first assistant message, not at start-up. Old widgets are pruned so long sessions
stay responsive (Textual does not virtualise widget lists).
"""

from __future__ import annotations

import asyncio

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import Collapsible, Static

from tui.app.chat_history import ChatEntry, NoteEntry, TextEntry, ThinkingEntry, ToolEntry, UserEntry
from tui.app.markdown_split import CutFinder, has_link_definitions, split_markdown
from tui.app.widgets.tool_call import ToolCallView
from tui.engine.terminal import sanitize_terminal_text

FRAME_S = 1 / 60
"""Deltas arriving within one frame become one Markdown append."""
PART_CHARS = 1_000
BACKFILL_CHARS = 4_000
"""Characters of the parts above the end built per frame after a fast stream or a resume."""
"""A streamed reply starts a new Markdown part at the first safe cut after this many characters."""
MAX_CHAT_WIDGETS = 200
"""Message widgets kept mounted; older ones become the "N earlier messages" line."""
OLDER_CHUNK = 8
"""Earlier messages built at a time when the user scrolls up past the oldest shown."""


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


class StreamingMarkdown(Widget):
    """Assistant Markdown fed in small pieces, shown as a column of `Markdown` parts.

    Textual's Markdown costs about 20 us a character to build and lay out, and
    its widgets make every later layout slower, so a long reply is never one
    document:

    - pending text is appended at most once per frame, to the last part only;
    - a new part starts at a safe cut (`tui.app.markdown_split`) once the last
      holds `PART_CHARS` characters, so an append re-parses a bounded tail and
      finishing costs nothing;
    - when one flush brings several parts (a fast stream, a resumed message),
      the last one, which is what an anchored chat shows, is built at once; the
      ones above it are built afterwards, one a frame, so no step blocks the
      event loop for long.
    """

    DEFAULT_CSS = """
    StreamingMarkdown {
        height: auto;
        layout: vertical;
    }
    StreamingMarkdown > Markdown {
        padding: 0;
        margin: 0;
    }
    """

    def __init__(self, markdown: str = "", classes: str | None = None) -> None:
        """Create the widget.

        Args:
            markdown: Text shown at once (a resumed message); more can be fed.
            classes: CSS classes.
        """
        super().__init__(classes=classes)
        self.received = ""
        """Everything fed so far (sanitised), for tests and for the final check."""
        self._start(sanitize_terminal_text(markdown))
        self._flush_timer: Timer | None = None
        self._lock = asyncio.Lock()
        self._backfill: list[tuple[Widget, Widget, int]] = []
        """(part, the part it goes before, its length) still to mount, the nearest to the end last."""
        self._backfill_timer: Timer | None = None

    def _start(self, text: str) -> None:
        """Reset the cut state to `text` as the initial content (built by `compose`)."""
        self.received = text
        self._shown = len(text)
        """How much of `received` the parts hold or are queued to hold."""
        self._cuts = CutFinder()
        self._cuts.scan(text)
        self._whole = has_link_definitions(text)
        """A link definition was seen: the reply is shown as one document."""
        parts = [text] if self._whole else split_markdown(text, PART_CHARS)
        self._part_start = len(text) - len(parts[-1])
        self._initial_parts = parts if text else []

    def compose(self) -> ComposeResult:
        # Only what was there before any feed: fed text is appended by `_flush`.
        parts, self._initial_parts = self._initial_parts, []
        if parts:
            last = self._new_parts(parts)
            yield last

    def on_mount(self) -> None:
        self._schedule_backfill()

    @property
    def source(self) -> str:
        """The Markdown shown so far (all mounted parts)."""
        from textual.widgets import Markdown

        return "".join(part.source for part in self.query_children(Markdown))

    def feed(self, text: str) -> None:
        """Queue a piece of Markdown; it is appended on the next frame.

        Args:
            text: Raw model text (sanitised here).
        """
        clean = sanitize_terminal_text(text)
        if not clean:
            return
        self.received += clean
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FRAME_S, self._flush)

    async def _flush(self) -> None:
        self._flush_timer = None
        if self._lock.locked():
            return  # the running flush takes what was queued meanwhile
        async with self._lock:
            while self._shown < len(self.received):
                await self._show(len(self.received))

    async def _show(self, end: int) -> None:
        """Show `received[_shown:end]`: the last part's tail, then any new parts."""
        from textual.widgets import Markdown

        text = self.received
        start, self._shown = self._shown, end
        self._whole = self._whole or has_link_definitions(text[start:end])
        bounds = [start]
        for cut in self._cuts.scan(text[:end]):
            if not self._whole and cut - self._part_start >= PART_CHARS:
                bounds.append(cut)
                self._part_start = cut
        bounds.append(end)
        tail = text[bounds[0] : bounds[1]]
        if tail:
            parts = self.query_children(Markdown)
            if parts:
                await parts.last().append(tail)
            else:
                await self.mount(Markdown(tail))
        if len(bounds) > 2:
            pieces = [text[a:b] for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
            await self.mount(self._new_parts(pieces))
            self._schedule_backfill()

    def _new_parts(self, pieces: list[str]) -> Widget:
        """The last piece's part, to mount now; the others are queued for the backfill."""
        from textual.widgets import Markdown

        parts = [Markdown(piece) for piece in pieces]
        self._backfill.extend(zip(parts, parts[1:], map(len, pieces)))
        return parts[-1]

    def _schedule_backfill(self) -> None:
        if self._backfill and self._backfill_timer is None:
            self._backfill_timer = self.set_timer(FRAME_S, self._backfill_step)

    async def _backfill_step(self) -> None:
        """Mount the parts just above the built ones, about `BACKFILL_CHARS` characters' worth.

        Each mount re-lays out the whole screen, which costs more the more
        widgets it holds, so parts go in runs rather than one by one.
        """
        self._backfill_timer = None
        if not self._backfill:
            return
        part, before, size = self._backfill.pop()
        run = [part]
        while self._backfill and self._backfill[-1][1] is run[0] and size < BACKFILL_CHARS:
            part, _, length = self._backfill.pop()
            run.insert(0, part)
            size += length
        await self.mount_all(run, before=before)
        self._schedule_backfill()

    @property
    def complete(self) -> bool:
        """Every part is built and everything fed is shown."""
        return not self._backfill and self._shown == len(self.received) and not self._lock.locked()

    async def finish(self, full_text: str | None = None) -> None:
        """Show what is queued and stop streaming.

        Args:
            full_text: The complete text when known (an `AssistantMessage`);
                replaces the streamed text only when the stream missed some.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        async with self._lock:
            if self._shown < len(self.received):
                await self._show(len(self.received))
            clean = self.received if full_text is None else sanitize_terminal_text(full_text)
            split = self._whole and len(self._backfill) + len(self.query_children("Markdown")) > 1
            if clean != self.received or split:
                # The stream missed some text, or a link definition needs one document: show it afresh.
                self._backfill.clear()
                self._start(clean)
                await self.recompose()
                self._schedule_backfill()


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
        self._older: list[ChatEntry] = []
        """What comes before the oldest mounted message, not built until the user scrolls up to it."""
        self._entries: dict[Widget, ChatEntry] = {}
        """What each widget built from an entry shows, so it can be rebuilt once pruned."""
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
        self._older.clear()
        self._entries.clear()
        self._earlier.display = False

    def _prune(self, limit: int = MAX_CHAT_WIDGETS) -> None:
        """Unmount the oldest messages beyond `limit`; those that can be rebuilt wait in `_older`."""
        # Blocks still streaming stay mounted: their deltas keep arriving.
        streaming = {*self._text_blocks.values(), *self._thinking_blocks.values(), self._earlier}
        # A removed widget stays a child until the removal is processed; it reports itself hidden.
        messages = [child for child in self.children if child not in streaming and child.display]
        excess = len(messages) - limit
        if excess <= 0:
            return
        pruned = messages[:excess]
        entries = [self._entry_of(widget) for widget in pruned]
        for widget in pruned:
            if isinstance(widget, ToolCallView):
                self._tools.pop(widget.tool_use_id, None)
            self._entries.pop(widget, None)
            widget.remove()
        rebuildable = [entry for entry in entries if entry is not None]
        if not self._pruned and len(rebuildable) == len(entries):
            self._older.extend(rebuildable)
        else:
            # A live tool call or stream cannot be rebuilt, so nothing before it can be shown in order.
            self._pruned += len(self._older) + excess
            self._older.clear()
        self._show_earlier()

    # --- history: built only when shown ----------------------------------------

    def show_history(self, entries: list[ChatEntry]) -> AwaitMount:
        """Show a resumed session's entries after what is shown, building only the last ones.

        At most `MAX_CHAT_WIDGETS` messages stay mounted; everything before
        them (including what was shown before the history) waits, unbuilt,
        until the user scrolls up to it.

        Args:
            entries: The history's entries, oldest first (see `fold_history`).

        Returns:
            Awaitable: done when the widgets are mounted with their content rendered.
        """
        hidden = max(len(entries) - MAX_CHAT_WIDGETS, 0)
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
        if self._older:
            text = f"… {len(self._older)} earlier messages: scroll up or click here to show more"
        elif self._pruned:
            text = f"… {self._pruned} earlier messages (see /export for the whole session)"
        else:
            self._earlier.display = False
            return
        self._earlier.update(Content(text))
        self._earlier.display = True

    def _entry_of(self, widget: Widget) -> ChatEntry | None:
        """What a mounted message shows, if it can be rebuilt from that."""
        entry = self._entries.get(widget)
        if entry is None and isinstance(widget, ChatNote):
            kind = next((name[1:] for name in widget.classes if name.startswith("-")), "info")
            entry = NoteEntry(widget.text, kind)
        return entry

    def _entry_widget(self, entry: ChatEntry) -> Widget:
        """Build the widget of an entry in its final state (nothing streams)."""
        widget: Widget
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
        self._entries[widget] = entry
        return widget

    def _tool_widget(self, entry: ToolEntry) -> ToolCallView:
        call = entry.call
        view = ToolCallView(call.tool_use_id, call.tool, call.target, call.input)
        if entry.decision is not None:
            view.decided(entry.decision)
        if entry.result is not None:
            view.result(entry.result)
        self._tools[call.tool_use_id] = view
        return view
