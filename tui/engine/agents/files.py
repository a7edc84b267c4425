"""Agent files: a tolerant reader for Markdown with YAML frontmatter.

Claude Code agents (`.claude/agents/*.md`), Copilot agents (`*.agent.md`) and
chat modes (`*.chatmode.md`, which have no `name`: the file stem is used) share
one shape: a frontmatter between `---` lines, then the system prompt.

Real files are messy, so the frontmatter is first read with `yaml.safe_load`
(through `config/yaml_cache.py`: a frontmatter parsed before is not parsed again);
when that fails (an unquoted `: ` in a description, unindented continuation
lines, `\\n` escapes in plain scalars) it is re-read field by field, splitting at
the lines that start with a known top-level key. CRLF, a UTF-8 BOM and a closing
line of many dashes are accepted. Only a file that still makes no sense raises
`AgentFileError`; a Markdown file without frontmatter is simply not an agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.engine.config import yaml_cache
from tui.engine.errors import StepwiseError
from tui.engine.mcp.names import is_mcp_name
from tui.engine.model.aliases import first_claude_model
from tui.engine.permissions.modes import MODES, canonical_mode
from tui.engine.tools.names import ALIASES, ALL_TOOLS, EDIT_TOOLS, RUN_TOOLS, SEARCH_TOOLS, TOOL_KINDS, canonical_name

MAX_AGENT_FILE_BYTES = 1_000_000

COPILOT_TOOLS: dict[str, tuple[str, ...]] = {
    "edit": EDIT_TOOLS,
    "editfiles": EDIT_TOOLS,
    "createfile": ("create_file",),
    "read": ("read_file",),
    "readfile": ("read_file",),
    "search": (*SEARCH_TOOLS, "list_dir"),
    "codebase": SEARCH_TOOLS,
    "findtestfiles": SEARCH_TOOLS,
    "usages": SEARCH_TOOLS,
    "textsearch": ("grep_search",),
    "filesearch": ("file_search",),
    "listdirectory": ("list_dir",),
    "runcommands": RUN_TOOLS,
    "runinterminal": RUN_TOOLS,
    "runtests": RUN_TOOLS,
    "execute": RUN_TOOLS,
    "terminal": RUN_TOOLS,
    "getterminaloutput": ("get_terminal_output",),
    "terminallastcommand": ("get_terminal_output",),
    "terminalselection": ("get_terminal_output",),
    "fetch": ("web_fetch",),
    "websearch": ("web_search",),
    "web": ("web_search", "web_fetch"),
    "todos": ("manage_todo_list",),
    "todo": ("manage_todo_list",),
    "agent": ("run_subagent",),
    "runsubagent": ("run_subagent",),
}
"""Copilot tool names and tool sets (lower-cased, also as the leaf of `ns/leaf`) and the stepwise
tools they mean. A tool stepwise does not have (yet) is left out, so the entry warns as unknown."""

_LOWER_NAMES: dict[str, str] = {name.lower(): name for name in TOOL_KINDS} | {
    alias.lower(): name for alias, name in ALIASES.items()
}
"""Tool names and aliases in any case (OpenCode writes `bash`, `write`)."""

_FIELD_KEYS: dict[str, str] = {
    "name": "name",
    "description": "description",
    "tools": "tools",
    "allowed-tools": "tools",
    "allowedTools": "tools",
    "allowed_tools": "tools",
    "disallowedTools": "disallowed_tools",
    "disallowed-tools": "disallowed_tools",
    "disallowed_tools": "disallowed_tools",
    "model": "model",
    "permissionMode": "permission_mode",
    "permission-mode": "permission_mode",
    "permission_mode": "permission_mode",
    "skills": "skills",
    "maxTurns": "max_turns",
    "max-turns": "max_turns",
    "max_turns": "max_turns",
    "color": "color",
}
"""Frontmatter keys (and their spellings seen in the wild) that fill `Agent` fields."""

_OTHER_KNOWN_KEYS = frozenset(
    {
        "hooks", "memory", "mcpServers", "mcp-servers", "initialPrompt", "argument-hint", "handoffs",
        "target", "category", "tags", "version", "author", "license", "metadata", "mode", "icon",
        "effort", "background", "isolation", "examples", "title", "type", "priority", "capabilities",
    }
)  # fmt: skip
"""Other top-level keys that split the frontmatter when it is read field by field."""

_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z][\w-]*)[ \t]*:(?:[ \t]+|$)(?P<rest>.*)$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)---[ \t]*$")
_CLOSING_FENCE = re.compile(r"^[ \t]*-{3,}[ \t]*$")
_TOOL_ENTRY = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<pattern>.*)\)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_YAML_OPENERS = ("[", "{")
"""A value starting with one of these is YAML syntax; when it does not parse, the field is broken, not text.

