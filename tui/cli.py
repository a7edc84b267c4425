"""The `stepwise` command line.

Everything heavy (Textual, the anthropic SDK, tree-sitter) is imported only by
the command that needs it, so `--help` and `agents` start fast. The app and
print mode start the provider process first (`engine/model/remote.py`): the SDK
loads there, on another core, beside the app's start when a prompt was given,
else from its first frame.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui import __version__

SUBCOMMANDS = ("agents", "sessions", "replay", "export", "mcp", "doctor")

DESCRIPTION = """\
stepwise: pair-program with a Claude agent and approve every step.

The agent proposes file edits and shell commands; you approve each one (per
file or per hunk), edit it first, or deny it with a message. Every step is a
git checkpoint you can undo, and every session is recorded so it can be
resumed, replayed, verified and exported.

  stepwise                     open the app in this git workspace
  stepwise "PROMPT"            open the app and send PROMPT (`stepwise -- WORD` for a one-word prompt)
  stepwise -p "PROMPT"         headless print mode (never prompts)
  stepwise --demo              scripted demo: no API key, no network
  stepwise agents [--json]     list the agents stepwise can find
  stepwise sessions [--json]   list this workspace's sessions
  stepwise doctor [--json]     which protections are active (sandbox, network, protected paths)
  stepwise replay SESSION      step through a recorded session
  stepwise export SESSION      export a session as md, html or json
  stepwise mcp list|get NAME   the MCP servers found, their trust, status and tools

The model is reached through the anthropic SDK: set ANTHROPIC_API_KEY (and
ANTHROPIC_BASE_URL for any Anthropic-compatible server). STEPWISE_HOME moves
the settings, agents, themes and sessions folder.
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _session_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", metavar="NAME|PATH", help="agent to use (default: the general agent)")
    parser.add_argument("--model", metavar="M", help="model alias (haiku, sonnet, opus) or full model id")
    parser.add_argument(
        "--permission-mode",
        metavar="MODE",
        help="default (alias manual), acceptEdits, plan, dontAsk or bypassPermissions",
    )
    parser.add_argument(
        "--allow", action="append", default=[], metavar="RULE", help="allow rule, e.g. 'run_in_terminal(npm test:*)'"
    )
    parser.add_argument("--deny", action="append", default=[], metavar="RULE", help="deny rule, e.g. 'Edit(.env)'")
    parser.add_argument("--max-turns", type=_positive_int, metavar="N", help="stop after N model turns per prompt")
    parser.add_argument(
        "-c",
        "--continue",
        dest="continue_latest",
        action="store_true",
        help="continue the latest session of this workspace",
    )
    parser.add_argument("-r", "--resume", metavar="ID", help="resume a session by id, id prefix or path")
    parser.add_argument(
        "--fork",
        metavar="ID[@STEP]",
        help="start a new session from another's conversation and files at checkpoint STEP (default: its latest)",
    )
    parser.add_argument(
        "--auto-commit", action="store_true", help="also commit each approved step on the current branch"
    )
    sandbox = parser.add_mutually_exclusive_group()
    sandbox.add_argument(
        "--sandbox",
        action="store_true",
        default=None,
        help="require the bubblewrap sandbox for commands (the default wherever it works): the workspace "
        "writable except .git config and hooks and control files, no network; fail when it cannot run",
    )
    sandbox.add_argument(
        "--no-sandbox", dest="sandbox", action="store_false", default=None, help="run commands without the sandbox"
    )
    parser.add_argument(
        "--mcp-config",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help='load MCP servers from FILE ({"mcpServers": {...}}, as in .mcp.json; trusted; repeatable)',
    )
    parser.add_argument("--cwd", type=Path, default=None, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepwise", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("prompt", nargs="?", help="a first prompt to send")
    parser.add_argument(
        "-p", "--print", dest="print_mode", action="store_true", help="headless: run PROMPT, print the result, exit"
    )
    parser.add_argument(
        "--output-format",
        choices=("text", "json", "stream-json"),
        default="text",
        help="print mode output: the final text, one JSON object, or the session events as JSON lines",
    )
    _session_flags(parser)
    parser.add_argument(
        "--theme", metavar="NAME", help="app theme (stepwise-dark, stepwise-light, stepwise-high-contrast, or yours)"
    )
    parser.add_argument(
        "--demo", action="store_true", help="run the scripted demo in a temporary sample project (no key, no network)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="with --demo: keep the sample project's repository when the demo ends"
    )
    parser.add_argument("--replay-model", metavar="SESSION", help="take the model's turns from a recorded session")
    _debug_flag(parser)
    parser.add_argument("--version", action="version", version=f"stepwise {__version__}")
    return parser


def mistyped_subcommand(args_list: list[str], prompt: str | None) -> str | None:
    """Why a lone one-word prompt looks like a mistyped sub-command (`sesions`), or None.

    Sent as a prompt it would open the app and cost a model call; a prompt put
    after `--` is always a prompt.
    """
    if prompt is None or "--" in args_list or len(prompt.split()) != 1:
        return None
    import difflib

    word = prompt.strip()
    close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.75)
    if not close:
        return None
    return (
        f"unknown command {word!r}; did you mean {close[0]!r}? "
        f"To send a prompt, quote it or put it after --: stepwise -- {word}"
    )


