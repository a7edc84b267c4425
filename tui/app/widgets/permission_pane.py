"""The permission pane: what the engine asks to do, why, and the user's choices.

Commands show the command line, its explanation and folder; MCP calls the
server, the tool and the arguments (pretty-printed); a project MCP server
asking to start shows exactly what it runs; edits show each
proposal in the DiffView (hunks selectable) and are reviewed one file after
the other; plans show the plan Markdown (drawn as the chat draws replies).
The pane answers with an `Approval` through its `Decided` message.

The pane's parts are built for the first request, the plan view for the
first plan, and the editor screen imported when opened: none of them is on
the path to the first frame.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from tui.app.approver import PendingApproval
from tui.engine.exec.terminal_text import show_controls
from tui.engine.mcp.names import is_trust_request, split_target
from tui.engine.session.approval import OUTSIDE_SANDBOX, Approval, ApprovalKind, ApprovalRequest
from tui.engine.session.review import ReviewComment, anchor
from tui.engine.tools.kinds import ToolKind

if TYPE_CHECKING:
    from tui.app.widgets.diff_view import DiffView
    from tui.engine.workspace.proposals import Proposal

FileChoice = set[int] | str
"""For one proposal: the selected hunk indexes, or the user's edited text."""


def approval_for(
    proposals: tuple[Proposal, ...], choices: dict[int, FileChoice], comments: tuple[ReviewComment, ...] = ()
) -> Approval:
    """The Approval for per-file choices (a proposal without a choice is applied whole), with the review comments.

    Edited text wins: when any file was edited, files with some hunks chosen
    are sent as their resulting text too, since one Approval has one kind.
    """
    edited = {i: choice for i, choice in choices.items() if isinstance(choice, str)}
    partial = {
        i: sorted(choice)
        for i, choice in choices.items()
        if isinstance(choice, set) and choice != {h.index for h in proposals[i].hunks}
    }
    if edited:
        text = dict(edited)
        text.update({i: proposals[i].text_with_hunks(hunks) for i, hunks in partial.items()})
        return Approval(ApprovalKind.EDITED, text=text, comments=comments)
    if partial:
        return Approval(ApprovalKind.HUNKS, hunks=partial, comments=comments)
    return Approval(ApprovalKind.ONCE, comments=comments)


