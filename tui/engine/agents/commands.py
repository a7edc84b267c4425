"""Custom slash commands and prompt files: Markdown the user keeps to send as a prompt.

- Claude Code: `.claude/commands/**/*.md` in the project and `~/.claude/commands/`; a
  sub-folder is a namespace (`frontend/test.md` is `/frontend:test`). Frontmatter:
  `description`, `argument-hint`, `allowed-tools`, `model`. The body takes `$ARGUMENTS`,
  `$1`..`$9`, `@file` references and `` !`command` `` lines.
- Copilot: `.github/prompts/*.prompt.md` (`/name`). Frontmatter: `description`, `mode` or
  `agent`, `model`, `tools`; the body takes `${input:name}` and `${input:name:placeholder}`,
  which are asked for (the first argument words fill them in order).

A project command shadows a user command of the same name. Expanding a command never runs
anything: `` !`command` `` lines come back as `shell_commands` for the session to run through
the permission engine like any other command.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui.engine.agents.files import (
    AgentFileError,
    normalize_text,
    read_frontmatter,
    read_text_file,
    split_frontmatter,
    split_tool_entries,
)
from tui.engine.model.aliases import first_claude_model

CommandSource = Literal["project", "user", "prompt"]

_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")
_POSITIONAL = re.compile(r"\$([1-9])")
_INPUT = re.compile(r"\$\{input:(?P<name>[\w-]+)(?::(?P<placeholder>[^}]*))?\}")
_SHELL_LINE = re.compile(r"^!`(?P<command>[^`]+)`\s*$", re.MULTILINE)


@dataclass(frozen=True)
class CustomCommand:
    name: str
    """As typed after the slash: `review`, `frontend:test`."""
    source: CommandSource
    path: Path
    body: str
    description: str = ""
    argument_hint: str = ""
    allowed_tools: tuple[str, ...] = ()
    """Rules granted for the command's own turn only (`Bash(git diff:*)`)."""
    model: str | None = None
    agent: str | None = None
    """Copilot's `mode`/`agent`: which agent the prompt is for (shown; the session keeps its agent)."""
    inputs: tuple[tuple[str, str], ...] = ()
    """`${input:name:placeholder}` variables, in order of appearance."""

    @property
    def help(self) -> str:
        origin = {"project": "project command", "user": "your command", "prompt": "prompt file"}[self.source]
        return f"{self.description or self.body.splitlines()[0][:60]} ({origin})"


@dataclass(frozen=True)
class Expansion:
    """A command with its arguments filled in: the prompt to send and what it needs first."""

    command: CustomCommand
    prompt: str
    """`@file` references in it are attached like the prompt's own mentions."""
    shell_commands: tuple[str, ...] = ()
    """`` !`command` `` lines, in order: run (with approval) and their output goes into the prompt."""
    missing_inputs: tuple[str, ...] = ()
    """`${input:...}` names no argument filled (the app asks; print mode reports them)."""


