"""`stepwise [PROMPT]`: open the Textual app in the current workspace."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import sys
from typing import TYPE_CHECKING

from tui.commands.print_mode import check_model, make_provider, session_options
from tui.engine.model.sdk import env_api_key

if TYPE_CHECKING:
    from tui.app.app import SessionChange, StepwiseApp
    from tui.engine.session.session import SessionOptions

NO_KEY_NOTICE = (
    "No ANTHROPIC_API_KEY is set, so the model cannot be reached. "
    "Set one with `export ANTHROPIC_API_KEY=...` (or ANTHROPIC_BASE_URL for an Anthropic-compatible server), "
    "or try the scripted demo, which needs neither: `stepwise --demo`."
)
NO_TERMINAL = (
    "stepwise: the app needs a terminal on stdout, and stdout is not one (a pipe or a file); "
    'for a headless run use print mode: stepwise -p "PROMPT"'
)


def run(args: argparse.Namespace) -> int:
    problem = check_model(args)
    if problem:
        print(f"stepwise: {problem}", file=sys.stderr)
        return 2
    if not sys.stdout.isatty():
        print(NO_TERMINAL, file=sys.stderr)
        return 2
    app = build_app(args)
    app.run()
    farewell = app.farewell()
    if args.demo and not args.keep:
        import shutil

        # The scratch repository goes with the demo; its session log stays (replay and export still work).
        shutil.rmtree(args.cwd, ignore_errors=True)
        farewell = [f"Removed the demo's scratch repository {args.cwd} (stepwise --demo --keep keeps it)."]
    for line in farewell:
        print(line, file=sys.stderr if app.return_code else sys.stdout)
    return app.return_code or 0


def changed_options(options: SessionOptions, change: SessionChange) -> SessionOptions:
    """The options of the session `/agent`, `/model`, `/fork` or `/resume` reopens, from the current ones."""
    return dataclasses.replace(
        options,
        agent=change.agent or options.agent,
        model=change.model or options.model,
        resume=change.resume,
        fork=change.fork,
        continue_latest=False,
    )


def build_app(args: argparse.Namespace) -> StepwiseApp:
    """The app for these flags, wired to real sessions (`run` runs it; tests drive it with Pilot)."""
    from tui.app.app import StepwiseApp
    from tui.engine.config.settings import SettingsError, load_settings, save_user_setting

    notice = None
    locked = None
    provider = make_provider(args)
    prompt = args.prompt
    if args.demo:
        from tui.replay import demo

        args.cwd = demo.prepare_workspace()
        args.agent = args.agent or demo.AGENT
        provider = demo.demo_provider()
        prompt = prompt or demo.PROMPT
        notice = demo.NOTICE.format(path=args.cwd)
        locked = demo.LOCKED
    elif provider is None and not env_api_key():
        notice = NO_KEY_NOTICE

    def open_session(approver, change: SessionChange | None):
        # The session's modules (~150 ms of imports) load here: in a thread, after the first frame.
        from tui.engine.session.session import Session

        options = session_options(args)
        if change is None:
            return Session.open(options, approver, provider)
        return Session.open(
            changed_options(options, change), approver, provider if change.resume or change.fork else None
        )

    async def session_factory(approver):
        return await asyncio.to_thread(open_session, approver, None)

    async def reopen(approver, change):
        return await asyncio.to_thread(open_session, approver, change)

    def list_agents() -> list[tuple[str, str]]:
        from tui.engine.agents.discovery import discover_agents

        return [(a.name, f"{a.name}: {a.description}") for a in discover_agents(args.cwd).agents]

    def list_sessions() -> list[tuple[str, str]]:
        from tui.commands.sessions import resume_choices
        from tui.engine.agents.discovery import project_root

        return resume_choices(project_root(args.cwd))

    def check_model_name(name: str) -> str | None:
        from tui.engine.model.aliases import UnknownModelError, validate_model

        try:
            validate_model(name, load_settings(args.cwd).model_aliases)
        except UnknownModelError as exc:
            return str(exc)
        return None

    def persist_theme(name: str) -> None:
        # A broken settings file is reported at start; the theme still switches.
        with contextlib.suppress(SettingsError):
            save_user_setting("theme", name)

    from tui.engine.session.preview import preview

    resuming = args.resume or args.continue_latest or args.fork
    return StepwiseApp(
        session_factory,
        initial_prompt=prompt,
        theme=args.theme or load_settings(args.cwd).theme,
        notice=notice,
        on_theme_change=persist_theme,
        reopen=reopen,
        list_agents=list_agents,
        list_sessions=list_sessions,
        check_model=check_model_name,
        locked=locked,
        # A resumed session's agent is in its log, read once the session opens.
        preview=None if resuming else functools.partial(preview, args.cwd, args.agent, args.model),
        on_first_frame=_release_provider,
    )


def _release_provider() -> None:
    """Let the provider process that `main` started held load the SDK (`remote.start`)."""
    from tui.engine.model import remote

    remote.release()
