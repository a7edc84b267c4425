"""`stepwise -p PROMPT`: one headless run that never prompts.

Whatever would ask for approval is denied and reported (in `json`, under
`permission_denials`; `context` tells how full the model's context window was
at the last request and how often the conversation was compacted). Exit status 0 on success, 1 when the run ended in an
error or hit `--max-turns`, 2 when it could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from tui.engine.session.events import Compaction, Error, Event, event_to_dict
from tui.presentation.transcript import ToolEntry, Transcript, call_title, decision_detail


def say(text: str) -> None:
    """One line for the user on stderr; its control characters and escape sequences are shown, never obeyed."""
    from tui.engine.exec.terminal_text import show_controls

    print(f"stepwise: {show_controls(text)}", file=sys.stderr)


def session_options(args: argparse.Namespace):
    from tui.engine.session.session import SessionOptions

    return SessionOptions(
        cwd=args.cwd,
        agent=args.agent,
        model=args.model,
        permission_mode=args.permission_mode,
        allow=list(args.allow),
        deny=list(args.deny),
        max_turns=args.max_turns,
        auto_commit=args.auto_commit,
        resume=args.resume,
        continue_latest=args.continue_latest,
        sandbox=args.sandbox,
        fork=args.fork,
        mcp_config=list(getattr(args, "mcp_config", [])),
    )


def check_model(args: argparse.Namespace) -> str | None:
    """Why `--model` is refused (an unknown name), or None when it names a model or is absent."""
    if not args.model:
        return None
    from tui.engine.config.settings import load_settings
    from tui.engine.model.aliases import UnknownModelError, validate_model

    try:
        validate_model(args.model, load_settings(args.cwd).model_aliases)
    except UnknownModelError as exc:
        return str(exc)
    return None


def make_provider(args: argparse.Namespace):
    """The model provider for these flags: a recording for `--replay-model`, else None (the SDK)."""
    if getattr(args, "replay_model", None):
        from tui.replay.recorded_provider import RecordedProvider

        return RecordedProvider.from_session(args.replay_model)
    return None


async def _start_mcp(session: Any) -> None:
    """Start the trusted MCP servers and wait for them; untrusted project servers are never started."""
    if session.mcp is None:
        return
    for status in session.mcp.untrusted():
        config = status.config
        say(
            f"MCP server {config.name} ({config.source}) not started: {status.trust.reason}; "
            "approve it in the app, or pass its entry with --mcp-config"
        )
    await session.start_mcp(ask=False)
    await session.mcp.wait_ready()
    for status in session.mcp.statuses.values():
        if status.state == "failed":
            say(f"warning: MCP server {status.config.name}: {status.error}")


def run(args: argparse.Namespace) -> int:
    prompt = args.prompt
    if prompt is None and not sys.stdin.isatty():
        prompt = sys.stdin.read()
    if not prompt or not prompt.strip():
        say('print mode needs a prompt: stepwise -p "PROMPT"')
        return 2
    problem = check_model(args)
    if problem:
        say(problem)
        return 2
    return asyncio.run(_run(args, prompt))


async def _run(args: argparse.Namespace, prompt: str) -> int:
    from tui.engine.model.provider import ProviderError
    from tui.engine.session.approval import HeadlessApprover
    from tui.engine.session.log import SessionLogError
    from tui.engine.session.session import Session, SessionError

    try:
        session = Session.open(session_options(args), HeadlessApprover(), provider=make_provider(args))
    except (SessionError, ProviderError) as exc:
        say(str(exc))
        return 2
    for warning in session.warnings:
        say(f"warning: {warning}")
    await _start_mcp(session)

    errors: list[str] = []
    transcript = Transcript()
    calls: list[ToolEntry] = []

    def listen(event: Event) -> None:
        if isinstance(event, Error) and event.kind != "leftovers":  # said once, below
            errors.append(event.message)
        calls.extend(entry for entry in transcript.add(event) if isinstance(entry, ToolEntry))
        if args.output_format == "stream-json" and event.persistent:
            print(json.dumps(event_to_dict(event), ensure_ascii=False), flush=True)

    session.subscribe(listen)
    name, _, arguments = prompt.strip()[1:].partition(" ")
    try:
        if prompt.strip().startswith("/") and session.commands.find(name) is not None:
            outcome = await session.run_command(name, arguments)
        else:
            outcome = await session.run(prompt)
    except SessionError as exc:
        say(str(exc))
        return 2
    except SessionLogError as exc:
        # A full disk or a lost log: say so plainly; the log holds only whole events.
        say(str(exc))
        return 1
    finally:
        stopped = await session.close()
        if stopped:
            from tui.engine.session.session import leftovers_message

            say(leftovers_message(stopped))
    is_error = outcome.reason in ("error", "max_turns")
    # A sub-agent's denials are the run's too; each names its agent.
    denials = [*outcome.denials, *(session.delegation.denials if session.delegation else [])]

    if args.output_format == "json":
        summary: dict[str, Any] = {
            "session_id": session.id,
            "session_path": str(session.path),
            "result": outcome.text,
            "num_turns": outcome.turns,
            "usage": dict(session.usage),
            "usage_by_agent": {
                agent: {key: round(value, 6) if key == "cost_usd" else value for key, value in usage.items()}
                for agent, usage in session.usage_by_agent.items()
            },
            "cost_usd": round(session.cost_usd, 6),
            "context": {
                "tokens": session.context_tokens,
                "window": session.context_window,
                "share": round(session.context_share, 4),
                "compactions": sum(1 for e in session.history() if isinstance(e, Compaction)),
            },
            "permission_denials": denials,
            "is_error": is_error,
        }
        if errors:
            summary["errors"] = errors
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif args.output_format == "text":
        from tui.engine.exec.terminal_text import show_controls

        # The model's text and its calls go to a terminal: their escape sequences are shown, never obeyed.
        if outcome.text:
            print(show_controls(outcome.text))
        for call in calls:
            if call.decision is not None and call.decision.behavior == "deny":
                line = f"{call_title(call.call)}: {decision_detail(call.decision)}"
                say(line)
    if is_error:
        for message in errors or [f"the run ended with {outcome.reason}"]:
            say(message)
        return 1
    return 0
