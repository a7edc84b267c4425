"""The task list over the prompt: one line (`Tasks 2/5 done · Running the tests`) that expands on click."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import Static

from tui.engine.exec.terminal_text import sanitize_terminal_text
from tui.presentation.transcript import todo_lines


class TodoLine(Static):
    """The agent's task list: hidden until it keeps one, folded to a line, every item when expanded."""

    DEFAULT_CSS = """
    TodoLine { height: auto; max-height: 12; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.items: list[dict[str, str]] = []
        self.expanded = False
        self.display = False

    def show(self, items: list[dict[str, str]]) -> None:
        """Show the list as the agent last wrote it (an empty list hides the line)."""
        self.items = list(items)
        self.display = bool(self.items)
        self._draw()

    def on_click(self, event: events.Click) -> None:
        self.expanded = not self.expanded
        self._draw()

    @property
    def text(self) -> str:
        """What the line shows now."""
        # The tool's module (and the tool base with its proposals) loads with the first list, not the first frame.
        from tui.engine.tools.todo import todo_summary

        hint = "click to fold" if self.expanded else "click to expand"
        head = f"Tasks {todo_summary(self.items)} ({hint})"
        return "\n".join([head, *todo_lines(self.items)]) if self.expanded else head

    def _draw(self) -> None:
        self.update(Content(sanitize_terminal_text(self.text)))
