"""The main screen: chat, permission pane and prompt on the left, diff and changed files on the right.

Engine events arrive as `EngineEvent` messages (posted by the app's session
listener) and approval requests as `ApprovalRequested`, both in the order the
engine produced them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widget import AwaitMount
from textual.widgets import Input, Static, TextArea

from tui.app.approver import AppApprover, PendingApproval
from tui.app.event_feed import EventFeed
from tui.app.gc_tuning import freeze_long_lived
from tui.app.widgets.changed_files import ChangedFiles
from tui.app.widgets.chat import ChatView
from tui.app.widgets.permission_pane import PermissionPane
from tui.app.widgets.prompt_input import Completer, CompletionList, PromptInput
from tui.app.widgets.status_bar import StatusBar
from tui.app.widgets.todo_line import TodoLine
from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    Compaction,
    ConversationRewind,
    Event,
    McpStatus,
    ModeChange,
    Rewind,
    Status,
    TurnEnd,
)

if TYPE_CHECKING:
    from tui.app.widgets.diff_view import DiffView
    from tui.engine.session.session import Session


class EngineEvent(Message):
    """An engine event for the screen."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ApprovalRequested(Message):
    """The engine waits for the user's answer to `pending.request`."""

    def __init__(self, pending: PendingApproval) -> None:
        super().__init__()
        self.pending = pending


