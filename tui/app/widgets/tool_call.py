"""One tool call in the chat: a compact status line, expandable to input and output.

The input and output widgets are mounted the first time the line is expanded:
most calls are never opened, and a resumed chat mounts dozens of calls at once
when the user scrolls up, so a collapsed call is two widgets, not five.
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.content import Content, ContentText
from textual.reactive import reactive
from textual.widgets import Collapsible, Log, Static

from tui.app.fit import fit
from tui.engine.exec.terminal_text import sanitize_terminal_text, show_controls
from tui.engine.session.events import PermissionDecision, ToolCall, ToolResult
from tui.presentation.transcript import (
    DelegationEntry,
    ToolEntry,
    call_title,
    decision_text,
    delegation_line,
    delegation_lines,
    result_failed,
    result_status,
)

MAX_OUTPUT_LINES = 2000
"""Lines of live command output kept in the widget (the log keeps everything)."""
MAX_INPUT_CHARS = 4000
TITLE_INDENT = 4
"""Cells of a tool line taken before its text: the expand arrow, a space and the title's padding."""


def _signed(sign: str, text: str) -> list[str]:
    return [f"{sign}{line}" for line in str(text).split("\n")]


def edit_preview(call: ToolCall) -> str | None:
    """An edit call's input as the change it asks for (`-` old lines, `+` new ones), not JSON with `\\n` escapes.

    None for other tools, and for input the tool would refuse (the JSON then shows what was sent).
    """
    from tui.engine.tools.registry import resolve

    try:
        tool, args = resolve(call.name, call.input)
    except Exception:  # noqa: BLE001 - a call the tool refused is shown as sent
        return None
    if tool.name == "create_file":
        return "\n".join([f"+++ {args.get('filePath', '')} (new file)", *_signed("+", args.get("content", ""))])
    if tool.name == "replace_string_in_file":
        changes = [args]
    elif tool.name == "multi_replace_string_in_file":
        changes = [c for c in args.get("replacements", []) if isinstance(c, dict)]
    else:
        return None
    lines: list[str] = []
    for change in changes:
        lines.append(f"--- {change.get('filePath', '')}")
        lines += _signed("-", change.get("oldString", "")) + _signed("+", change.get("newString", ""))
    return "\n".join(lines)


