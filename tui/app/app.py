"""StepwiseApp: the Textual app shell around one engine session.

The first frame appears before the session exists: from mount, a worker reads
the preview (the agent and model, from the settings and agent files) into the
status bar, then awaits the session factory (git, tools, permissions, MCP,
memory) beside the first frame, and shows the session once that frame is drawn;
"starting…" stays in the status bar until then. Engine
events reach the main screen as messages (stream deltas merged, at most one
batch per frame); the approver shows the permission pane and waits for the user.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer

from tui.app.approver import AppApprover, PendingApproval
from tui.app.event_batch import FRAME_S, EventBatch
from tui.app.gc_tuning import start_up_done
from tui.app.mentions import list_files, match_files
from tui.app.screens.main import ApprovalRequested, EngineEvent, MainScreen
from tui.app.screens.pick import PickScreen
from tui.app.slash_commands import (
    SLASH_COMMANDS,
    SlashCall,
    UnknownCommand,
    complete_slash,
    help_text,
    is_builtin,
    parse_slash,
)
from tui.app.widgets.prompt_input import Completion, CompletionQuery, PromptInput
from tui.app.widgets.status_bar import cache_share
from tui.engine.debug_log import log_failure
from tui.engine.session.approval import Approver
from tui.engine.session.events import Event, UserMessage

if TYPE_CHECKING:
    from tui.app.themes import ThemeSpec
    from tui.engine.agents.commands import CustomCommand
    from tui.engine.exec.reaper import ProcessInfo
    from tui.engine.session.preview import SessionPreview
    from tui.engine.session.session import Session

DEFAULT_THEME = "stepwise-dark"


@dataclass(frozen=True)
class SessionChange:
    """What `/agent`, `/model` and `/resume` ask the `reopen` callback for."""

    agent: str | None = None
    model: str | None = None
    resume: str | None = None
    """A session id to resume (for `/model`, the current session's id)."""
    fork: str | None = None
    """`ID` or `ID@STEP`: start a new session from that session's conversation and files (`/fork`)."""


REWIND_CHOICES = [
    ("both", "code and conversation: files and messages back to that step"),
    ("code", "code only: the files go back, the conversation stays"),
    ("conversation", "conversation only: the messages go back, the files stay"),
]

SessionFactory = Callable[[Approver], Awaitable["Session"]]
Reopen = Callable[[Approver, SessionChange], Awaitable["Session"]]
Lister = Callable[[], list[tuple[str, str]]]
"""Returns (id, label) pairs: agents by name, sessions by id."""


_log = logging.getLogger(__name__)


class StepwiseApp(App[int]):
    """The stepwise terminal app."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [Path(__file__).with_name("app.tcss")]
    TITLE = "stepwise"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+tab", "cycle_mode", "cycle mode", priority=True),
        Binding("escape", "interrupt", "interrupt"),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        initial_prompt: str | None = None,
        theme: str | None = None,
        notice: str | None = None,
        on_theme_change: Callable[[str], None] | None = None,
        reopen: Reopen | None = None,
        list_agents: Lister | None = None,
        list_sessions: Lister | None = None,
        check_model: Callable[[str], str | None] | None = None,
        locked: str | None = None,
        preview: Callable[[], SessionPreview | None] | None = None,
        on_first_frame: Callable[[], None] | None = None,
    ) -> None:
        """Create the app (nothing heavy happens before the first frame).

        Args:
            session_factory: Opens the session, given the app's approver.
            initial_prompt: Sent as soon as the session is ready.
            theme: Theme name (default `stepwise-dark`).
            notice: A banner at the top of the chat (demo, missing key).
            on_theme_change: Called with the new theme's name when the user switches.
            reopen: Starts a replacement session for `/agent`, `/model` and `/resume`.
            list_agents: The agents `/agent` offers.
            list_sessions: The sessions `/resume` offers.
            check_model: Why a model name given to `/model` is refused (None: it is fine).
            locked: When set, `/agent` and `/model` are refused with this reason (the demo's
                turns are scripted for its agent; a new session would reach the real API).
            preview: Reads the agent and model the session will have (run as the app mounts; its
                answer is in the first frame and shown while the session opens).
            on_first_frame: Called once the first frame is on screen (the launch lets the
                provider process load the SDK then: `remote.start`).
        """
        super().__init__()
        self.session_factory = session_factory
        self.initial_prompt = initial_prompt
        self.requested_theme = theme or DEFAULT_THEME
        self.notice = notice
        self.on_theme_change = on_theme_change
        self.reopen = reopen
        self.list_agents = list_agents
        self.list_sessions = list_sessions
        self.check_model = check_model
        self.locked = locked
        self.preview = preview
        self.on_first_frame = on_first_frame
        self.approver = AppApprover()
        self.session: Session | None = None
        self.start_error: str | None = None
        """Why the first session could not start; the app then exits non-zero."""
        self._opening = True
        self._switching: str | None = None
        """The command (`/agent x`, `/model y`, `/resume`) whose new session is opening."""
        self._queued: list[str] = []
        """Prompts sent while a session opens (at start, or for `/model`, `/agent`, `/resume`)."""
        self._drawn = asyncio.Event()
        """Set once the first frame is on screen: a session opened before it waits to be shown."""
        self.stopped_at_exit: list[ProcessInfo] = []
        """Processes the session's commands still ran when the app quit (stopped; told after exit)."""
        self.theme_specs: dict[str, ThemeSpec] = {}
        self._files: list[str] | None = None
        self._saved_theme = ""
        self._theme_warnings: list[str] = []
        self._deltas = EventBatch()
        self._deltas_timer: Timer | None = None
        self.main = MainScreen(self.approver, self.complete)
        self._load_themes()

    # --- start-up -------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def _load_themes(self) -> None:
        """Register the themes and pick the requested one.

        Done before the app runs: the stylesheet is then parsed once, with the
        theme's variables (a switch in `on_mount` parsed it all a second time).
        """
        from tui.app.themes import register_all

        warnings: list[str] = []
        self.theme_specs = register_all(self, warnings)
        problem = self._apply_theme(self.requested_theme)
        if problem:
            warnings.append(problem)
        self._saved_theme = self.theme
        self._theme_warnings = warnings

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.approver.attach(self._present_approval)
        # Notices, and the agent the preview names, are part of the first frame.
        if self.notice:
            self.main.chat.add_note(self.notice, "notice")
        for warning in self._theme_warnings:
            self.main.chat.add_note(warning, "warning")
        self.main.refresh_state("starting")
        self._show_preview()
        # A launch's prompt waits for the session, which then opens beside the first frame;
        # otherwise it opens once that frame is on screen, so its imports and git commands
        # do not delay it (where a worker thread competes with the frame for the interpreter).
        opens_now = bool(self.initial_prompt)
        if opens_now:
            self._open_session(self.session_factory(self.approver))
        self.call_after_refresh(self._start, not opens_now)

    async def on_unmount(self) -> None:
        # No process a command started outlives the app: the session stops them and names them.
        if self.session is not None:
            self.stopped_at_exit = await self.session.close()

    def _show_preview(self) -> None:
        """Name the agent and model in the first frame, before the session opens (`session/preview.py`).

        It reads only the settings and agent files (a few milliseconds, through the YAML
        cache), so it runs on the app's own thread and its answer is in that frame.
        """
        preview, self.preview = self.preview, None
        if preview is not None and (shown := preview()) is not None:
            self.main.status_bar.agent = shown.agent
            self.main.status_bar.model = shown.model

    def _start(self, open_session: bool) -> None:
        self._drawn.set()
        if self.on_first_frame is not None:
            self.on_first_frame()
        if open_session:
            self._open_session(self.session_factory(self.approver))

    @work(exclusive=True, group="session")
    async def _open_session(self, opening: Awaitable[Session]) -> None:
        self._opening = True
        try:
            session = await opening
            await self._drawn.wait()
        except Exception as exc:  # noqa: BLE001 - any start-up failure is shown, the app keeps running
            self._opening = False
            self._switching = None
            self._open_failed(f"{exc}{log_failure(_log, 'the session could not open', exc)}")
            start_up_done()
            return
        self._opening = False
        switched, self._switching = self._switching, None
        old, self.session = self.session, session
        if old is not None:
            await old.close()
        session.subscribe(self._on_session_event)
        self.main.show_session(session)
        self.main.refresh_state("idle")
        start_up_done()
        self._warm_up(session)
        if switched:
            self.main.chat.add_note(
                f"{switched}: agent {session.agent_name}, model {session.model}, session {session.id}.", "info"
            )
        self._start_mcp(session)
        for warning in session.warnings:
            self.main.chat.add_note(warning, "warning")
        self._refresh_git()
        if self.initial_prompt:
            self._queued.insert(0, self.initial_prompt)
            self.initial_prompt = None
        if self._queued:
            # One turn: what was typed while the session opened, in order.
            prompt, self._queued = "\n\n".join(self._queued), []
            self._send(prompt, session)
        else:
            self.call_later(self.main.build_deferred)  # else once that prompt's request is out (MainScreen)

    def _open_failed(self, problem: str) -> None:
        note = self.main.chat.add_note
        if self.session is None:
            self.start_error = problem
            # The preview named what was about to start; nothing did.
            self.main.status_bar.agent = self.main.status_bar.model = ""
            note(f"Could not start the session: {problem}\nNothing can be sent; Ctrl+Q quits.", "error")
            self.main.refresh_state("not started")
        else:
            # A failed /model, /agent or /resume keeps the session that was open.
            note(f"Could not open the new session: {problem}. Still in session {self.session.id}.", "error")
            self.main.show_session(self.session)
            self.main.refresh_state("idle")
        if self._queued:
            self.main.prompt.load_text("\n\n".join(self._queued))
            self._queued = []

    @work(group="mcp", exit_on_error=False)
    async def _start_mcp(self, session: Session) -> None:
        """Start the MCP servers in the background (asking first about untrusted project servers)."""
        await session.start_mcp(ask=True)
        if not session.busy:
            # The trust questions are no turn: nothing else moves the bar out of "waiting".
            self.main.refresh_state("idle")

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self, session: Session) -> None:
        """Load what the first reply needs while the user types: the SDK and its client, the Markdown renderer.

        Each takes from tens of milliseconds (the renderer) to about a second
        (the SDK); loaded on the first Enter, the first reply would wait for them.
        """
        session.warm_up()
        import tui.app.markdown_render  # noqa: F401

    def _on_session_event(self, event: Event) -> None:
        # Deltas reach the screen once per frame, merged; any other event first posts those queued.
        if self._deltas.add(event):
            if self._deltas_timer is None:
                self._deltas_timer = self.set_timer(FRAME_S, self._post_deltas)
            return
        self._post_deltas()
        self.main.post_message(EngineEvent(event))

    def _post_deltas(self) -> None:
        if self._deltas_timer is not None:
            self._deltas_timer.stop()
            self._deltas_timer = None
        for event in self._deltas.take():
            self.main.post_message(EngineEvent(event))

    def _present_approval(self, pending: PendingApproval) -> None:
        self.main.post_message(ApprovalRequested(pending))

    # --- themes ---------------------------------------------------------------------

    def _apply_theme(self, name: str) -> str | None:
        """Switch to theme `name`; returns why not when it is unknown."""
        if name not in self.available_themes:
            if self.theme not in self.theme_specs and DEFAULT_THEME in self.theme_specs:
                self.theme = DEFAULT_THEME
            return f"Unknown theme {name!r}; themes: {', '.join(self.theme_specs)}"
        self.theme = name
        return None

    def _theme_changed(self, theme: object) -> None:
        if self.theme != self._saved_theme:
            self._saved_theme = self.theme
            if self.on_theme_change is not None:
                self.on_theme_change(self.theme)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in self.theme_specs:
            yield SystemCommand(f"Theme: {name}", f"Switch to the {name} theme", lambda n=name: self._apply_theme(n))
        for slash in SLASH_COMMANDS:
            # Every built-in slash command, run as if typed without an argument (pickers open, settings show).
            yield SystemCommand(f"/{slash.name}", slash.help, lambda s=slash: self.run_slash(SlashCall(s, "")))
        for command in self._custom_commands():
            yield SystemCommand(
                f"/{command.name}", command.help, lambda c=command: self.main.prompt.load_text(f"/{c.name} ")
            )

    def _custom_commands(self) -> list[CustomCommand]:
        if self.session is None:
            return []
        return [c for c in self.session.commands.commands.values() if not is_builtin(c.name)]

    # --- completion -----------------------------------------------------------------

    def complete(self, query: CompletionQuery) -> list[Completion]:
        """Candidates for the word being typed in the prompt."""
        if query.kind == "slash":
            builtin = [Completion(f"/{c.name}", c.help) for c in complete_slash(query.query)]
            needle = query.query.lower()
            custom = [
                Completion(f"/{c.name}", c.help) for c in self._custom_commands() if c.name.lower().startswith(needle)
            ]
            return builtin + custom
        if self.session is None:
            return []
        if self._files is None:
            self._files = list_files(self.session.root)
        return [Completion(f"@{path}") for path in match_files(self._files, query.query)]

    # --- prompts and turns ----------------------------------------------------------

    def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        text = message.text
        name, _, arguments = text.strip().removeprefix("/").partition(" ")
        if text.strip().startswith("/") and any(c.name == name for c in self._custom_commands()):
            self._run_command(name, arguments)
            return
        try:
            call = parse_slash(text)
        except UnknownCommand as exc:
            self.main.chat.add_note(str(exc), "warning")
            return
        if call is not None:
            self.run_slash(call)
            return
        if text.strip().startswith("//"):
            text = text.strip()[1:]
        session = self.session
        if self.start_error is not None:
            self.main.chat.add_note(
                f"The session could not start ({self.start_error}), so nothing can be sent. "
                "Quit with Ctrl+Q, fix that and start stepwise again.",
                "error",
            )
            self.main.prompt.load_text(text)
            return
        if session is None or self._opening:
            self._queued.append(text)
            self.main.chat.add_note("The session is opening; this prompt is sent as soon as it is ready.", "info")
            return
        self._send(text, session)

    def _send(self, text: str, session: Session) -> None:
        if session.busy:
            self.main.chat.add_note("A turn is running: wait for it, or press Esc to interrupt.", "warning")
            self.main.prompt.load_text(text)
            return
        from tui.engine.session.attachments import read_attachments

        attachments = read_attachments(text, session.root)
        for problem in attachments.problems:
            self.main.chat.add_note(problem, "warning")
        self._run_turn(text, attachments.files)

    @work(group="turn")
    async def _run_command(self, name: str, arguments: str) -> None:
        session = self.session
        if session is None:
            return
        if session.busy:
            self.main.chat.add_note("A turn is running: wait for it, or press Esc to interrupt.", "warning")
            return
        from tui.engine.session.session import SessionError

        try:
            await session.run_command(name, arguments)
        except SessionError as exc:
            self.main.chat.add_note(str(exc), "warning")
        self._files = None
        self._refresh_git()

    @work(group="turn")
    async def _run_turn(self, text: str, attachments: list[dict[str, str]]) -> None:
        session = self.session
        if session is None:
            return
        try:
            await session.run(text, attachments)
        except Exception as exc:  # noqa: BLE001 - a failed turn is reported; the session goes on
            self.main.chat.add_note(f"The turn failed: {exc}{log_failure(_log, 'the turn failed', exc)}", "error")
            self.main.refresh_state("idle")
        self._files = None
        self._refresh_git()

    # --- leaving ----------------------------------------------------------------------

    async def action_quit(self) -> None:
        self.exit(return_code=1 if self.start_error is not None else 0)

    def farewell(self) -> list[str]:
        """What to print once the app has closed: why it could not start, or how to resume."""
        if self.start_error is not None:
            return [f"stepwise: could not start the session: {self.start_error}"]
        lines = []
        if self.stopped_at_exit:
            from tui.engine.exec.terminal_text import show_controls
            from tui.engine.session.session import leftovers_message

            lines.append(f"stepwise: {show_controls(leftovers_message(self.stopped_at_exit))}")
        session = self.session
        if session is None or not any(isinstance(e, UserMessage) for e in session.history()):
            return lines
        return [*lines, f"Session {session.id} saved. Resume it with: stepwise --resume {session.id}"]

    def action_interrupt(self) -> None:
        """Esc: stop the running turn (what was shown stays); with nothing running, back to the prompt."""
        session = self.session
        if session is None or not session.busy:
            if self.main.prompt.display:
                self.main.prompt.focus()
            return
        session.cancel()
        self.approver.cancel_pending("The user interrupted the turn.")
        # The turn's end says so, once: "Interrupted." (or that the reply above is partial).
        self.main.withdraw_approval()

    def action_cycle_mode(self) -> None:
        if self.session is not None:
            self.session.cycle_mode()
            self.main.refresh_state()

    @work(thread=True, exclusive=True, group="git")
    def _refresh_git(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            dirty = session.is_dirty()
        except Exception:  # noqa: BLE001 - the status bar is a hint; git trouble shows elsewhere
            _log.debug("git status for the status bar failed", exc_info=True)
            return
        self.call_from_thread(setattr, self.main.status_bar, "dirty", dirty)

    # --- slash commands -------------------------------------------------------------

    def run_slash(self, call: SlashCall) -> None:
        """Run a `/command` typed in the prompt."""
        name, argument = call.command.name, call.argument
        note = self.main.chat.add_note
        if name == "help":
            note(help_text(self._custom_commands()))
        elif name == "quit":
            self.run_worker(self.action_quit())
        elif name == "clear":
            self.main.chat.clear_messages()
            note("Chat cleared; the session goes on (the model still has the whole conversation).")
        elif name == "theme":
            if argument:
                problem = self._apply_theme(argument)
                note(problem or f"Theme: {argument}", "warning" if problem else "info")
            else:
                note(f"Theme: {self.theme}. Available: {', '.join(self.theme_specs)}")
        elif self.session is None:
            note(f"/{name} needs a session, which is not ready yet.", "warning")
        else:
            self._session_command(name, argument, self.session)

    def _session_command(self, name: str, argument: str, session: Session) -> None:
        note = self.main.chat.add_note
        if name == "mode":
            if not argument:
                from tui.engine.permissions.modes import MODES

                note(f"Mode: {session.mode}. Modes: {', '.join(MODES)} (Shift+Tab cycles)")
                return
            try:
                session.set_mode(argument)
            except ValueError as exc:
                note(str(exc), "warning")
            self.main.refresh_state()
        elif name == "cost":
            usage = session.usage
            note(
                f"Tokens: input {usage.get('input_tokens', 0):,}, output {usage.get('output_tokens', 0):,}, "
                f"cache read {usage.get('cache_read_input_tokens', 0):,}, "
                f"cache write {usage.get('cache_creation_input_tokens', 0):,} "
                f"({cache_share(usage):.0%} of prompt tokens from the cache). "
                f"Context: {session.context_tokens:,} of {session.context_window:,} tokens "
                f"({session.context_share:.0%}) at the last request. Cost: ${session.cost_usd:.4f}"
            )
            from tui.engine.session.delegation import usage_by_agent_lines

            for line in usage_by_agent_lines(session.usage_by_agent):
                note(f"  {line}")
        elif name == "memory":
            note(session.memory.describe())
            if folders := session.permissions.extra_roots:
                note(
                    "Additional directories (permissions.additionalDirectories): the agent may read them; "
                    "every edit there is asked, and /undo cannot take it back:\n"
                    + "\n".join(f"  {folder}" for folder in folders)
                )
        elif name == "compact":
            self._compact(session, argument)
        elif name == "fork":
            self._fork(session)
        elif name == "diff":
            self.main.show_diff("Session diff", session.diff())
        elif name == "undo":
            self._undo(session)
        elif name == "rewind":
            self._rewind(session)
        elif name == "export":
            self._export(session, argument)
        elif name == "model":
            if not argument:
                note(f"Model: {session.model}")
            elif self.locked:
                note(self.locked, "warning")
            elif (problem := self.check_model and self.check_model(argument)) is not None:
                note(f"{problem}. The model stays {session.model}.", "warning")
            else:
                self._reopen(SessionChange(model=argument, resume=session.id), f"/model {argument}")
        elif name == "agent":
            if self.locked:
                note(self.locked, "warning")
            else:
                self._pick_agent(session, argument)
        elif name == "resume":
            self._pick_session()
        elif name == "mcp":
            from tui.engine.mcp.report import render_list

            statuses = list(session.mcp.statuses.values()) if session.mcp is not None else []
            note(render_list(statuses))

    @work(group="session-command")
    async def _undo(self, session: Session) -> None:
        if session.busy:
            self.main.chat.add_note("Undo waits for the running turn: press Esc first.", "warning")
            return
        if await session.undo() is None:
            self.main.chat.add_note("Nothing to undo.", "info")
        self._refresh_git()

    @work(group="session-command")
    async def _compact(self, session: Session, focus: str) -> None:
        if session.busy:
            self.main.chat.add_note("/compact waits for the running turn: press Esc first.", "warning")
            return
        self.main.refresh_state("compacting")
        try:
            await session.compact(focus)
        finally:
            self.main.refresh_state("idle")

    @work(group="session-command")
    async def _rewind(self, session: Session) -> None:
        if session.busy:
            self.main.chat.add_note("/rewind waits for the running turn: press Esc first.", "warning")
            return
        checkpoints = session.checkpoints()
        if len(checkpoints) < 2:
            self.main.chat.add_note("No earlier checkpoint to rewind to.", "info")
            return
        items = [(str(c.step), f"step {c.step}: {c.label}") for c in reversed(checkpoints)]
        step = await self.push_screen_wait(PickScreen("Rewind to", items))
        if step is None:
            return
        what = await self.push_screen_wait(PickScreen(f"Rewind to step {step}: what goes back", REWIND_CHOICES))
        if what is None:
            return
        await session.rewind(int(step), code=what != "conversation", conversation=what != "code")
        self._refresh_git()

    @work(group="session-command")
    async def _fork(self, session: Session) -> None:
        if session.busy:
            self.main.chat.add_note("/fork waits for the running turn: press Esc first.", "warning")
            return
        checkpoints = session.checkpoints()
        items = [("now", "now: the conversation and files as they are")]
        items += [(str(c.step), f"step {c.step}: {c.label}") for c in reversed(checkpoints)]
        picked = await self.push_screen_wait(PickScreen("Fork a new session from", items))
        if picked is None:
            return
        self._reopen(SessionChange(fork=session.id if picked == "now" else f"{session.id}@{picked}"), "/fork")

    def _export(self, session: Session, argument: str) -> None:
        from tui.engine.session.log import read_session
        from tui.presentation.export import FORMATS, ExportTargetError, export_target

        try:
            fmt, target = export_target(argument, session.path, session.root)
        except ExportTargetError as exc:
            self.main.chat.add_note(str(exc), "warning")
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(FORMATS[fmt](read_session(session.path)), encoding="utf-8")
        except (OSError, ValueError) as exc:
            self.main.chat.add_note(f"Export failed: {exc}", "error")
            return
        self.main.chat.add_note(f"Exported the transcript ({fmt}) to {target}", "info")

    @work(group="session-command")
    async def _pick_agent(self, session: Session, name: str) -> None:
        if self.list_agents is None or self.reopen is None:
            self.main.chat.add_note(
                f"Agent: {session.agent_name}. Switching agents is not available here; "
                "start stepwise with --agent NAME.",
                "info",
            )
            return
        if not name:
            agents = await asyncio.to_thread(self.list_agents)
            picked = await self.push_screen_wait(PickScreen(f"Agent (now {session.agent_name})", agents))
            if picked is None:
                return
            name = picked
        self._reopen(SessionChange(agent=name), f"/agent {name}")

    @work(group="session-command")
    async def _pick_session(self) -> None:
        if self.list_sessions is None or self.reopen is None:
            self.main.chat.add_note(
                "Resuming is not available here; run `stepwise --resume ID` (`stepwise sessions` lists them).",
                "info",
            )
            return
        sessions = await asyncio.to_thread(self.list_sessions)
        if not sessions:
            self.main.chat.add_note("No earlier session in this workspace.", "info")
            return
        current = self.session.id if self.session is not None else None
        sessions = [(sid, f"{label}  ← current" if sid == current else label) for sid, label in sessions]
        picked = await self.push_screen_wait(PickScreen("Resume a session", sessions))
        if picked is not None:
            self._reopen(SessionChange(resume=picked), "/resume")

    def _reopen(self, change: SessionChange, what: str) -> None:
        session = self.session
        if self.reopen is None:
            self.main.chat.add_note(f"{what} needs a restart: start stepwise again with the option.", "info")
            return
        if session is not None and session.busy:
            self.main.chat.add_note(f"{what} waits for the running turn: press Esc first.", "warning")
            return
        self._opening = True
        self._switching = what
        self.main.chat.clear_messages()
        self.main.refresh_state("starting", what)
        self._open_session(self.reopen(self.approver, change))
