"""`stepwise [PROMPT]`: open the Textual app in the current workspace."""

from __future__ import annotations

import argparse
import os

from tui.commands.print_mode import make_provider, session_options

NO_KEY_NOTICE = (
    "No ANTHROPIC_API_KEY is set, so the model cannot be reached. "
    "Set one with `export ANTHROPIC_API_KEY=...` (or ANTHROPIC_BASE_URL for an Anthropic-compatible server), "
    "or try the scripted demo, which needs neither: `stepwise --demo`."
)


def run(args: argparse.Namespace) -> int:
    from tui.app.app import StepwiseApp
    from tui.engine.settings import SettingsError, load_settings, save_user_setting

    notice = None
    provider = make_provider(args)
    prompt = args.prompt
    if args.demo:
        from tui.replay import demo

        args.cwd = demo.prepare_workspace()
        args.agent = args.agent or demo.AGENT
        provider = demo.demo_provider()
        prompt = prompt or demo.PROMPT
        notice = demo.NOTICE.format(path=args.cwd)
    elif provider is None and not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
        notice = NO_KEY_NOTICE

    options = session_options(args)

    async def session_factory(approver):
        import asyncio

        from tui.engine.session import Session

        # Opening imports the SDK and gitpython: off the event loop, after the first frame.
        return await asyncio.to_thread(Session.open, options, approver, provider)

    def persist_theme(name: str) -> None:
        try:
            save_user_setting("theme", name)
        except SettingsError:
            pass  # a broken settings file is reported at start; the theme still switches

    app = StepwiseApp(
        session_factory,
        initial_prompt=prompt,
        theme=args.theme or load_settings(args.cwd).theme,
        notice=notice,
        on_theme_change=persist_theme,
    )
    app.run()
    return app.return_code or 0