(A description opened by a quote is common in the wild and still reads as text; a name cannot span lines,
which the name check catches.)"""


class AgentFileError(StepwiseError, ValueError):
    """An agent file that cannot be understood; the message is the reason."""


@dataclass
class Agent:
    name: str
    description: str
    system_prompt: str
    """The Markdown body: the agent's whole system prompt."""
    source: Path
    tools: list[str] | None = None
    """The requested tool entries as written; None when the file has no `tools` (= all tools)."""
    disallowed_tools: list[str] = field(default_factory=list)
    model: str | None = None
    """The requested model as written (alias, id, `inherit`, display name); None = inherit."""
    permission_mode: str = "default"
    """Canonical: one of `permissions.modes.MODES`."""
    skills: list[str] = field(default_factory=list)
    max_turns: int | None = None
    color: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Frontmatter keys stepwise does not use, kept as read."""
    resolved_tools: tuple[str, ...] = ALL_TOOLS
    """The canonical tools the agent gets."""
    tool_rules: list[str] = field(default_factory=list)
    """Entries with a pattern, such as `Bash(git add:*)`: hints for allow rules."""
    disallowed_rules: list[str] = field(default_factory=list)
    """`disallowedTools` entries with a pattern: hints for deny rules (the tool stays)."""
    warnings: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Drop a BOM and turn CRLF / CR line endings into `\\n`."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """(frontmatter, body) of normalized text, or None when it has no frontmatter.

    Raises:
        AgentFileError: a frontmatter is opened but never closed.
    """
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    opening = _FENCE.match(lines[start]) if start < len(lines) else None
    if opening is None:
        return None
    # A frontmatter indented as a whole (pasted from a code block) is read without its indent.
    indent = opening["indent"]
    for index in range(start + 1, len(lines)):
        if _CLOSING_FENCE.match(lines[index]):
            frontmatter = [line.removeprefix(indent) for line in lines[start + 1 : index]]
            return "\n".join(frontmatter), "\n".join(lines[index + 1 :])
    raise AgentFileError(f"the frontmatter opened by `---` on line {start + 1} is never closed by a `---` line")


def read_frontmatter(frontmatter: str) -> dict[str, Any]:
    """The frontmatter as a mapping: YAML when it parses, else field by field.

    Raises:
        AgentFileError: it is neither a YAML mapping nor `key: value` lines.
    """
    try:
        data = yaml_cache.safe_load(frontmatter)
        problem = None
    except yaml_cache.yaml_error() as exc:
        data = None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(data, dict):
        return {str(key): value for key, value in data.items()}
    if not frontmatter.strip():
        return {}
    fields = _read_fields(frontmatter)
    if not fields:
        reason = f"invalid YAML ({problem})" if problem else f"a YAML {type(data).__name__}, not a mapping"
        raise AgentFileError(f"the frontmatter is {reason} and has no `key: value` lines")
    return fields


def _is_top_level_key(key: str) -> bool:
    return key in _FIELD_KEYS or key in _OTHER_KNOWN_KEYS or key.startswith("x-")


def _read_fields(frontmatter: str) -> dict[str, Any]:
    """Split at lines starting with a known key; every other line continues the previous value."""
    chunks: list[tuple[str, list[str]]] = []
    for line in frontmatter.split("\n"):
        match = _KEY_LINE.match(line)
        if match and _is_top_level_key(match["key"]):
            chunks.append((match["key"], [match["rest"]]))
        elif chunks:
            chunks[-1][1].append(line)
    return {key: _chunk_value(key, lines) for key, lines in chunks}


def _chunk_value(key: str, lines: list[str]) -> Any:
    """One field's value: YAML when its lines parse alone, else the text itself.

    Raises:
        AgentFileError: a field stepwise uses starts as YAML (`[`, `{`, a quote) and does
            not parse: read as text it would be garbage (a name spanning lines, no tools).
    """
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    indented = "\n".join([f"v: {lines[0]}" if lines else "v:", *(f"  {line}" for line in lines[1:])])
    import yaml

    try:
        parsed = yaml.safe_load(indented)
        problem = None
    except yaml.YAMLError as exc:
        parsed = None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(parsed, dict) and "v" in parsed:
        return parsed["v"]
    text = "\n".join(line.rstrip() for line in lines).strip()
    if key in _FIELD_KEYS and text.startswith(_YAML_OPENERS):
        raise AgentFileError(
            f"the frontmatter is not valid YAML, and its `{key}` value is broken ({problem}): {text[:40]!r}"
        )
    if _balanced_quotes(text):
        text = text[1:-1]
    return text


def _balanced_quotes(text: str) -> bool:
    """A value wrapped in a pair of quotes, which the text fallback unwraps."""
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"


def file_stem(path: Path) -> str:
    """`api.agent.md` / `api.chatmode.md` / `api.md` -> `api`."""
    name = path.name
    for suffix in (".agent.md", ".chatmode.md", ".md"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def is_copilot_file(path: Path) -> bool:
    return path.name.lower().endswith((".agent.md", ".chatmode.md"))


def split_tool_entries(value: Any) -> list[str]:
    """Tool entries from a comma/space string or a list, splitting only outside parentheses.

    >>> split_tool_entries("Read, Bash(git add:*) Grep")
    ['Read', 'Bash(git add:*)', 'Grep']
    """
    if value is None:
        return []
    if isinstance(value, list):
        # A YAML list item is one entry, spaces and all ('Microsoft Docs'); only commas split it.
        return [entry for item in value if item is not None for entry in _split_outside_parens(str(item), spaces=False)]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return _split_outside_parens(text, spaces=True)


def _split_outside_parens(text: str, *, spaces: bool) -> list[str]:
    """Split at commas (and whitespace when `spaces`) outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
            current.append(char)
            continue
        if char in "\"'" and depth == 0:
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and (char == "," or (spaces and char.isspace())):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip().strip("\"'").strip() for part in parts if part.strip().strip("\"'").strip()]


