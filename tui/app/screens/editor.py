"""Edit a proposed file content before it is applied: Ctrl+S applies, Esc cancels."""

from __future__ import annotations

from importlib.util import find_spec
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
        # Textual lists its built-in languages whenever `tree_sitter` imports (stepwise's shell
        # analysis brings it), but each needs its own grammar package to highlight.
        if language in editor.available_languages and find_spec(f"tree_sitter_{language}") is not None:
            editor.language = language
        editor.focus()

    def action_apply(self) -> None:
        self.dismiss(self.query_one("#editor-text", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
