"""Permission rules: parsing `Tool(pattern)`, matching calls, loading from settings, saving.

A rule is `Tool` (every call of that tool) or `Tool(pattern)`, with a
canonical tool name or a Claude Code alias. As in Claude Code, a rule naming
any file-edit tool (`Edit`, `Write`, `MultiEdit`, `create_file`, ...) covers
every edit tool, and a `Read`/`read_file` rule covers every read tool that
takes paths. Patterns mean:

- commands (`run_in_terminal`, `Bash`): the exact command, `prefix:*` for the
  prefix followed by nothing or by more words (`npm test:*` matches
  `npm test -x`, not `npm testing`), `*` for any text (`git * main`);
- paths: gitignore-style globs relative to the workspace (`src/**`, `*.py`
  at any depth, `/build` or `./build` anchored at the root, a directory
  pattern also matches everything inside it), `//abs/path` for an absolute
  path and `~/path` for one under the home folder.

Rules come from `--allow`/`--deny` flags, the project's
`.stepwise/settings.yaml`, the read-only `.claude/settings.local.json` and
`.claude/settings.json`, and `$STEPWISE_HOME/settings.yaml`. A broken file or
rule becomes a warning naming the file, never an error.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args

from tui.engine.config.settings import (
    PROJECT_SETTINGS,
    Settings,
    SettingsError,
    project_settings_path,
    update_settings_file,
)
from tui.engine.mcp.names import covers as mcp_covers
from tui.engine.mcp.names import is_mcp_name
from tui.engine.mcp.names import valid_entry as valid_mcp_entry
from tui.engine.permissions.analysis import Command
from tui.engine.permissions.pathguard import relative_to_root
from tui.engine.permissions.wrappers import by_program_name
from tui.engine.tools.names import EDIT_TOOLS, PATH_READ_TOOLS, canonical_name

Behavior = Literal["allow", "ask", "deny"]
"""What a rule (or the engine's decision) says about a call."""
BEHAVIORS: tuple[Behavior, ...] = get_args(Behavior)


def is_behavior(value: object) -> TypeGuard[Behavior]:
    return value in BEHAVIORS


"""Claude Code's project settings, read but never written."""

_RULE_GROUPS = {"edit": frozenset(EDIT_TOOLS), "read": frozenset(PATH_READ_TOOLS)}
"""The tools one `Edit(...)` or `Read(...)` rule covers (built once: rules are matched on every call)."""

_PATTERN_KINDS = {
    "run_in_terminal": "command",
    "web_fetch": "domain",
    **dict.fromkeys((*PATH_READ_TOOLS, *EDIT_TOOLS), "path"),
}
"""What a tool's rule pattern describes; tools missing here take bare rules only."""

_CLAUDE_ONLY_TOOL = re.compile(
    r"WebFetch|WebSearch|Task|Agent|NotebookEdit|NotebookRead|TodoWrite|KillShell|KillBash"
    r"|SlashCommand|Skill"
)
"""Claude Code tools stepwise does not have: their rules in `.claude/` files are skipped quietly."""

_RULE = re.compile(r"\s*([A-Za-z_][\w.*-]*)\s*(?:\((.*)\))?\s*", re.DOTALL)


@dataclass(frozen=True)
class Rule:
    behavior: Behavior
    tool: str
    """The canonical tool the rule names (aliases mapped)."""
    pattern: str | None
    """The specifier inside the parentheses, or None for every call of the tool(s)."""
    source: str
    """Where it came from: a settings file path, `--allow`, `--deny` or `session`."""
    text: str
    """The rule as written, e.g. `Bash(npm test:*)`."""

    def applies_to(self, tool: str) -> bool:
        """Whether the rule names `tool` (a canonical name, or an MCP tool's full name)."""
        if is_mcp_name(self.tool):
            return mcp_covers(self.tool, tool)
        return tool in self.tools

    @property
    def tools(self) -> frozenset[str]:
        """Every canonical tool the rule applies to."""
        if self.tool in EDIT_TOOLS:
            return _RULE_GROUPS["edit"]
        if self.tool == "read_file":
            return _RULE_GROUPS["read"]
        return frozenset({self.tool})

    def describe(self) -> str:
        """`Bash(git status) in .stepwise/settings.yaml`, for decision reasons."""
        preposition = "in" if "/" in self.source or "\\" in self.source else "from"
        return f"{self.text} {preposition} {self.source}"

    def matches_command(self, command: Command) -> bool:
        """Whether this rule's pattern matches one simple command as written (see module docstring)."""
        if self.pattern is None:
            return True
        regex = _command_regex(self.pattern)
        return any(regex.fullmatch(text) for text in (command.text, command.normalized))

    def matches_program(self, command: Command) -> bool:
        """Whether this rule's pattern matches `command` with its program named by file name
        (`/bin/rm -rf x` is `rm -rf x`), quotes removed."""
        if self.pattern is None:
            return True
        regex = _command_regex(self.pattern)
        return any(regex.fullmatch(text) for text in (command.by_name, " ".join(by_program_name(command.words))))

    def names_literally(self, text: str) -> bool:
        """Whether this rule's pattern spells out `text` before any wildcard (`timeout 5 npm test:*`
        spells out `timeout 5 npm`; `timeout:*` does not)."""
        if self.pattern is None:
            return False
        literal = " ".join(re.split(r"(?<!\\)\*", self.pattern.removesuffix(":*"), maxsplit=1)[0].split())
        wanted = " ".join(text.split())
        return literal == wanted or literal.startswith(wanted + " ")

    def matches_path(self, path: Path, root: Path) -> bool:
        """Whether this rule's pattern matches a resolved absolute `path` (see module docstring)."""
        if self.pattern is None:
            return True
        subject, regex = _path_regex(self.pattern)
        if subject == "absolute":
            return regex.fullmatch(path.as_posix()) is not None
        rel = relative_to_root(root, path)
        return rel is not None and regex.fullmatch(rel) is not None


def split_rules(text: str) -> list[str]:
    """The rules in `text`, separated by commas outside parentheses (`Bash(a:*), Bash(b:*)`): what a
    "don't ask again" suggestion for a compound command holds, one rule per part."""
    rules: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            rules.append(text[start:index])
            start = index + 1
    rules.append(text[start:])
    return [rule.strip() for rule in rules if rule.strip()] or [text]


def agent_rules(agent_name: str, allow: Iterable[str], deny: Iterable[str]) -> tuple[RuleSet, list[str]]:
    """An agent file's pattern entries as rules: `tools: [Bash(git add:*)]` allows, `disallowedTools:
    [Bash(rm:*)]` denies, both named after the agent; an entry that is not a rule becomes a warning."""
    ruleset = RuleSet()
    warnings: list[str] = []
    for behavior, texts in (("allow", allow), ("deny", deny)):
        for text in texts:
            _add_parsed(ruleset, warnings, text, behavior, f"agent {agent_name}", quiet_claude_tools=True)
    return ruleset, warnings


def parse_rule(text: str, behavior: str = "allow", source: str = "") -> Rule:
    """Parse `Tool` or `Tool(pattern)`.

    Raises:
        ValueError: the rule is malformed, names an unknown tool, or gives a
            pattern to a tool that takes none; the message says which.
    """
    if not is_behavior(behavior):
        raise ValueError(f"unknown rule behavior {behavior!r}; use one of: {', '.join(BEHAVIORS)}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the rule is empty; write Tool or Tool(pattern), e.g. Bash(npm test:*)")
    match = _RULE.fullmatch(text)
    if match is None:
        if text.count("(") != text.count(")"):
            raise ValueError(f"rule {text!r} has unbalanced parentheses; write Tool(pattern)")
        raise ValueError(f"rule {text!r} is malformed; write Tool or Tool(pattern), e.g. Bash(npm test:*)")
    name, pattern = match.group(1), match.group(2)
    if is_mcp_name(name):
        if pattern is not None or not valid_mcp_entry(name):
            raise ValueError(
                f"rule {text!r}: an MCP rule is mcp__server, mcp__server__* or mcp__server__tool, without a pattern"
            )
        return Rule(behavior=behavior, tool=name, pattern=None, source=source, text=text.strip())
    tool = canonical_name(name)
    if tool is None:
        raise ValueError(f"rule {text!r} names an unknown tool {name!r}")
    if pattern is not None:
        pattern = pattern.strip()
        if not pattern:
            raise ValueError(f"rule {text!r} has an empty pattern; write {name} to match every call")
        if tool not in _PATTERN_KINDS:
            raise ValueError(f"rule {text!r}: {name} takes no pattern; write {name}")
        if "\n" in pattern:
            raise ValueError(f"rule {text!r}: a pattern is one line")
        try:
            if _PATTERN_KINDS[tool] == "command":
                _command_regex(pattern)
            elif _PATTERN_KINDS[tool] == "domain":
                if not re.fullmatch(r"domain:(\*\.)?[A-Za-z0-9.-]+", pattern):
                    raise ValueError(f"rule {text!r}: a fetch rule names a host, e.g. {name}(domain:example.com)")
            else:
                _path_regex(pattern)
        except re.error as exc:
            raise ValueError(f"rule {text!r} has a bad pattern: {exc}") from None
    return Rule(behavior=behavior, tool=tool, pattern=pattern, source=source, text=text.strip())


@dataclass(frozen=True)
class Domain:
    """The host a web fetch reaches: `WebFetch(domain:example.com)` matches it and its subdomains."""

    host: str


Target = Command | Path | Domain | None
"""What one rule check looks at: one simple command, one path, one host, or nothing (a bare call)."""


def web_domains(rules: RuleSet) -> tuple[list[str], list[str]]:
    """(allowed, blocked) hosts of the `WebFetch(domain:...)` allow and deny rules (a denied host is never allowed)."""

    def hosts(behavior: Behavior) -> set[str]:
        return {host for rule in rules.rules(behavior) if rule.tool == "web_fetch" and (host := rule_domain(rule))}

    blocked = hosts("deny")
    return sorted(hosts("allow") - blocked), sorted(blocked)


def rule_domain(rule: Rule) -> str | None:
    """The host a `WebFetch(domain:...)` rule names (without a leading `*.`), or None."""
    if rule.pattern is None or not rule.pattern.startswith("domain:"):
        return None
    return rule.pattern[len("domain:") :].removeprefix("*.").lower()


def rule_matches(rule: Rule, tool: str, target: Target, root: Path) -> bool:
    """Whether `rule` matches a call of `tool` on `target`.

    An allow rule matches a command as written; ask and deny rules also match
    it with its program named by file name (`/bin/rm` is `rm`). The commands
    a wrapper runs (`env rm`, `timeout 5 rm`, `xargs rm`, `find -exec rm`)
    are commands of their own in the analysis, so every rule sees them.
    """
    if not rule.applies_to(tool):
        return False
    if rule.pattern is None:
        return True
    if isinstance(target, Command):
        if rule.behavior == "allow":
            return rule.matches_command(target)
        return rule.matches_command(target) or rule.matches_program(target)
    if isinstance(target, Path):
        return rule.matches_path(target, root)
    if isinstance(target, Domain):
        host = rule_domain(rule)
        return host is not None and (target.host == host or target.host.endswith("." + host))
    return False


@dataclass
class RuleSet:
    allow: list[Rule] = field(default_factory=list)
    ask: list[Rule] = field(default_factory=list)
    deny: list[Rule] = field(default_factory=list)

    def rules(self, behavior: Behavior) -> list[Rule]:
        if not is_behavior(behavior):
            raise ValueError(f"unknown rule behavior {behavior!r}; use one of: {', '.join(BEHAVIORS)}")
        return getattr(self, behavior)

    def merged(self, other: RuleSet) -> RuleSet:
        """These rules, then `other`'s, in each list."""
        merged = RuleSet(list(self.allow), list(self.ask), list(self.deny))
        for behavior in BEHAVIORS:
            for rule in other.rules(behavior):
                merged.add(rule)
        return merged

    def add(self, rule: Rule) -> None:
        """Append `rule` to its behavior's list (once)."""
        rules = self.rules(rule.behavior)
        if all(existing.text != rule.text for existing in rules):
            rules.append(rule)

    def has_rules_for(self, behavior: Behavior, tool: str) -> bool:
        """Whether any `behavior` rule applies to `tool`."""
        return any(tool in rule.tools for rule in self.rules(behavior))

    def match(self, behavior: Behavior, tool: str, targets: Sequence[Target], root: Path) -> Rule | None:
        """The first rule of the `behavior` list that matches any of `targets`."""
        for rule in self.rules(behavior):
            if any(rule_matches(rule, tool, target, root) for target in targets):
                return rule
        return None

    def cover(self, behavior: Behavior, tool: str, targets: Sequence[Target], root: Path) -> list[Rule | None]:
        """For each target, the first rule of the `behavior` list matching it (None where none does)."""
        return [
            next((rule for rule in self.rules(behavior) if rule_matches(rule, tool, target, root)), None)
            for target in targets
        ]


# -- patterns ------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _command_regex(pattern: str) -> re.Pattern[str]:
    """`npm test:*` -> prefix match on word boundary; `*` -> any text; `\\*` -> a star."""
    pattern = " ".join(pattern.split())
    # `x:*` and, as in Claude Code, `x *` match `x` alone too: the words after it are optional.
    prefix = pattern.endswith(":*") or (pattern.endswith(" *") and not pattern.endswith("\\ *") and pattern != " *")
    if prefix:
        pattern = pattern[:-2].rstrip()
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    body = "".join(parts)
    return re.compile(f"{body}(?:\\s.*)?" if prefix else body, re.DOTALL)


def _path_regex(pattern: str) -> tuple[str, re.Pattern[str]]:
    """("absolute" | "relative", regex) for a gitignore-style path pattern."""
    if pattern.startswith("//"):
        return "absolute", _glob_regex(_resolve_literal_prefix("/" + pattern.lstrip("/")), floating=False)
    if pattern == "~" or pattern.startswith("~/"):
        home_glob = os.path.expanduser("~") + pattern[1:]
        return "absolute", _glob_regex(_resolve_literal_prefix(home_glob), floating=False)
    glob = pattern[2:] if pattern.startswith("./") else pattern
    anchored = pattern.startswith("./") or glob.startswith("/") or "/" in glob.rstrip("/")
    return "relative", _glob_regex(glob.lstrip("/"), floating=not anchored)


@functools.lru_cache(maxsize=1024)
def _glob_regex(glob: str, floating: bool) -> re.Pattern[str]:
    """Compile a glob; a `floating` one (no slash inside) matches at any depth."""
    body = _glob_body(glob.rstrip("/") or "**")
    if floating:
        body = f"(?:.*/)?{body}"
    # A matched folder covers everything inside it, as in .gitignore.
    return re.compile(f"{body}(?:/.*)?", re.DOTALL)


def _resolve_literal_prefix(glob: str) -> str:
    """Resolve the glob-free leading folders of an absolute pattern (so /tmp links match)."""
    parts = glob.split("/")
    literal = 1
    while literal < len(parts) and not re.search(r"[*?\[\\]", parts[literal]):
        literal += 1
    if literal <= 1:
        return glob
    head = Path("/".join(parts[:literal])).resolve(strict=False).as_posix()
    return "/".join([head.rstrip("/") or "", *parts[literal:]]) if literal < len(parts) else head


def _class_end(glob: str, index: int) -> int:
    """The index of the `]` closing the character class opened at `index`, or -1."""
    start = index + 1
    if glob.startswith("!", start):
        start += 1
    if glob.startswith("]", start):
        start += 1
    return glob.find("]", start)


def _glob_body(glob: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**", index):
            at_segment_start = index == 0 or glob[index - 1] == "/"
            after = index + 2
            if at_segment_start and after == len(glob):
                out.append(".*")
                index = after
                continue
            if at_segment_start and glob.startswith("/", after):
                out.append("(?:.*/)?")
                index = after + 1
                continue
            out.append("[^/]*")
            index = after
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[" and (end := _class_end(glob, index)) > 0:
            inner = glob[index + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            index = end + 1
        elif char == "\\" and index + 1 < len(glob):
            out.append(re.escape(glob[index + 1]))
            index += 2
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


# -- settings files ------------------------------------------------------------


def load_rules(
    workspace_root: Path, settings: Settings, cli_allow: Iterable[str] = (), cli_deny: Iterable[str] = ()
) -> tuple[RuleSet, list[str]]:
    """All rules for a workspace, and a warning for every rule (or Claude Code file) that could not be used.

    Sources, in the order rules are tried within each list: `--allow`/`--deny`,
    `.stepwise/settings.yaml`, `.claude/settings.local.json`,
    `.claude/settings.json`, `$STEPWISE_HOME/settings.yaml`.

    Args:
        workspace_root: Where the `.claude/` files are.
        settings: The loaded settings: the `permissions` of its project and user files
            (a broken file was already reported when they were read).
        cli_allow: `--allow` rules.
        cli_deny: `--deny` rules.
    """
    ruleset = RuleSet()
    warnings: list[str] = []
    for behavior, texts in (("allow", cli_allow), ("deny", cli_deny)):
        for text in texts:
            _add_parsed(ruleset, warnings, text, behavior, f"--{behavior}", quiet_claude_tools=False)
    sources: list[tuple[str, dict[str, Any] | None, bool]] = []
    if (project := settings.file("project")) is not None:
        sources.append((str(PROJECT_SETTINGS), project.data, False))
    claude = settings.claude.files
    sources += [(file.label, file.data, True) for file in claude if file.scope == "project"]
    if (user := settings.file("user")) is not None:
        sources.append((str(user.path), user.data, False))
    sources += [(file.label, file.data, True) for file in claude if file.scope == "user"]
    for label, data, is_claude in sources:
        permissions = _permissions_of(data, label, warnings)
        for behavior in BEHAVIORS:
            for entry in _rule_list(permissions, behavior, label, warnings):
                _add_parsed(ruleset, warnings, entry, behavior, label, quiet_claude_tools=is_claude)
    return ruleset, warnings


def _add_parsed(
    ruleset: RuleSet, warnings: list[str], text: object, behavior: str, source: str, *, quiet_claude_tools: bool
) -> None:
    if not isinstance(text, str):
        warnings.append(f"{source}: {behavior} rule {text!r} ignored: a rule is a string like Bash(npm test:*)")
        return
    try:
        ruleset.add(parse_rule(text, behavior, source))
    except ValueError as exc:
        name = _RULE.fullmatch(text)
        if quiet_claude_tools and name and _CLAUDE_ONLY_TOOL.fullmatch(name.group(1)):
            return
        warnings.append(f"{source}: {behavior} rule ignored: {exc}")


def _permissions_of(data: dict[str, Any] | None, label: str, warnings: list[str]) -> dict[str, Any] | None:
    """The `permissions` mapping of a settings file's data, None when absent or unusable (with a warning)."""
    permissions = (data or {}).get("permissions")
    if permissions is None:
        return None
    if not isinstance(permissions, dict):
        warnings.append(f"{label}: `permissions` must be a mapping with allow/ask/deny lists; ignored")
        return None
    return permissions


def _rule_list(permissions: dict | None, behavior: str, label: str, warnings: list[str]) -> list[object]:
    if not permissions:
        return []
    value = permissions.get(behavior)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        warnings.append(f"{label}: `permissions.{behavior}` must be a list of rules; ignored")
        return []
    return value


def save_rule(workspace_root: Path, rule_text: str, behavior: str = "allow") -> Path:
    """Add `rule_text` to the `behavior` list of the project's `.stepwise/settings.yaml`.

    Other settings in the file are kept (YAML comments are not: the file is
    rewritten from its data). Saving a rule already present changes nothing.

    Returns:
        The settings file's path.

    Raises:
        ValueError: the rule is malformed.
        SettingsError: the file exists but is not a valid settings mapping, or
            its `permissions` are not lists of rules (it is left untouched).
    """
    texts = split_rules(rule_text)
    for text in texts:
        parse_rule(text, behavior)
    path = project_settings_path(Path(workspace_root))
    what = f"the rule {rule_text.strip()!r}"

    def add(data: dict[str, Any]) -> None:
        permissions = data.get("permissions") or {}
        if not isinstance(permissions, dict):
            raise SettingsError(f"not saving {what}: `permissions` is not a mapping in {path}")
        rules = permissions.get(behavior) or []
        if not isinstance(rules, list):
            raise SettingsError(f"not saving {what}: `permissions.{behavior}` is not a list in {path}")
        added = [text for text in texts if text not in rules]
        if added:
            data["permissions"] = {**permissions, behavior: [*rules, *added]}

    return update_settings_file(path, add, what)
