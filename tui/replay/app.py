"""ReplayApp: a recorded session replayed, read-only, in the live app's panes.

The chat and diff panes are fed by `EventFeed`, the same mapping the live
screen uses. The replay's position is the number of events shown: stepping
forward applies the next event, stepping back rebuilds the panes from the
start (simple and always consistent; applying events without animation is
fast). Playing uses Textual timers spaced by the recorded gaps (capped), or
faster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from tui.app.event_feed import EventFeed
from tui.app.widgets.chat import ChatView
from tui.app.widgets.diff_view import DiffView
from tui.engine.exec.terminal_text import sanitize_terminal_text
from tui.engine.session.events import AssistantMessage, Event, SessionHeader, UserMessage
from tui.replay.timeline import LEGEND, Timeline

if TYPE_CHECKING:
    from tui.app.themes import ThemeSpec
    from tui.engine.session.log import SessionRecord

DEFAULT_THEME = "stepwise-dark"
SPEEDS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, math.inf)
"""Playback speeds: multiples of the recorded pace, then instant."""
MAX_GAP_S = 2.0
"""Recorded pauses longer than this (the user thinking, a slow command) play as this long."""
KEYS_HELP = "←/→ step · [/] turn · space play · +/- speed · d layout · q quit"
NO_DIFF_TITLE = "No changes yet"
MIN_TIMER_S = 0.001
"""Textual timers need a positive delay; events recorded at once play this far apart."""


def playback_delay(previous: Event | None, event: Event, speed: float) -> float:
    """Seconds to wait before showing `event` when playing at `speed`.

    The recorded gap since `previous` (none before the first event), capped at
    `MAX_GAP_S`, divided by the speed; instant speed waits for nothing.
    """
    if previous is None or math.isinf(speed):
        return 0.0
    gap = min(max(event.ts - previous.ts, 0.0), MAX_GAP_S)
    return gap / speed


def turn_starts(session_events: Sequence[Event]) -> list[int]:
    """Indices of the events that start a turn (each user message)."""
    return [index for index, event in enumerate(session_events) if isinstance(event, UserMessage)]


def speed_label(speed: float) -> str:
    return "instant" if math.isinf(speed) else f"{speed:g}x"


class ReplayApp(App[None]):
    """Replays one recorded session; nothing is sent to a model or written to disk."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [
        Path(__file__).parent.parent / "app" / "app.tcss",
        Path(__file__).with_name("replay.tcss"),
    ]
    TITLE = "stepwise replay"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "step(1)", "next event", priority=True),
        Binding("left", "step(-1)", "previous event", priority=True),
        Binding("right_square_bracket", "turn(1)", "next turn", priority=True),
        Binding("left_square_bracket", "turn(-1)", "previous turn", priority=True),
        Binding("space", "toggle_play", "play/pause", priority=True),
        Binding("plus,equals_sign", "speed(1)", "faster", priority=True),
        Binding("minus", "speed(-1)", "slower", priority=True),
        Binding("home", "go_to(0)", "start", priority=True),
        Binding("end", "go_to_end", "end", priority=True),
        Binding("d,f2", "toggle_diff_layout", "unified/side by side"),
        Binding("q", "quit", "quit", priority=True),
    ]

    def __init__(self, record: SessionRecord, *, theme: str | None = None) -> None:
        """Create the app (the first frame shows the session before its first event).

        Args:
            record: The session as read by `read_session`.
            theme: Theme name (default `stepwise-dark`).
        """
        super().__init__()
        self.record = record
        self.header: SessionHeader = record.header
        self.events: list[Event] = [e for e in record.events if e.persistent and not isinstance(e, SessionHeader)]
        self.turns = turn_starts(self.events)
        self.requested_theme = theme or DEFAULT_THEME
        self.position = 0
        """How many events are shown (0 to `len(events)`)."""
        self.speed_index = 0
        self.playing = False
        self._timer: Timer | None = None
        self.theme_specs: dict[str, ThemeSpec] = {}
        self.keys_help = Static(Content(f"{KEYS_HELP} │ {LEGEND}"), id="replay-keys")
        self.chat = ChatView(id="chat")
        self.diff_title = Static(Content(NO_DIFF_TITLE), id="diff-title")
        self.diff_view = DiffView(id="diff")
        self.timeline = Timeline(self.events, id="timeline")
        self.status = Static("", id="replay-status")
        self.feed = EventFeed(self.chat, self.show_diff)

    def compose(self) -> ComposeResult:
        yield self.keys_help
        with Horizontal(id="main"):
            with Vertical(id="chat-column"):
                yield self.chat
            with Vertical(id="side"):
                yield self.diff_title
                yield self.diff_view
        yield self.timeline
        yield self.status

    def on_mount(self) -> None:
        from tui.app.themes import register_all

        warnings: list[str] = []
        self.theme_specs = register_all(self, warnings)
        if self.requested_theme in self.available_themes:
            self.theme = self.requested_theme
        else:
            warnings.append(f"Unknown theme {self.requested_theme!r}; themes: {', '.join(self.theme_specs)}")
            if DEFAULT_THEME in self.available_themes:
                self.theme = DEFAULT_THEME
        for problem in [*warnings, *self.record.problems]:
            self.notify(problem, severity="warning", timeout=10)
        self.show_diff(NO_DIFF_TITLE, "", "")
        self._refresh_position()

    # --- what the panes show --------------------------------------------------------

    def show_diff(self, title: str, diff: str, path: str) -> None:
        """Put a diff and its title in the diff pane (the feed calls it for each applied edit)."""
        self.diff_title.update(Content(title))
        self.diff_view.show_diff(diff, path)

    @property
    def turn(self) -> int:
        """The turn shown: how many user messages are among the shown events."""
        return sum(1 for start in self.turns if start < self.position)

    def status_text(self) -> Content:
        """The status line: the REPLAY marker, the session, the position and the playback state."""
        header = self.header
        spent = sum(e.cost_usd for e in self.events[: self.position] if isinstance(e, AssistantMessage))
        state = "▶ playing" if self.playing else "⏸ paused"
        details = " · ".join(
            [
                sanitize_terminal_text(header.session_id),
                sanitize_terminal_text(header.agent),
                sanitize_terminal_text(header.model),
                f"event {self.position}/{len(self.events)}",
                f"turn {self.turn}/{len(self.turns)}",
                f"{state} {speed_label(SPEEDS[self.speed_index])}",
                f"${spent:.4f}",
            ]
        )
        return Content.assemble((" REPLAY ", "bold reverse $text-accent"), " ", details)

    def _refresh_position(self) -> None:
        self.status.update(self.status_text())
        self.timeline.position = self.position

    # --- moving ---------------------------------------------------------------------

    def go_to(self, position: int) -> None:
        """Show the session up to `position` events (clamped to the session).

        Forward applies the events in between; backward rebuilds the panes from the start.
        """
        target = min(max(position, 0), len(self.events))
        if target < self.position:
            self.feed.clear()
            self.show_diff(NO_DIFF_TITLE, "", "")
            self.position = 0
        for event in self.events[self.position : target]:
            self.feed.apply(event)
        self.position = target
        self._refresh_position()

    def action_step(self, delta: int) -> None:
        """Right / Left: one event forward or back (pauses playing)."""
        self.pause()
        self.go_to(self.position + delta)

    def action_turn(self, delta: int) -> None:
        """] / [: to the start of the next or previous turn (its user message shown)."""
        self.pause()
        shown = [start + 1 for start in self.turns]
        if delta > 0:
            later = [p for p in shown if p > self.position]
            self.go_to(later[0] if later else len(self.events))
        else:
            earlier = [p for p in shown if p < self.position]
            self.go_to(earlier[-1] if earlier else 0)

    def action_go_to(self, position: int) -> None:
        self.pause()
        self.go_to(position)

    def action_go_to_end(self) -> None:
        self.action_go_to(len(self.events))

    def on_timeline_jump(self, message: Timeline.Jump) -> None:
        self.action_go_to(message.position)

    def action_toggle_diff_layout(self) -> None:
        self.diff_view.side_by_side = not self.diff_view.side_by_side

    # --- playing --------------------------------------------------------------------

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def action_toggle_play(self) -> None:
        """Space: play from here (from the start when at the end), or pause."""
        if self.playing:
            self.pause()
            return
        if self.position >= len(self.events):
            self.go_to(0)
        self.playing = True
        self._schedule_next()

    def action_speed(self, delta: int) -> None:
        """+ / -: the next faster or slower speed; a playing replay continues at the new one."""
        self.speed_index = min(max(self.speed_index + delta, 0), len(SPEEDS) - 1)
        if self.playing:
            self._cancel_timer()
            self._schedule_next()
        else:
            self._refresh_position()

    def pause(self) -> None:
        """Stop playing (the position stays)."""
        self.playing = False
        self._cancel_timer()
        self._refresh_position()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _schedule_next(self) -> None:
        if self.position >= len(self.events):
            self.pause()
            return
        if math.isinf(self.speed):
            self.go_to(len(self.events))
            self.pause()
            return
        previous = self.events[self.position - 1] if self.position else None
        delay = playback_delay(previous, self.events[self.position], self.speed)
        self._refresh_position()
        self._timer = self.set_timer(max(delay, MIN_TIMER_S), self.play_tick)

    def play_tick(self) -> None:
        """The timer fired: show the next event and schedule the one after."""
        self._timer = None
        if not self.playing:
            return
        self.go_to(self.position + 1)
        self._schedule_next()
