"""Edit a proposed file content before it is applied: Ctrl+S applies, Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


_LANGUAGES = {"py": "python", "md": "markdown", "json": "json", "toml": "toml", "yaml": "yaml", "yml": "yaml"}


class EditorScreen(ModalScreen[str | None]):
    """A full TextArea on the proposal's new text; dismisses with the text or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, path: str, text: str) -> None:
        """Create the editor.

        Args:
            path: The file's workspace-relative path (the title, and the syntax guess).
            text: The content to start from.
        """
        super().__init__()
        self.path = path
        self.initial_text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-box"):
            yield Static(Content(f"Edit {self.path} — Ctrl+S applies, Esc cancels"), id="editor-title")
            yield TextArea(
                self.initial_text,
                id="editor-text",
                show_line_numbers=True,
                tab_behavior="indent",
            )

    def on_mount(self) -> None:
        editor = self.query_one("#editor-text", TextArea)
        language = _LANGUAGES.get(self.path.rsplit(".", 1)[-1].lower())
        # Only languages whose tree-sitter grammar is installed can be highlighted.
        if language in editor.available_languages:
            editor.language = language
        editor.focus()

    def action_apply(self) -> None:
        self.dismiss(self.query_one("#editor-text", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
