"""Driving the app with Textual's Pilot: waiting for a state, sending a line, the app as the CLI builds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui.app.app import StepwiseApp
from tui.app.widgets.chat import ChatNote


async def until(pilot: Pilot[Any], predicate: Callable[[], object], what: str, rounds: int = 400) -> None:
    """Let the app process messages until `predicate()` holds (bounded, no wall-clock timing)."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause()
    raise AssertionError(f"gave up waiting for {what}")


async def ready(pilot: Pilot[Any]) -> StepwiseApp:
    """Wait until the session is open and the app idle; the app."""
    app = pilot.app
    assert isinstance(app, StepwiseApp)
    await until(pilot, lambda: app.session is not None and app.main.status_bar.activity == "idle", "the session")
    return app


async def send(pilot: Pilot[Any], line: str) -> None:
    """Type `line` into the prompt and press Enter."""
    app = pilot.app
    assert isinstance(app, StepwiseApp)
    app.main.prompt.insert(line)
    await pilot.press("enter")


async def send_until_asked(pilot: Pilot[Any], line: str) -> None:
    """Send `line` and wait until the permission pane asks about the model's first call."""
    await send(pilot, line)
    app = pilot.app
    assert isinstance(app, StepwiseApp)
    await until(pilot, lambda: app.main.permission.display, "the question")


def notes(app: StepwiseApp) -> list[str]:
    """The text of every note in the chat, oldest first."""
    return [note.text for note in app.main.chat.query(ChatNote)]


def cli_app(cwd: Path, *argv: str) -> StepwiseApp:
    """The app exactly as `stepwise ARGV` builds it, in `cwd` (real sessions, real reopen)."""
    from tui.cli import build_parser
    from tui.commands.app import build_app

    args = build_parser().parse_args(list(argv))
    args.cwd = cwd
    return build_app(args)
