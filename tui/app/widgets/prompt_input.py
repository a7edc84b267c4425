"""The prompt: a multi-line TextArea (Enter sends), history, and a completion dropdown.

Completion covers `/commands` (at the start of the prompt) and `@path`
mentions (any word); the candidates come from a `Completer` the screen
provides, and show in a `CompletionList` above the input, mounted there when
first needed (it is hidden at start-up, so it stays off the first frame).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Completion:
    """One candidate: `value` replaces the word being typed."""

    value: str
    description: str = ""


@dataclass(frozen=True)
class CompletionQuery:
    """What the prompt asks completions for: the word after a `/` or an `@`."""

    kind: str
    """`slash` or `mention`."""
    query: str
    """The word after the `/` or `@`."""


Completer = Callable[[CompletionQuery], list[Completion]]


class CompletionList(OptionList, can_focus=False):
    """The dropdown of completions; the prompt keeps the focus and drives it."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.completions: list[Completion] = []
        self.display = False

    def show(self, completions: list[Completion]) -> None:
        """Fill and show the list (or hide it when empty)."""
        self.clear_options()
        self.completions = completions
        self.add_options(
            [Option(f"{c.value}  {c.description}".rstrip() if c.description else c.value) for c in completions]
        )
        self.display = bool(completions)
        if completions:
            self.highlighted = 0

    def hide(self) -> None:
        """Close the dropdown."""
        self.display = False
        self.completions = []

    @property
    def chosen(self) -> Completion | None:
        """The highlighted candidate, when the list is open."""
        if not self.display or self.highlighted is None or not self.completions:
            return None
        return self.completions[self.highlighted]


class PromptInput(TextArea):
    """Multi-line prompt: Enter sends, Shift+Enter or Ctrl+J adds a line, Up/Down walk the history."""

    class Submitted(Message):
        """The user sent the prompt."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, completions: CompletionList, completer: Completer, id: str | None = None) -> None:
        """Create the prompt.

        Args:
            completions: The dropdown it drives.
            completer: Candidates for a `/command` or `@path` being typed.
            id: Widget id.
        """
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.completions = completions
        self.completer = completer
        self.prompt_history: list[str] = []
        self._history_index: int | None = None
        self._draft = ""
        self._listed_for: CompletionQuery | None = None
        """The word the completion list was made for (the text can be ahead of it)."""

    # --- keys -------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        handled = self._completion_key(event.key) or self._prompt_key(event.key)
        if handled:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def _completion_key(self, key: str) -> bool:
        if self.completions.chosen is None:
            return False
        query = self.current_query()
        if query is None:
            # Keys typed faster than the list follows them (a paste, a quick typist) can leave it
            # open for a word already finished: it is stale, and Enter sends the prompt.
            self.completions.hide()
            return False
        if query != self._listed_for:
            # ... or open for the start of the word being typed: Enter or Tab would take what
            # was highlighted for "/" (`/help`) over the "/undo" on screen. List it again first.
            self._list_completions(query)
            if self.completions.chosen is None:
                return False
        if key in ("up", "down"):
            count = len(self.completions.completions)
            step = -1 if key == "up" else 1
            self.completions.highlighted = ((self.completions.highlighted or 0) + step) % count
            return True
        if key == "enter" and self._word_is_complete():
            self.completions.hide()
            return False
        if key in ("tab", "enter"):
            self.accept_completion()
            return True
        if key == "escape":
            self.completions.hide()
            return True
        return False

    def _prompt_key(self, key: str) -> bool:
        if key == "enter":
            self.submit()
            return True
        if key in ("shift+enter", "ctrl+j"):
            self.insert("\n")
            return True
        if key == "up" and self.cursor_at_first_line and self.prompt_history:
            self._walk_history(-1)
            return True
        if key == "down" and self.cursor_at_last_line and self._history_index is not None:
            self._walk_history(1)
            return True
        return False

    # --- sending and history ----------------------------------------------------

    def submit(self) -> None:
        """Send the prompt (ignored when blank) and remember it in the history."""
        text = self.text
        if not text.strip():
            return
        if not self.prompt_history or self.prompt_history[-1] != text:
            self.prompt_history.append(text)
        self._history_index = None
        self.clear()
        self.completions.hide()
        self.post_message(self.Submitted(text))

    def _walk_history(self, step: int) -> None:
        if self._history_index is None:
            self._draft = self.text
            index = len(self.prompt_history)
        else:
            index = self._history_index
        index += step
        if index >= len(self.prompt_history):
            self._history_index = None
            self._set_text(self._draft)
            return
        self._history_index = max(0, index)
        self._set_text(self.prompt_history[self._history_index])

    def _set_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.completions.hide()

    # --- completion -------------------------------------------------------------

    def current_query(self) -> CompletionQuery | None:
        """The `/command` or `@path` word the cursor is in, if any."""
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        word = before.rsplit(None, 1)[-1] if before.strip() and not before[-1:].isspace() else ""
        if row == 0 and word.startswith("/") and word == before and "\n" not in self.text.strip():
            return CompletionQuery("slash", word[1:])
        if word.startswith("@"):
            return CompletionQuery("mention", word[1:])
        return None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        query = self.current_query()
        if query is None:
            self.completions.hide()
            return
        if self.completions.parent is None and isinstance(self.parent, Widget):
            self.parent.mount(self.completions, before=self)
        self._list_completions(query)

    def _list_completions(self, query: CompletionQuery) -> None:
        self._listed_for = query
        self.completions.show(self.completer(query))

    def _word_is_complete(self) -> bool:
        """The word typed already is the highlighted candidate (Enter then sends)."""
        chosen, query = self.completions.chosen, self.current_query()
        if chosen is None or query is None:
            return False
        return chosen.value[1:] == query.query

    def accept_completion(self) -> None:
        """Replace the word being typed with the highlighted candidate."""
        chosen = self.completions.chosen
        query = self.current_query()
        if chosen is None or query is None:
            return
        row, column = self.cursor_location
        start = column - len(query.query) - 1
        self.replace(chosen.value + " ", (row, start), (row, column))
        self.completions.hide()