class ToolCallView(Collapsible):
    """A tool call: `tool target · status · duration`, expandable to its input and output."""

    # Textual annotates Collapsible.title as str, yet hands it to a label that takes any
    # ContentText; Content keeps a target's brackets from being read as markup.
    title: reactive[ContentText] = reactive(Content(""))  # type: ignore[assignment]
    status: reactive[str] = reactive("requested")
    """What happened so far: `requested`, `waiting for approval`, `approved by ...`, `running`, `done`, `failed`, ..."""

    def __init__(self, call: ToolCall) -> None:
        """Create the line for one call.

        Args:
            call: The call: its id (later events refer to it), canonical tool
                name, target (a path or a command) and the model's arguments,
                shown when expanded.
        """
        self.entry = ToolEntry(call)
        """The call and what became of it so far: enough to build the line again once it is pruned."""
        self.heading = show_controls(call_title(call))
        shown_input = edit_preview(call) or json.dumps(call.input, indent=2, ensure_ascii=False, default=str)
        if len(shown_input) > MAX_INPUT_CHARS:
            shown_input = shown_input[:MAX_INPUT_CHARS] + "\n…"
        self.input_view = Static(Content(show_controls(shown_input)), classes="tool-input")
        self.output = Log(max_lines=MAX_OUTPUT_LINES, classes="tool-output")
        self.output.display = False
        self._auto_expanded = False
        self._quiet_scrolls = 0
        """Scrolls into view still to skip: those Collapsible asks for after the line opened or closed itself."""
        self._contents: Collapsible.Contents | None = None
        super().__init__(self.input_view, self.output, title="", collapsed=True, classes="tool-call")
        self.title = self._title_text()

    def compose(self) -> ComposeResult:
        yield self._title
        if not self.collapsed:
            yield self._new_contents()

    def _update_collapsed(self, collapsed: bool) -> None:
        super()._update_collapsed(collapsed)
        # Once composed (the title is in the DOM), the first expansion mounts the contents.
        if not collapsed and self._contents is None and self._title.is_attached:
            self.mount(self._new_contents())

    def _new_contents(self) -> Collapsible.Contents:
        self._contents = Collapsible.Contents(*self._contents_list)
        return self._contents

    def _title_text(self) -> Content:
        if self.entry.delegation is not None:
            # A delegation is one line: the agent, the task, what it is doing, its time and tokens.
            return Content(sanitize_terminal_text(delegation_line(self.entry.delegation)))
        parts = []
        if self.decision and self.status != self.decision:
            parts.append(self.decision)
        parts.append(self.status)
        if self.entry.result is not None:
            parts.append(f"{self.entry.result.duration_ms / 1000:.1f} s")
        # The command or path is cut with `…` first: the decision, the status and an exit code stay in view.
        width = self.size.width - TITLE_INDENT if self.is_mounted else 0
        return Content(fit(self.heading, " · ".join(parts), width))

    def on_resize(self) -> None:
        self.title = self._title_text()

    @property
    def tool_use_id(self) -> str:
        """The call's id (later events refer to it)."""
        return self.entry.call.tool_use_id

    @property
    def target(self) -> str:
        """What the call acts on (a path, a command), safe to show."""
        return show_controls(self.entry.call.target)

    @property
    def tool(self) -> str:
        """The canonical tool name."""
        return self.entry.call.tool

    @property
    def decision(self) -> str:
        """Who allowed or denied the call (empty until decided)."""
        return decision_text(self.entry.decision) if self.entry.decision is not None else ""

    def watch_status(self, status: str) -> None:
        self.set_class(status == "waiting for approval", "-waiting")
        self.set_class(status.startswith("denied"), "-denied")
        result = self.entry.result
        # A command that exited non-zero failed too: `exit 1` in the error colour, never a green `done`.
        self.set_class(result is not None and result_failed(result) and not status.startswith("denied"), "-failed")
        self.set_class(status == "done", "-done")
        self.title = self._title_text()

    def scroll_visible(self, *args: Any, **kwargs: Any) -> None:
        # Collapsible scrolls a line into view whenever it opens or closes, which releases the
        # chat's anchor to the bottom; a line that opens and closes for its own output (not the
        # user) must leave the chat following the conversation, or later messages go unseen.
        if self._quiet_scrolls:
            self._quiet_scrolls -= 1
            return
        super().scroll_visible(*args, **kwargs)

    def _toggle_itself(self, collapsed: bool) -> None:
        """Open or close the line without the scroll into view that a user's toggle gets."""
        if self.is_mounted:  # Collapsible only scrolls a mounted line
            self._quiet_scrolls += 1
        self.collapsed = collapsed

    def waiting(self) -> None:
        """The engine asks the user about this call."""
        self.status = "waiting for approval"

    def decided(self, event: PermissionDecision) -> None:
        """The permission decision arrived."""
        self.entry.decision = event
        self.status = self.decision

    def command_output(self, text: str) -> None:
        """Live output of a running command; expands the line while it runs."""
        clean = sanitize_terminal_text(text)
        if not self.output.display:
            self.output.display = True
            if self.collapsed:
                self._auto_expanded = True
                self._toggle_itself(False)
        self.status = "running"
        self.output.write(clean)

    def delegation_changed(self, delegation: DelegationEntry) -> None:
        """The sub-agent this call runs moved on: its line, and its stream inside (shown when expanded)."""
        self.entry.delegation = delegation
        self.title = self._title_text()
        self.output.display = True
        self.output.clear()
        # `write`, not `write_lines`: the log may not be mounted yet (the line is folded).
        self.output.write(sanitize_terminal_text("\n".join(delegation_lines(delegation))))

    def result(self, event: ToolResult) -> None:
        """The call finished: show the outcome, its duration and (when not streamed) its output."""
        self.entry.result = event
        if not self.status.startswith("denied"):
            self.status = result_status(event)
        self.title = self._title_text()
        if not self.output.display and event.content:
            self.output.display = True
            self.output.write(sanitize_terminal_text(event.content))
        elif self.entry.delegation is not None and event.content:
            # Under the sub-agent's stream: the report its parent received.
            self.output.write(sanitize_terminal_text(f"\n\nReport to the parent:\n{event.content}"))
        if self._auto_expanded:
            self._toggle_itself(True)
            self._auto_expanded = False