def build_subparser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"stepwise {name}")
    if name == "agents":
        from tui.commands import agents

        parser.description = "List the agents stepwise finds, highest precedence first."
        agents.add_arguments(parser)
    elif name == "doctor":
        parser.description = "Show which protections are active: sandbox, network, subreaper, protected paths."
        parser.add_argument("--json", action="store_true", help="print JSON")
    elif name == "sessions":
        parser.description = "List the sessions of this workspace."
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--all", action="store_true", help="sessions of every workspace")
    elif name == "replay":
        parser.description = "Step through a recorded session (Right/Left step, [ ] jump by turn, space plays)."
        parser.add_argument("session", help="session id, id prefix or path")
        parser.add_argument(
            "--verify", action="store_true", help="re-execute in a scratch copy and compare every checkpoint"
        )
        parser.add_argument(
            "--rerun-commands",
            action="store_true",
            help="with --verify: re-run commands instead of taking their effects from checkpoints",
        )
        parser.add_argument("--theme", metavar="NAME")
    elif name == "mcp":
        from tui.commands import mcp

        parser.description = "List the MCP servers stepwise finds, or show one with its tools."
        mcp.add_arguments(parser)
    elif name == "export":
        parser.description = "Export a session transcript with diffs and every decision."
        parser.add_argument("session", help="session id, id prefix or path")
        parser.add_argument("--format", choices=("md", "html", "json"), default="md")
        parser.add_argument("-o", "--output", type=Path, help="write to FILE instead of stdout")
    _debug_flag(parser)
    parser.add_argument("--cwd", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


def _debug_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        help="keep a debug log (tracebacks included) in the sessions folder's debug.log; also STEPWISE_DEBUG=1",
    )


def _start_debug_log(flag: bool) -> None:
    # The common case (neither the flag nor the variable) need not load logging at all.
    if not flag and "STEPWISE_DEBUG" not in os.environ:
        return
    from tui.engine import debug_log

    if debug_log.requested(flag):
        try:
            debug_log.enable()
        except OSError as exc:
            print(f"stepwise: cannot write the debug log {debug_log.debug_log_path()}: {exc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SUBCOMMANDS:
        name = args_list.pop(0)
        args = build_subparser(name).parse_args(args_list)
        _start_debug_log(args.debug)
        args.cwd = (args.cwd or Path.cwd()).resolve()
        module = __import__(f"tui.commands.{name}", fromlist=["run"])
        return module.run(args)

    args = build_parser().parse_args(args_list)
    if (problem := mistyped_subcommand(args_list, args.prompt)) is not None:
        print(f"stepwise: {problem}", file=sys.stderr)
        return 2
    from tui.engine.model.sdk import env_api_key

    if not (args.demo or args.replay_model) and env_api_key():
        from tui.engine.model import remote

        # First of all: the SDK loads in its own process, on the other core, while everything below
        # runs; with no prompt to answer yet, from the app's first frame (`on_first_frame`).
        remote.start(held=not (args.print_mode or args.prompt))
    _start_debug_log(args.debug)
    args.cwd = (args.cwd or Path.cwd()).resolve()
    if args.print_mode:
        from tui.commands import print_mode

        return print_mode.run(args)
    from tui.app.gc_tuning import paused_for_start_up

    with paused_for_start_up():  # the app collects again once its first frame and session are up
        from tui.commands import app

        return app.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