def tools_for_entry(entry: str) -> tuple[tuple[str, ...], str | None]:
    """(canonical tools, pattern) of one tool entry; no tools when the name is unknown.

    `*` is every tool; `Bash(git add:*)` is run_in_terminal with the pattern
    `git add:*`; Copilot names (`edit/editFiles`, `runCommands`) map to their
    stepwise equivalents.
    """
    pattern = None
    match = _TOOL_ENTRY.match(entry)
    if match:
        entry, pattern = match["name"].strip(), match["pattern"].strip()
    if entry == "*":
        return ALL_TOOLS, pattern
    canonical = canonical_name(entry)
    if canonical:
        return (canonical,), pattern
    lowered = entry.lower()
    candidates = [lowered]
    if "/" in lowered:
        namespace, _, leaf = lowered.rpartition("/")
        candidates.append(namespace if leaf == "*" else leaf)
    for candidate in candidates:
        if candidate in COPILOT_TOOLS:
            return tuple(name for name in COPILOT_TOOLS[candidate] if name in TOOL_KINDS), pattern
        if candidate in _LOWER_NAMES:
            return (_LOWER_NAMES[candidate],), pattern
    return (), pattern


def resolve_tools(
    tools: list[str] | None, disallowed: list[str]
) -> tuple[tuple[str, ...], list[str], list[str], list[str]]:
    """(granted tools, allow-rule hints, deny-rule hints, unknown entries).

    An absent list grants `ALL_TOOLS`; a list grants its tools in the order
    written. A disallowed entry without a pattern removes its tools; one with a
    pattern only becomes a deny hint.
    """
    unknown: list[str] = []
    allow_rules: list[str] = []
    deny_rules: list[str] = []
    # A dict keeps the written order and drops repeats.
    granted: dict[str, None] = dict.fromkeys(ALL_TOOLS if tools is None else ())
    for entry in tools or []:
        names, pattern = tools_for_entry(entry)
        if not names and not is_mcp_name(entry):  # MCP entries select server tools (tui.engine.mcp.setup)
            unknown.append(entry)
        granted.update(dict.fromkeys(names))
        if pattern is not None and names:
            allow_rules.append(entry)
    for entry in disallowed:
        names, pattern = tools_for_entry(entry)
        if not names and not is_mcp_name(entry):
            unknown.append(entry)
        elif pattern is not None:
            deny_rules.append(entry)
        else:
            for name in names:
                granted.pop(name, None)
    return tuple(granted), allow_rules, deny_rules, unknown