def external_editor() -> str | None:
    """The editor `E` opens, as git picks one: $VISUAL, $EDITOR, else `vi`, else `nano` (None: none found)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        return chosen
    return next((name for name in ("vi", "nano") if shutil.which(name)), None)


class PermissionPane(Vertical, can_focus=True):
    """Asks about one request at a time; hidden when nothing is asked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "approve", "approve"),
        Binding("a", "ask_rule('session')", "this session"),
        Binding("s", "ask_rule('save')", "save rule"),
        Binding("n", "ask_deny", "deny"),
        Binding("e", "edit", "edit"),
        Binding("E", "edit_external", "$EDITOR", show=False),
        Binding("A", "approve_turn", "all edits this turn"),
        Binding("j,]", "next_hunk", "next hunk", show=False),
        Binding("k,[", "prev_hunk", "previous hunk", show=False),
        Binding("down", "move_line(1)", "next line", show=False),
        Binding("up", "move_line(-1)", "previous line", show=False),
        Binding("space", "toggle_hunk", "toggle hunk", show=False),
        Binding("c", "comment", "comment on the line", show=False),
        Binding("escape", "close_input", "back", show=False),
    ]

    input_mode: reactive[str] = reactive("")
    """`session`, `save`, `deny` or `comment` while the Input is open, else empty."""
    file_index: reactive[int] = reactive(0, init=False)
    """The proposal under review."""

    class Decided(Message):
        """The user answered the request."""

        def __init__(self, pending: PendingApproval, approval: Approval, approve_turn_edits: bool = False) -> None:
            super().__init__()
            self.pending = pending
            self.approval = approval
            self.approve_turn_edits = approve_turn_edits

    class ProposalShown(Message):
        """A proposal is now under review (the screen shows the diff pane)."""

        def __init__(self, proposal: Proposal) -> None:
            super().__init__()
            self.proposal = proposal

    def __init__(self, diff_view: Callable[[], DiffView], id: str | None = None) -> None:
        """Create the (hidden) pane.

        Args:
            diff_view: Gives the pane where proposals are shown (built after
                the pane); the pane drives its hunk selection.
            id: Widget id.
        """
        super().__init__(id=id)
        self._diff_view = diff_view
        self.pending: PendingApproval | None = None
        self.choices: dict[int, FileChoice] = {}
        self.comments: list[ReviewComment] = []
        """Review comments left on the request's proposals, in order."""
        self._commenting: ReviewComment | None = None
        """The line a comment is being typed for (its `comment` still empty)."""
        self.display = False

    @property
    def diff_view(self) -> DiffView:
        """Where proposals are shown."""
        return self._diff_view()

    def _build(self) -> None:
        """Mount the pane's parts, once: the first request builds them, not the first frame."""
        if self.children:
            return
        field = Input(id="permission-input")
        field.display = False
        body = VerticalScroll(id="permission-body")
        self.mount_all(
            [
                Static(id="permission-title"),
                Static(id="permission-reason"),
                body,
                Static(id="permission-hunks"),
                field,
                Static(id="permission-keys"),
            ]
        )
        # Mounted, not passed to the constructor: the request is shown into it right away.
        body.mount(Static(id="permission-detail"))

    @property
    def request(self) -> ApprovalRequest | None:
        return self.pending.request if self.pending else None

    # --- showing a request ------------------------------------------------------

    def ask(self, pending: PendingApproval) -> None:
        """Show a request and take the focus."""
        self._build()
        self.pending = pending
        self.choices = {}
        self.comments = []
        self._commenting = None
        self.input_mode = ""
        request = pending.request
        title = self._title(request)
        self._set("#permission-title", f"{request.asker_line}\n{title}" if request.agent else title)
        self._set("#permission-reason", f"Why: {request.reason}" if request.reason else "")
        self._set("#permission-detail", self._detail(request))
        self._show_plan(request)
        self.display = True
        self.file_index = 0
        self._show_file()
        self.focus()

    def _show_plan(self, request: ApprovalRequest) -> None:
        """Show the plan of a plan request (the view is built for the first one); hide it otherwise."""
        from tui.app.widgets.streaming_markdown import StreamingMarkdown

        plans = self.query("#permission-plan").results(StreamingMarkdown)
        plan = next(plans, None)
        is_plan = request.kind == ToolKind.PLAN
        if plan is not None:
            plan.display = is_plan
        if not is_plan:
            return
        text = request.plan or "(no plan text)"
        if plan is None:
            plan = StreamingMarkdown(id="permission-plan")
            self.query_one("#permission-body").mount(plan)
        plan.update(text)

    def _title(self, request: ApprovalRequest) -> str:
        if request.kind == OUTSIDE_SANDBOX:
            return f"Run this command again OUTSIDE the sandbox, with your full rights? ({request.tool})"
        if request.kind == ToolKind.MCP and is_trust_request(request.tool_use_id):
            return f"Start the {request.tool}? (declared by this project)"
        if request.kind == ToolKind.MCP:
            server, tool = split_target(request.target)
            return f"Call the MCP tool {tool} of server {server}?"
        if request.kind == ToolKind.WEB:
            verb = "Search the web for" if request.tool == "web_search" else "Fetch (by the API)"
            return f"{verb}: {request.target}?"
        if request.kind == ToolKind.EXECUTE:
            return f"Run this command? ({request.tool})"
        if request.kind == ToolKind.PLAN:
            return "Approve this plan and start working?"
        if request.proposals:
            count = len(request.proposals)
            return f"Apply {'this edit' if count == 1 else f'these {count} edits'}? ({request.tool})"
        return f"Allow {request.tool} {request.target}?"

    def _detail(self, request: ApprovalRequest) -> str:
        lines: list[str] = []
        if request.kind == ToolKind.MCP and is_trust_request(request.tool_use_id):
            lines.append(f"runs: {request.target}")
        elif request.kind == ToolKind.MCP:
            server, tool = split_target(request.target)
            lines += [f"server: {server}", f"tool: {tool}", "arguments:"]
            lines.append(json.dumps(request.input, ensure_ascii=False, indent=2, sort_keys=True))
        elif request.kind == ToolKind.WEB:
            lines.append(request.target)
        elif request.kind in (ToolKind.EXECUTE, OUTSIDE_SANDBOX):
            lines.append(f"$ {request.target}")
            if request.cwd:
                lines.append(f"in {request.cwd}")
        elif request.proposals:
            for i, proposal in enumerate(request.proposals):
                new = " (new file)" if proposal.is_new_file else ""
                lines.append(f"{i + 1}. {proposal.rel_path}{new}  +{proposal.added} -{proposal.removed}")
        elif request.kind != ToolKind.PLAN:
            lines.append(request.target)
        if request.explanation:
            lines.append(f"Explanation: {request.explanation}")
        return "\n".join(lines)

    def _set(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(Content(show_controls(text)))
        widget.display = bool(text)

    @property
    def proposals(self) -> tuple[Proposal, ...]:
        return self.request.proposals if self.request else ()

    def _show_file(self) -> None:
        proposals = self.proposals
        if proposals:
            proposal = proposals[self.file_index]
            self.diff_view.show_proposal(proposal, selectable=True)
            self._show_comments()
            self.post_message(self.ProposalShown(proposal))
        self._update_hunks()
        self._update_keys()

    def _update_hunks(self) -> None:
        proposals = self.proposals
        if not proposals:
            self._set("#permission-hunks", "")
            return
        proposal = proposals[self.file_index]
        total = len(proposal.hunks)
        selected = len(self.diff_view.selected_hunks) if self.diff_view.selectable else total
        where = f"file {self.file_index + 1}/{len(proposals)}: " if len(proposals) > 1 else ""
        current = f"hunk {self.diff_view.current_hunk + 1}/{total} · " if total else ""
        count = len(self.comments)
        noted = f" · {count} comment{'s' if count != 1 else ''}" if count else ""
        self._set(
            "#permission-hunks", f"{where}{proposal.rel_path} · {current}{selected} of {total} hunks selected{noted}"
        )

    def _update_keys(self) -> None:
        if self.input_mode == "deny":
            keys = "Enter deny (the message, if any, goes to the agent) · Esc back"
        elif self.input_mode == "comment":
            keys = "Enter add the comment (sent with y or n) · Esc back"
        elif self.input_mode:
            keys = "Enter confirm the rule (edit it first if you like) · Esc back"
        else:
            # A grant given to a sub-agent is the session's: every agent in it stops asking.
            scope = "this session, every agent" if self.request and self.request.agent else "this session"
            keys = f"y approve · a for {scope} · s save rule · n deny"
            if self.request and self.request.kind == OUTSIDE_SANDBOX:
                keys = "y run it outside the sandbox, this once · n deny"
            if self.proposals:
                keys += (
                    " · e edit · E $EDITOR · j/k hunks · ↑/↓ lines · c comment · space toggle · A all edits this turn"
                )
        self._set("#permission-keys", keys)

    def on_diff_view_selection_changed(self, event: DiffView.SelectionChanged) -> None:
        self._update_hunks()

    # --- answering --------------------------------------------------------------

    def _decide(self, approval: Approval, approve_turn_edits: bool = False) -> None:
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        self.input_mode = ""
        self.display = False
        self.post_message(self.Decided(pending, approval, approve_turn_edits))

    def withdraw(self) -> None:
        """Hide the pane without answering (the request was answered elsewhere)."""
        self.pending = None
        self.input_mode = ""
        self.display = False
        if self.children:
            self.query_one("#permission-input", Input).display = False

    def _record_file(self, choice: FileChoice) -> None:
        """Keep the choice for the file under review; answer after the last file."""
        self.choices[self.file_index] = choice
        if self.file_index + 1 < len(self.proposals):
            self.file_index += 1
            self._show_file()
        else:
            self._decide(approval_for(self.proposals, self.choices, tuple(self.comments)))

    def action_approve(self) -> None:
        if self.pending is None or self.input_mode:
            return
        if self.proposals and self.diff_view.selectable:
            self._record_file(self.diff_view.selected_hunks)
        else:
            self._decide(Approval(ApprovalKind.ONCE, comments=tuple(self.comments)))

    def action_approve_turn(self) -> None:
        if self.pending is None or self.input_mode or not self.proposals:
            return
        self._decide(Approval(ApprovalKind.ONCE, comments=tuple(self.comments)), approve_turn_edits=True)

    def action_ask_rule(self, kind: str) -> None:
        request = self.request
        # Outside the sandbox is approved one command at a time: no rule, no grant.
        if request is None or self.input_mode or request.kind == OUTSIDE_SANDBOX:
            return
        # A command with no safe suggestion gets an empty field: never a bare tool name, which allows every command.
        fallback = "" if request.kind == "execute" else request.tool
        self._open_input(kind, request.suggested_rule or fallback, "rule to allow")

    def action_ask_deny(self) -> None:
        if self.pending is None or self.input_mode:
            return
        self._open_input("deny", "", "optional message to the agent")

    def _open_input(self, mode: str, value: str, placeholder: str) -> None:
        self.input_mode = mode
        field = self.query_one("#permission-input", Input)
        field.value = value
        field.placeholder = placeholder
        field.display = True
        field.focus()
        self._update_keys()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Esc only closes the Input; otherwise it goes on to the app (interrupt the turn).
        return bool(self.input_mode) if action == "close_input" else True

    def action_close_input(self) -> None:
        self.input_mode = ""
        self.query_one("#permission-input", Input).display = False
        self.focus()
        self._update_keys()

    @on(Input.Submitted, "#permission-input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        mode = self.input_mode
        if mode == "comment":
            self._add_comment(value)
            return
        if mode == "deny":
            self._decide(Approval.deny(value or None, tuple(self.comments)))
        elif mode in ("session", "save"):
            if not value:
                self.notify("Type the rule to allow, e.g. Bash(npm test:*)", severity="warning")
                return
            self._decide(Approval(ApprovalKind(mode), rule=value))
        self.query_one("#permission-input", Input).display = False

    # --- review comments --------------------------------------------------------

    def action_move_line(self, step: int) -> None:
        if self.proposals and not self.input_mode:
            self.diff_view.move_cursor(step)
            self._update_hunks()

    def action_comment(self) -> None:
        """`c`: a one-line comment on the line under the cursor of the diff under review."""
        if not self.proposals or self.input_mode:
            return
        cursor = self.diff_view.cursor_line
        if cursor is None:
            return
        hunk, index = cursor
        line = hunk.lines[index]
        removed = line.sign == "-"
        number = line.old_no if removed else line.new_no
        self._commenting = ReviewComment(
            path=self.proposals[self.file_index].rel_path,
            line=number or 0,
            side="old" if removed else "new",
            quoted=line.text,
            comment="",
            hunk=hunk.index,
        )
        self._open_input("comment", "", f"comment on {anchor(self._commenting)}")

    def _add_comment(self, text: str) -> None:
        if text and self._commenting is not None:
            self.comments.append(ReviewComment(**{**self._commenting, "comment": text}))
            self._show_comments()
        self._commenting = None
        self.action_close_input()
        self._update_hunks()

    def _show_comments(self) -> None:
        """Draw the comments on the file under review beneath their lines."""
        path = self.proposals[self.file_index].rel_path
        shown: dict[tuple[int, int], list[str]] = {}
        view = self.diff_view
        for comment in self.comments:
            if comment["path"] != path:
                continue
            key = view.line_key(comment["hunk"], comment["line"], comment["side"])
            if key is not None:
                shown.setdefault(key, []).append(comment["comment"])
        view.set_comments(shown)

    # --- hunks ------------------------------------------------------------------

    def action_next_hunk(self) -> None:
        if self.proposals:
            self.diff_view.next_hunk()
            self._update_hunks()

    def action_prev_hunk(self) -> None:
        if self.proposals:
            self.diff_view.prev_hunk()
            self._update_hunks()

    def action_toggle_hunk(self) -> None:
        if self.proposals and self.diff_view.hunk_count:
            self.diff_view.toggle_hunk()
            self._update_hunks()

    # --- editing ----------------------------------------------------------------

    def action_edit(self) -> None:
        if not self.proposals or self.input_mode:
            return
        from tui.app.screens.editor import EditorScreen

        proposal = self.proposals[self.file_index]
        self.app.push_screen(EditorScreen(proposal.rel_path, proposal.new_text), self._edited)

    def _edited(self, text: str | None) -> None:
        if text is None:
            self.focus()
            return
        self._record_file(text)

    def action_edit_external(self) -> None:
        if not self.proposals or self.input_mode:
            return
        editor = external_editor()
        if editor is None:
            self.notify("No $VISUAL, $EDITOR, vi or nano found; `e` edits here.", severity="warning")
            return
        self._external_edit(self.proposals[self.file_index], editor)

    @work(exclusive=True, group="external-editor")
    async def _external_edit(self, proposal: Proposal, editor: str) -> None:
        suffix = Path(proposal.rel_path).suffix
        with tempfile.TemporaryDirectory(prefix="stepwise-edit-") as folder:
            path = Path(folder) / f"proposal{suffix}"
            path.write_text(proposal.new_text, encoding="utf-8")
            try:
                with self.app.suspend():
                    done = subprocess.run([*shlex.split(editor), str(path)], check=False)
            except SuspendNotSupported:
                self.notify("This terminal cannot hand over to $EDITOR; `e` edits here.", severity="warning")
                return
            except OSError as exc:
                self.notify(f"Could not start {editor}: {exc}", severity="error")
                return
            if done.returncode != 0:
                self.notify(f"{editor} exited with status {done.returncode}; nothing applied", severity="warning")
                return
            self._record_file(path.read_text(encoding="utf-8"))
