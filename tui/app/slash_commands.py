"""The prompt's slash commands: names, help, parsing and completion (running them is the app's job)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.app.keys import help_lines

if TYPE_CHECKING:
    from tui.engine.agents.commands import CustomCommand

from tui.engine.errors import StepwiseError


@dataclass(frozen=True)
class SlashCommand:
    """A `/command` of the prompt, as `/help` lists it."""

    name: str
    """Without the slash."""
    usage: str
    """Arguments, for help (`[name]`)."""
    help: str


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("help", "", "list commands and keys"),
    SlashCommand("agent", "[name]", "list agents, or switch to one (starts a new session)"),
    SlashCommand("model", "[name]", "show or switch the model"),
    SlashCommand("mode", "[name]", "show or switch the permission mode (Shift+Tab cycles)"),
    SlashCommand("undo", "", "undo the last step (files changed by edits and commands)"),
    SlashCommand("rewind", "", "go back to an earlier checkpoint: its files, the conversation, or both"),
    SlashCommand("compact", "[focus]", "replace the conversation so far by the model's summary of it"),
    SlashCommand("fork", "", "start a new session from a checkpoint of this one (this one stays as it is)"),
    SlashCommand("diff", "", "show the whole session's diff"),
    SlashCommand("clear", "", "clear the chat pane (the session goes on)"),
    SlashCommand("resume", "", "pick an earlier session to resume"),
    SlashCommand("export", "[md|html|json] [path]", "write the transcript to a file (default: beside the session log)"),
    SlashCommand("cost", "", "tokens used, cache hits, context window and cost"),
    SlashCommand("memory", "", "the memory and instruction files in context, and where each came from"),
    SlashCommand("theme", "[name]", "show or switch the colour theme"),
    SlashCommand("mcp", "", "MCP servers: status, trust and tools"),
    SlashCommand("quit", "", "leave stepwise"),
)
_BY_NAME = {command.name: command for command in SLASH_COMMANDS}


@dataclass(frozen=True)
class SlashCall:
    """A prompt that calls a slash command, with the rest of the line as its argument."""

    command: SlashCommand
    argument: str


class UnknownCommand(StepwiseError, ValueError):
    """The prompt starts with `/` but names no command."""


def parse_slash(text: str) -> SlashCall | None:
    """The command a prompt runs, or None when it is not a slash command.

    `//text` escapes the slash: it is sent as the prompt `/text`.

    Raises:
        UnknownCommand: `/name` names no command; the message lists the closest ones.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    name, _, argument = stripped[1:].partition(" ")
    command = _BY_NAME.get(name.lower())
    if command is None:
        close = complete_slash(name[:2]) if name else []
        hint = f"; did you mean {', '.join('/' + c.name for c in close)}?" if close else "; /help lists them"
        raise UnknownCommand(f"unknown command /{name}{hint}")
    return SlashCall(command, argument.strip())


def complete_slash(prefix: str) -> list[SlashCommand]:
    """Commands whose name is `prefix`, then those starting with it, then those containing it.

    The exact name comes first so that Enter on `/mode` runs `/mode`, not the
    longer `/model` it is also a prefix of.
    """
    needle = prefix.lower()
    exact = [c for c in SLASH_COMMANDS if c.name == needle]
    starts = [c for c in SLASH_COMMANDS if c.name.startswith(needle) and c not in exact]
    contains = [c for c in SLASH_COMMANDS if needle in c.name and c not in exact and c not in starts]
    return exact + starts + contains


def is_builtin(name: str) -> bool:
    return name.lower() in _BY_NAME


def help_text(custom: Sequence[CustomCommand] = ()) -> str:
    """The `/help` text (plain), with the workspace's and the user's own commands."""
    lines = ["Commands:"]
    lines += [f"  /{c.name} {c.usage}".rstrip().ljust(26) + c.help for c in SLASH_COMMANDS]
    if custom:
        lines.append("Your commands (.claude/commands, .github/prompts, ~/.claude/commands):")
        lines += [f"  /{c.name} {c.argument_hint}".rstrip().ljust(26) + c.help for c in custom]
    lines += ["  @path in a prompt attaches the file; //text sends a prompt starting with /"]
    lines += help_lines()
    return "\n".join(lines)
