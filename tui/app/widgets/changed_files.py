"""The list of files the session changed; choosing one asks the app to show its diff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.app.highlight import sanitize

_STATUS_STYLES = {
    "A": "$text-success",
    "M": "$text-warning",
    "D": "$text-error",
    "R": "$text-accent",
}


class ChangedFiles(OptionList):
    """(status, path) rows, e.g. from `Session.changed_files()`.

    Selecting a row (Enter or click) posts `ChangedFiles.Selected`.
    """

    DEFAULT_CSS: ClassVar[str] = """
    ChangedFiles {
        height: auto;
        max-height: 12;
    }
    """

    class Selected(Message):
        """The user chose a file."""

        def __init__(self, changed_files: ChangedFiles, status: str, path: str) -> None:
            super().__init__()
            self.changed_files = changed_files
            self.status = status
            self.path = path

        @property
        def control(self) -> ChangedFiles:
            return self.changed_files

    def __init__(
        self,
        files: Iterable[tuple[str, str]] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self._files: list[tuple[str, str]] = []
        self.set_files(files)

    @property
    def files(self) -> list[tuple[str, str]]:
        """The (status, path) rows shown (a copy)."""
        return list(self._files)

    def set_files(self, files: Iterable[tuple[str, str]]) -> None:
        """Replace the rows.

        Args:
            files: (status letter(s), path) pairs; git-style letters A/M/D/R are coloured.
        """
        self._files = [(str(status), str(path)) for status, path in files]
        self.clear_options()
        if not self._files:
            self.add_option(Option(Content.styled("no changed files", "$text-muted italic"), disabled=True))
            return
        width = max(len(status) for status, _ in self._files)
        self.add_options(
            Option(
                Content.assemble(
                    (sanitize(status).ljust(width), _STATUS_STYLES.get(status[:1].upper(), "$text-muted")),
                    " ",
                    sanitize(path),
                )
            )
            for status, path in self._files
        )
        self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        status, path = self._files[event.option_index]
        self.post_message(self.Selected(self, status, path))