@dataclass
class CommandCatalog:
    commands: dict[str, CustomCommand] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Files that could not be read, with the reason."""
    shadowed: list[CustomCommand] = field(default_factory=list)

    def find(self, name: str) -> CustomCommand | None:
        return self.commands.get(name) or self.commands.get(name.lower())


def command_dirs(root: Path, home: Path | None = None) -> list[tuple[Path, CommandSource]]:
    """Where commands are found, highest precedence first."""
    user_home = home or Path.home()
    return [
        (root / ".claude" / "commands", "project"),
        (root / ".github" / "prompts", "prompt"),
        (user_home / ".claude" / "commands", "user"),
    ]


def discover_commands(root: Path, home: Path | None = None, reserved: frozenset[str] = frozenset()) -> CommandCatalog:
    """Every custom command; names in `reserved` (the built-in commands) cannot be taken."""
    catalog = CommandCatalog()
    for folder, source in command_dirs(root, home):
        if not folder.is_dir():
            continue
        pattern = "*.prompt.md" if source == "prompt" else "*.md"
        for path in sorted(folder.rglob(pattern)):
            if not path.is_file():
                continue
            name = _command_name(path, folder, source)
            if name is None:
                catalog.skipped.append((path, "the file name is not a command name"))
                continue
            if name.lower() in reserved:
                catalog.skipped.append((path, f"/{name} is a built-in command"))
                continue
            try:
                command = read_command(path, name, source)
            except AgentFileError as exc:
                catalog.skipped.append((path, str(exc)))
                continue
            if name in catalog.commands:
                catalog.shadowed.append(command)
            else:
                catalog.commands[name] = command
    return catalog


def _command_name(path: Path, folder: Path, source: CommandSource) -> str | None:
    rel = path.relative_to(folder)
    stem = rel.name.removesuffix(".prompt.md") if source == "prompt" else rel.name.removesuffix(".md")
    parts = [*rel.parent.parts, stem] if source != "prompt" else [stem]
    if not all(_NAME.match(part) for part in parts):
        return None
    return ":".join(parts)


def read_command(path: Path, name: str, source: CommandSource) -> CustomCommand:
    """One command file.

    Raises:
        AgentFileError: unreadable, or a frontmatter that cannot be understood.
    """
    text = normalize_text(read_text_file(path))
    split = split_frontmatter(text)
    meta = read_frontmatter(split[0]) if split else {}
    body = (split[1] if split else text).strip()
    if not body:
        raise AgentFileError("has no prompt text")
    tools = meta.get("allowed-tools", meta.get("allowed_tools", meta.get("tools")))
    agent = meta.get("agent", meta.get("mode"))
    inputs: dict[str, str] = {}
    for match in _INPUT.finditer(body):
        inputs.setdefault(match["name"], match["placeholder"] or "")
    return CustomCommand(
        name=name,
        source=source,
        path=path,
        body=body,
        description=str(meta.get("description") or "").strip(),
        argument_hint=str(meta.get("argument-hint") or "").strip(),
        allowed_tools=tuple(split_tool_entries(tools)) if source != "prompt" else (),
        model=first_claude_model(meta.get("model")),
        agent=str(agent).strip() if agent else None,
        inputs=tuple(inputs.items()),
    )


def expand(command: CustomCommand, arguments: str, inputs: dict[str, str] | None = None) -> Expansion:
    """Fill in `$ARGUMENTS`, `$1`..`$9` and `${input:...}`; collect `@file` and `` !`cmd` `` lines.

    With no `$ARGUMENTS` or positional placeholder in the body, arguments are appended (Claude
    Code's behaviour), so `/review app.py` still says which file.
    """
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    given = dict(inputs or {})
    remaining = list(words)
    for name, _ in command.inputs:
        if name not in given and remaining:
            given[name] = remaining.pop(0)
    missing = tuple(name for name, _ in command.inputs if name not in given)

    body = command.body
    uses_arguments = "$ARGUMENTS" in body or _POSITIONAL.search(body) is not None
    body = body.replace("$ARGUMENTS", arguments.strip())
    body = _POSITIONAL.sub(lambda m: words[int(m.group(1)) - 1] if int(m.group(1)) <= len(words) else "", body)
    body = _INPUT.sub(lambda m: given.get(m["name"], m.group(0)), body)
    if not uses_arguments and not command.inputs and arguments.strip():
        body = f"{body}\n\n{arguments.strip()}"
    shell = tuple(match["command"].strip() for match in _SHELL_LINE.finditer(body))
    return Expansion(command, body, shell, missing)


def with_command_output(expansion: Expansion, outputs: list[str]) -> str:
    """The prompt with each `` !`command` `` line replaced by the command and its output."""
    pending = iter(outputs)

    def replace(match: re.Match[str]) -> str:
        output = next(pending, "(not run)")
        return f"$ {match['command'].strip()}\n```\n{output.rstrip()}\n```"

    return _SHELL_LINE.sub(replace, expansion.prompt)