class MainScreen(Screen[None]):
    """Shows one session; the app drives it (`show_session`, engine events)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "toggle_diff_layout", "unified/side by side"),
    ]

    def __init__(self, approver: AppApprover, completer: Completer) -> None:
        """Create the screen.

        Args:
            approver: The app's approver (the screen answers its requests).
            completer: Candidates for `/commands` and `@path` mentions.
        """
        super().__init__()
        self.approver = approver
        self.session: Session | None = None
        self.diff_title = Static(Content("No changes yet"), id="diff-title")
        self._diff_view: DiffView | None = None
        self.changed_files = ChangedFiles(id="changed-files")
        self.chat = ChatView(id="chat")
        self.permission = PermissionPane(lambda: self.diff_view, id="permission")
        self.completions = CompletionList(id="completions")
        self.prompt = PromptInput(self.completions, completer, id="prompt")
        self.status_bar = StatusBar(id="status-bar")
        self.todos = TodoLine(id="todos")
        self.feed = EventFeed(self.chat, self.show_diff, self.todos.show)

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="chat-column"):
                yield self.chat
                yield self.permission
                yield self.todos
                yield self.prompt
            with Vertical(id="side"):
                yield self.diff_title
        yield self.status_bar

    def on_mount(self) -> None:
        self.prompt.focus()

    def on_key(self, event: events.Key) -> None:
        """A printable key typed where it does nothing (the chat, the changed-files list) goes to the prompt.

        The permission pane, the diff pane (the only ScrollView: it is not imported before the
        first frame) and any text field keep their keys; so does a space, which opens and closes
        a tool call's line in the chat.
        """
        focused = self.focused
        if not event.is_printable or not event.character or event.character == " " or not self.prompt.display:
            return
        if focused is self.prompt or isinstance(focused, Input | TextArea | ScrollView):
            return
        if focused is not None and self.permission in focused.ancestors_with_self:
            return
        event.stop()
        event.prevent_default()
        self.prompt.focus()
        self.prompt.insert(event.character)

    @property
    def diff_view(self) -> DiffView:
        """The diff pane, built once the session is open (`build_deferred`) or on first use."""
        if self._diff_view is None:
            from tui.app.widgets.diff_view import DiffView

            self._diff_view = DiffView(id="diff")
            self._diff_view.show_diff("")
            self.query_one("#side").mount(self._diff_view, after=self.diff_title)
        return self._diff_view

    def build_deferred(self) -> None:
        """Mount what the first frame does without: the diff pane and the changed-files list (once).

        Both are empty until the session has changed something; their
        modules, styles and first draws cost about a tenth of the start-up.
        """
        if self.changed_files.parent is not None:
            return
        self.diff_view  # noqa: B018 - built by the property
        self.query_one("#side").mount(self.changed_files)

    # --- session ------------------------------------------------------------------

    def show_session(self, session: Session) -> None:
        """Show a (new or resumed) session: its history, its state and its files.

        The history is shown at once (only its last messages are built); the
        totals come from the session, which has already counted every event.
        """
        self.session = session
        history = session.history()
        mounted = self.feed.show_history(history)
        self.refresh_state()
        self.refresh_files()
        if mounted is not None:
            # Only a shown history is worth the full collection (~100 ms): a new session's first
            # prompt would wait for it.
            self.run_worker(self._history_shown(mounted), group="history")

    async def _history_shown(self, mounted: AwaitMount) -> None:
        await mounted
        freeze_long_lived()

    def refresh_state(self, activity: str | None = None, detail: str = "") -> None:
        """Update the status bar from the session (and the current activity)."""
        bar = self.status_bar
        session = self.session
        if session is not None:
            bar.agent = session.agent_name
            bar.model = session.model
            bar.mode = session.mode
            bar.unsandboxed = session.unsandboxed
            bar.branch = session.branch
            bar.usage = dict(session.usage)
            bar.cost_usd = session.cost_usd
            bar.context_share = session.context_share
            if session.mcp is not None:
                from tui.engine.mcp.report import summary

                bar.mcp = summary(session.mcp.statuses.values())
        if activity is not None:
            bar.activity = activity
            bar.detail = detail

    def refresh_files(self) -> None:
        """Reload the changed-files list from the session."""
        if self.session is not None:
            self.changed_files.set_files(self.session.changed_files())

    def show_diff(self, title: str, diff: str, path: str = "") -> None:
        """Show a diff (an applied edit, a file's session diff, the whole session) in the diff pane."""
        self.diff_title.update(Content(title))
        if self._diff_view is None and not diff and not path:
            return  # nothing to show yet: the pane is built later (`build_deferred`), showing no changes
        self.diff_view.show_diff(diff, path)

    # --- engine events ------------------------------------------------------------

    def on_engine_event(self, message: EngineEvent) -> None:
        self.handle_event(message.event)

    def handle_event(self, event: Event) -> None:
        """Show one engine event (live, or from a resumed session's history)."""
        self.feed.apply(event)
        if isinstance(event, (AssistantMessage, ModeChange, Compaction, ConversationRewind)):
            self.refresh_state()
        elif isinstance(event, (Checkpoint, Rewind)):
            # Every step, a command's included (it may add or delete files the model never edited).
            self.refresh_files()
            self.refresh_state()
        elif isinstance(event, Status):
            self.refresh_state(event.state, event.detail)
            if event.state == "streaming":
                # A prompt sent as the session opened is on its way now: building these overlaps
                # the wait for its first token instead of coming before the request.
                self.call_after_refresh(self.build_deferred)
        elif isinstance(event, McpStatus):
            self.refresh_state()
        elif isinstance(event, TurnEnd):
            self.approver.end_turn()
            self.refresh_state("idle")

    # --- approvals ----------------------------------------------------------------

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        request = message.pending.request
        line = self.chat.tool(request.tool_use_id)
        if line is not None:
            line.waiting()
        self.refresh_state("waiting", request.target)
        self.prompt.display = False
        self.completions.hide()
        self.permission.ask(message.pending)

    def withdraw_approval(self) -> None:
        """Close the pane without answering (the turn was interrupted)."""
        if self.permission.display:
            self.permission.withdraw()
            self.prompt.display = True
            self.prompt.focus()

    def on_permission_pane_proposal_shown(self, message: PermissionPane.ProposalShown) -> None:
        self.diff_title.update(Content(f"Proposed: {message.proposal.rel_path}"))

    def on_permission_pane_decided(self, message: PermissionPane.Decided) -> None:
        self.prompt.display = True
        self.prompt.focus()
        if message.approve_turn_edits:
            self.approver.approve_edits_this_turn = True
        message.pending.resolve(message.approval)

    # --- user input ---------------------------------------------------------------

    def on_changed_files_selected(self, message: ChangedFiles.Selected) -> None:
        if self.session is not None:
            self.show_diff(f"Session diff: {message.path}", self.session.diff(message.path), message.path)

    def action_toggle_diff_layout(self) -> None:
        self.diff_view.side_by_side = not self.diff_view.side_by_side