def canonical_permission_mode(value: Any) -> tuple[str, str | None]:
    """(canonical mode, warning) of a `permissionMode` value; unknown values become `default`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "default", None
    text = str(value).strip()
    try:
        return canonical_mode(text), None
    except ValueError:
        pass
    if text.lower() == "auto":
        return "default", "permissionMode 'auto' is not supported by stepwise; using 'default'"
    known = ", ".join(MODES)
    return "default", f"unknown permissionMode {text!r} (known: {known}); using 'default'"


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = next((item for item in value if item is not None), None)
        if value is None:
            return None
    text = str(value).strip()
    return text or None


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    seen: dict[str, None] = {}
    for item in items:
        if item is not None and str(item).strip():
            seen.setdefault(str(item).strip().strip("\"'"), None)
    return list(seen)


def _max_turns(value: Any, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    warnings.append(f"maxTurns must be a positive whole number, got {value!r}; ignored")
    return None


def agent_from_frontmatter(data: dict[str, Any], body: str, source: Path) -> Agent:
    """Build an `Agent` from a frontmatter mapping and the body."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        target = _FIELD_KEYS.get(key)
        if target is None:
            extra[key] = value
        elif target not in fields or fields[target] is None:
            fields[target] = value
    warnings: list[str] = []

    name = _string(fields.get("name"))
    if name is not None and _CONTROL.search(name):
        raise AgentFileError(f"the name {name[:40]!r} has a line break or a control character")
    if name is None:
        name = file_stem(source)
        if not is_copilot_file(source):
            warnings.append(f"no `name` in the frontmatter; using the file name {name!r}")
    description = _string(fields.get("description")) or ""
    description = description.replace("\\n", "\n")
    if _CONTROL_BUT_LINES.search(description):
        raise AgentFileError("the description has a control character")

    tools_value = fields.get("tools")
    disallowed = split_tool_entries(fields.get("disallowed_tools"))
    if isinstance(tools_value, dict):
        # OpenCode's `tools: {write: false, bash: true}`: every tool except those switched off.
        tools = None
        disallowed += [str(name) for name, enabled in tools_value.items() if enabled is False]
    else:
        tools = None if tools_value is None else split_tool_entries(tools_value)
    resolved, allow_rules, deny_rules, unknown = resolve_tools(tools, disallowed)
    if unknown:
        warnings.append(f"tools not available in stepwise, ignored: {', '.join(unknown)}")
    if tools is not None and not resolved:
        warnings.append(
            "no tools left: the agent can only talk (list tools stepwise has, or leave `tools` out for all)"
        )

    mode, mode_warning = canonical_permission_mode(fields.get("permission_mode"))
    if mode_warning:
        warnings.append(mode_warning)

    return Agent(
        name=name,
        description=description,
        system_prompt=body.strip("\n"),
        source=source,
        tools=tools,
        disallowed_tools=disallowed,
        model=first_claude_model(fields.get("model")),
        permission_mode=mode,
        skills=_string_list(fields.get("skills")),
        max_turns=_max_turns(fields.get("max_turns"), warnings),
        color=_string(fields.get("color")),
        extra=extra,
        resolved_tools=resolved,
        tool_rules=allow_rules,
        disallowed_rules=deny_rules,
        warnings=warnings,
    )


def parse_agent(text: str, source: Path) -> Agent | None:
    """Parse an agent file's text; None when it has no frontmatter (not an agent).

    A Copilot file (`*.chatmode.md`, `*.agent.md`) needs none: its header is optional, and
    without one the whole text is the body (the agent is named after the file).

    Raises:
        AgentFileError: the frontmatter cannot be understood.
    """
    text = normalize_text(text)
    parts = split_frontmatter(text)
    if parts is None and is_copilot_file(source) and text.strip():
        parts = "", text
    if parts is None:
        return None
    frontmatter, body = parts
    return agent_from_frontmatter(read_frontmatter(frontmatter), body, source)


def read_text_file(path: Path, max_bytes: int = MAX_AGENT_FILE_BYTES) -> str:
    """A small UTF-8 text file's content (BOM kept for `normalize_text`).

    Raises:
        AgentFileError: a folder, unreadable, too large or not UTF-8.
    """
    try:
        if path.is_dir():
            raise AgentFileError("is a folder, not a file")
        size = path.stat().st_size
        if size > max_bytes:
            raise AgentFileError(f"is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise AgentFileError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AgentFileError(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None


def load_agent_file(path: Path) -> Agent | None:
    """Read and parse one agent file; None when it is Markdown without frontmatter.

    Raises:
        AgentFileError: the file cannot be read or understood (the message says why).
    """
    return parse_agent(read_text_file(path), path)
