"""The permission engine: permission mode x rules x hard limits -> a `Decision` per tool call.

Evaluation order for one `Action`:

1. Hard limits: an edit outside the workspace (after `..` and symlinks) or
   inside `.git/` is denied, whatever the mode or the rules.
2. Deny rules, then ask rules (the first list that matches decides). A
   compound command is denied or asked as soon as one of its parts matches.
3. In plan mode, edits are denied (plan mode is read-only until the plan is
   approved), even when an allow rule matches.
4. Protected writes ask (denied in `plan` and `dontAsk`) whatever the allow
   rules, session grants or mode say, even in `bypassPermissions`: an edit of
   a control file (`.stepwise/**`, `.claude/**`, `.github/agents/**`,
   `.github/chatmodes/**`, the root `AGENTS.md`/`CLAUDE.md`; see
   `pathguard.control_file_reason`), which could grant the model more
   permissions later, and a command redirecting output outside the
   workspace, into `.git/`, into a control file, or to a relative path after
   a `cd` (where it lands is only known when it runs).
5. Allow rules and session grants: they decide only when every part of a
   compound command (every path of a multi-file call) is matched by one.
6. The mode: reads inside the workspace are allowed in every mode, reads
   outside it ask; `acceptEdits` allows edits; `bypassPermissions` allows
   everything; `plan` denies commands; `dontAsk` denies whatever would ask.

Additional directories (`permissions.additionalDirectories`) are roots beside
the workspace with the same hard limits and protected paths in each (their own
`.git/`, their control files). Reads there are allowed like reads in the
workspace. An edit there is outside the workspace's git, so no checkpoint can
take it back: it asks even in `acceptEdits` unless an allow rule or a session
grant covers it (`bypassPermissions` allows it). Deny and ask rules with a
relative pattern (`Read(**/.env)`) apply inside each additional directory as
in the workspace; allow rules with one only in the workspace (an absolute
pattern, `Edit(//path/**)`, allows in an additional directory).

`exit_plan_mode` asks in plan mode (unless a deny rule matches) and is denied
in every other mode. The task list and delegation (`ToolKind.META`) run in every
mode unless a deny or ask rule names them: a sub-agent's own edits and
commands are decided one by one, like the session agent's.

An MCP tool (`mcp__server__tool`) is decided by deny, ask and allow rules
(`mcp__server`, `mcp__server__*`, `mcp__server__tool`) and session grants;
without one it asks in every mode (plan included) but `bypassPermissions`,
and `dontAsk` denies it.

Ask rules are honoured in `bypassPermissions` too: an ask rule is an explicit
request to be asked, as in Claude Code, where ask and deny rules apply in
every mode.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tui.engine.permissions import wrappers
from tui.engine.permissions.analysis import CHANGES_DIRECTORY, INTERPRETER, SHELLS, Analysis, Command, Write, analyze
from tui.engine.permissions.modes import canonical_mode
from tui.engine.permissions.pathguard import (
    control_file_reason,
    in_additional_directory,
    protected_reason,
    relative_to_root,
    root_of,
    write_violation,
)
from tui.engine.permissions.rules import Behavior, Domain, Rule, RuleSet, Target, parse_rule, split_rules
from tui.engine.session.events import EngineDecider
from tui.engine.tools.base import Action, ToolKind

_HARMLESS_TARGETS = re.compile(r"/dev/(null|stdout|stderr|tty|fd/\d+)")
MAX_GLOB_MATCHES = 1000
"""A glob argument matching more files than this is not checked file by file: it asks."""
MAX_TREE_CHECK = 5000
"""A folder a command removes or copies is searched for protected paths up to this many entries."""
ADDITIONAL_EDIT = "in an additional directory, outside the workspace's git: no checkpoint, /undo cannot take it back"
"""Why an edit in an additional directory asks even in acceptEdits (the permission pane shows it)."""
CANNOT_TELL = "stepwise cannot tell what this runs"
"""How every decision on a command the analysis does not understand begins its explanation."""


@dataclass(frozen=True)
class Decision:
    behavior: Behavior
    decided_by: EngineDecider
    reason: str
    """Human-readable, e.g. "rule Bash(git status) in .stepwise/settings.yaml allows it"."""
    rule: str | None = None
    """The deciding rule(s) as written (comma-separated when several parts matched different rules)."""
    mode: str | None = None
    suggested_rule: str | None = None
    """For `ask`: a "don't ask again" rule covering this call, when one can be given."""


@dataclass
class _Subject:
    """What rules look at for one action."""

    targets: list[Target]
    """One entry per simple command or per path (`[None]` for a call without either)."""
    deny_targets: list[Target]
    """`targets`, plus the whole command line, so deny rules also see it unsplit."""
    outside_reads: list[Path] = field(default_factory=list)
    additional_edits: list[Path] = field(default_factory=list)
    """Edited paths in an additional directory: outside the workspace's git, so never checkpointed."""
    protected_writes: list[str] = field(default_factory=list)
    """Why a write always asks: one entry per control file edited or per write breaking a limit."""
    analysis: Analysis | None = None
    """For a command: what it runs and writes (see `analysis`)."""
    unsure: list[str] = field(default_factory=list)
    """Why no pattern rule, grant or mode but `bypassPermissions` may run the command: what the
    analysis does not understand, and writes outside the workspace."""


class PermissionEngine:
    """Decides each tool call from the mode, the rules, session grants and the hard limits."""

    def __init__(
        self, root: Path, mode: str = "default", rules: RuleSet | None = None, extra_roots: Sequence[Path] = ()
    ) -> None:
        """An engine for the workspace `root`, starting in `mode` with `rules` (none by default), with
        `extra_roots` as additional directories."""
        self.root = Path(root).resolve()
        self.extra_roots = tuple(Path(path).resolve() for path in extra_roots)
        self.rules = rules if rules is not None else RuleSet()
        self.session = RuleSet()
        """Allow rules granted with "approve for the session"."""
        self._mode = canonical_mode(mode)

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        self._mode = canonical_mode(value)

    def read_denied(self, tool: str, path: Path) -> str | None:
        """The deny rule (described) that keeps `path` from `tool`'s results, or None.

        A rule denying `read_file` a file hides it from every search and listing too: what
        `grep_search` or `list_dir` returns is as good as reading it. A link counts as its target too.
        """
        candidates = [path]
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            real = path
        if real != path:
            candidates.append(real)
        for name in dict.fromkeys((tool, "read_file")):
            rule = self._match("deny", name, candidates)
            if rule is not None:
                return rule.describe()
        return None

    def _match(self, behavior: Behavior, tool: str, targets: Sequence[Target]) -> Rule | None:
        """The first deny or ask rule matching one of `targets`: a relative pattern is matched from the
        workspace and from each additional directory (see the module docstring)."""
        for root in (self.root, *self.extra_roots):
            rule = self.rules.match(behavior, tool, targets, root)
            if rule is not None:
                return rule
        return None

    def grant_session(self, rule: str) -> None:
        """Allow calls matching `rule` (or each of several, comma-separated) for the rest of the session.

        Raises:
            ValueError: a rule is malformed; none is granted then.
        """
        rules = [parse_rule(text, "allow", "session") for text in split_rules(rule)]
        for parsed in rules:
            self.session.add(parsed)

    # -- deciding ----------------------------------------------------------

    def decide(self, action: Action) -> Decision:
        """The decision for one validated tool call."""
        if action.kind is ToolKind.PLAN:
            return self._decide_plan(action)
        if action.kind is ToolKind.META:
            return self._decide_meta(action)
        if action.kind in (ToolKind.MCP, ToolKind.WEB):
            return self._decide_remote(action)
        paths = tuple(self._resolve(path) for path in action.paths)
        if action.kind is ToolKind.EDIT:
            for path in paths:
                violation = write_violation(self.root, path, self.extra_roots)
                if violation:
                    return self._decision("deny", "hard_limit", f"hard limit: {violation}")
        subject = self._subject(action, paths)

        denied = self._match("deny", action.tool, subject.deny_targets)
        if denied:
            return self._decision("deny", "rule", f"rule {denied.describe()} denies it", rule=denied)
        analysis = subject.analysis
        too_deep = analysis is not None and any(problem.kind == "depth" for problem in analysis.problems)
        if (
            analysis is not None
            and too_deep
            and (first := next((r for r in self.rules.deny if action.tool in r.tools), None))
        ):
            reason = f"rule {first.describe()} denies it: {analysis.reason}, so every deny rule applies"
            return self._decision("deny", "rule", reason, rule=first)
        if analysis is not None and analysis.hides_programs and self.rules.has_rules_for("deny", action.tool):
            detail = f"{CANNOT_TELL}: {analysis.reason}, so the deny rules for commands cannot be checked"
            if self.mode in ("plan", "dontAsk"):
                return self._decision("deny", "hard_limit", f"{detail} (mode {self.mode} denies it)")
            return self._decision("ask", "hard_limit", f"{detail}; no rule, grant or mode lifts this, so it asks")
        if action.kind is ToolKind.EDIT and self.mode == "plan":
            return self._decision(
                "deny", "mode", "mode plan is read-only: present the plan with exit_plan_mode before editing"
            )
        asked = self._match("ask", action.tool, subject.targets)
        if asked:
            if self.mode == "dontAsk":
                reason = f"rule {asked.describe()} asks first, and mode dontAsk denies what would ask"
                return self._decision("deny", "rule", reason, rule=asked)
            return self._decision("ask", "rule", f"rule {asked.describe()} asks first", rule=asked)
        if subject.protected_writes:
            detail = "; ".join(subject.protected_writes)
            if self.mode in ("plan", "dontAsk"):
                return self._decision("deny", "hard_limit", f"{detail} (mode {self.mode} denies it)")
            return self._decision("ask", "hard_limit", f"{detail}; no rule, grant or mode lifts this, so it asks")

        if subject.unsure:
            return self._not_understood(action, subject, subject.unsure[0])
        allowed = self._allowed(action.tool, subject.targets)
        if allowed is not None:
            return allowed
        return self._decide_by_mode(action, subject)

    def _not_understood(self, action: Action, subject: _Subject, why: str) -> Decision:
        """No pattern rule, grant or mode but `bypassPermissions` runs what the analysis cannot read;
        a bare tool rule (`Bash`) is a choice to run every command, and still does."""
        bare = next((rule for rule in self.rules.allow if rule.pattern is None and action.tool in rule.tools), None)
        if bare is not None:
            return self._decision("allow", "rule", f"rule {bare.describe()} allows every command", rule=bare)
        if self.mode == "bypassPermissions":
            return self._decide_by_mode(action, subject)
        reason = f"{CANNOT_TELL}: {why}"
        if self.mode == "dontAsk":
            return self._decision("deny", "mode", f"{reason}, and mode dontAsk denies what would ask")
        commands = [target for target in subject.targets if isinstance(target, Command)]
        if self.mode == "plan" and not all(self._cover(action.tool, commands)):
            return self._decision(
                "deny", "mode", f"mode plan does not run commands until the plan is approved ({reason})"
            )
        return self._decision("ask", "mode", reason)

    def _decide_plan(self, action: Action) -> Decision:
        if self.mode != "plan":
            return self._decision("deny", "mode", f"{action.tool}: not in plan mode (mode is {self.mode})")
        denied = self.rules.match("deny", action.tool, [None], self.root)
        if denied:
            return self._decision("deny", "rule", f"rule {denied.describe()} denies it", rule=denied)
        return self._decision("ask", "mode", "mode plan asks you to approve the plan before any change")

    def _decide_meta(self, action: Action) -> Decision:
        denied = self.rules.match("deny", action.tool, [None], self.root)
        if denied:
            return self._decision("deny", "rule", f"rule {denied.describe()} denies it", rule=denied)
        asked = self.rules.match("ask", action.tool, [None], self.root)
        if asked and self.mode == "dontAsk":
            reason = f"rule {asked.describe()} asks first, and mode dontAsk denies what would ask"
            return self._decision("deny", "rule", reason, rule=asked)
        if asked:
            return self._decision("ask", "rule", f"rule {asked.describe()} asks first", rule=asked)
        return self._decision("allow", "mode", f"{action.tool} acts only on the session; it needs no permission")

    def _decide_remote(self, action: Action) -> Decision:
        """An MCP tool or a web call: deny, ask, then allow rules and grants; otherwise it asks in every
        mode but bypassPermissions (denied in dontAsk). What an MCP tool does is the server's business,
        so no annotation (`readOnlyHint`) lifts the question: only a rule does. A fetch is matched by
        the host of each URL (`WebFetch(domain:example.com)`); every host must be allowed."""
        hosts = sorted({urlsplit(str(url)).hostname or "" for url in action.input.get("urls", [])})
        targets: list[Target] = [Domain(host.lower()) for host in hosts] or [None]
        denied = self.rules.match("deny", action.tool, targets, self.root)
        if denied:
            return self._decision("deny", "rule", f"rule {denied.describe()} denies it", rule=denied)
        asked = self.rules.match("ask", action.tool, targets, self.root)
        if asked:
            if self.mode == "dontAsk":
                reason = f"rule {asked.describe()} asks first, and mode dontAsk denies what would ask"
                return self._decision("deny", "rule", reason, rule=asked)
            return self._decision("ask", "rule", f"rule {asked.describe()} asks first", rule=asked)
        allowed = self._allowed(action.tool, targets)
        if allowed is not None:
            return allowed
        what = "MCP tool calls" if action.kind is ToolKind.MCP else "web searches and fetches"
        if self.mode == "bypassPermissions":
            return self._decision("allow", "mode", "mode bypassPermissions allows what no rule or hard limit stops")
        if self.mode == "dontAsk":
            return self._decision("deny", "mode", f"mode dontAsk denies {what} that no rule allows")
        if action.kind is ToolKind.MCP:
            suggested: str | None = action.tool
        elif action.tool == "web_fetch":
            suggested = f"WebFetch(domain:{hosts[0]})" if len(hosts) == 1 else None
        else:
            suggested = "WebSearch"
        return self._decision(
            "ask", "mode", f"{what} ask in mode {self.mode} unless a rule allows them", suggested=suggested
        )

    def _allowed(self, tool: str, targets: list[Target]) -> Decision | None:
        """Allow when every target is matched by an allow rule or a session grant."""
        if not targets:
            return None
        commands = [target for target in targets if isinstance(target, Command)]
        if commands and len(commands) == len(targets):
            found = self._cover(tool, commands)
        else:
            by_rule = self.rules.cover("allow", tool, targets, self.root)
            by_session = self.session.cover("allow", tool, targets, self.root)
            found = [rule or grant for rule, grant in zip(by_rule, by_session, strict=True)]
        if not all(found):
            return None
        rules = _distinct(found)
        if all(rule.source != "session" for rule in rules):
            verb = "allows it" if len(rules) == 1 else "allow every part of it"
            names = ", ".join(rule.describe() for rule in rules)
            return self._decision("allow", "rule", f"rule {names} {verb}", rules=rules)
        names = ", ".join(rule.text if rule.source == "session" else rule.describe() for rule in rules)
        return self._decision("allow", "session", f"approved for this session: {names}", rules=rules)

    def _decide_by_mode(self, action: Action, subject: _Subject) -> Decision:
        mode = self.mode
        if mode == "bypassPermissions":
            reason = "mode bypassPermissions allows what no rule or hard limit stops"
            return self._decision("allow", "mode", reason)
        if action.kind is ToolKind.READ:
            if not subject.outside_reads:
                return self._decision("allow", "mode", f"mode {mode} allows reads inside the workspace")
            activity = f"reading outside the workspace ({subject.outside_reads[0]})"
            return self._would_ask(action, subject, activity)
        if action.kind is ToolKind.EDIT:
            if subject.additional_edits:
                where = ", ".join(map(str, subject.additional_edits))
                return self._would_ask(action, subject, f"editing {where} {ADDITIONAL_EDIT}")
            if mode == "acceptEdits":
                return self._decision("allow", "mode", "mode acceptEdits allows edits inside the workspace")
            return self._would_ask(action, subject, "editing files")
        if mode == "plan":
            reason = "mode plan does not run commands until the plan is approved (no rule allows this one)"
            return self._decision("deny", "mode", reason)
        detail = self._uncovered_detail(action, subject)
        return self._would_ask(action, subject, "running commands", detail=detail)

    def _would_ask(self, action: Action, subject: _Subject, activity: str, detail: str = "") -> Decision:
        if self.mode == "dontAsk":
            return self._decision("deny", "mode", f"mode dontAsk denies {activity} that no rule allows{detail}")
        reason = f"mode {self.mode} asks before {activity}{detail}"
        return self._decision("ask", "mode", reason, suggested=self._suggest(action, subject))

    def _uncovered_commands(self, tool: str, subject: _Subject) -> list[Command]:
        """The parts of a command no allow rule or session grant matches."""
        commands = [target for target in subject.targets if isinstance(target, Command)]
        covered = self._cover(tool, commands)
        return [command for command, rule in zip(commands, covered, strict=True) if rule is None]

    def _cover(self, tool: str, commands: list[Command]) -> list[Rule | None]:
        """For each command, the allow rule or session grant matching it. A command a wrapper runs
        is also covered by the rule matching its wrapper when that rule names it literally
        (`Bash(timeout 60 npm test:*)` covers the `npm test` it runs; `Bash(timeout:*)` does not)."""
        by_rule = self.rules.cover("allow", tool, commands, self.root)
        by_session = self.session.cover("allow", tool, commands, self.root)
        found = [rule or grant for rule, grant in zip(by_rule, by_session, strict=True)]
        for index, command in enumerate(commands):
            if found[index] is None and command.outer is not None and command.outer in commands:
                wrapper_rule = found[commands.index(command.outer)]
                if wrapper_rule is not None and wrapper_rule.names_literally(command.via):
                    found[index] = wrapper_rule
        return found

    def _uncovered_detail(self, action: Action, subject: _Subject) -> str:
        """Which part of a command stops the rules from allowing it, when that is worth saying."""
        if subject.unsure:
            return f" ({CANNOT_TELL}: {subject.unsure[0]})"
        uncovered = self._uncovered_commands(action.tool, subject)
        if uncovered and len(subject.targets) > 1:
            return f" (no rule allows `{uncovered[0].text}`)"
        return ""

    # -- subjects ------------------------------------------------------------

    def _subject(self, action: Action, paths: tuple[Path, ...]) -> _Subject:
        if action.kind is not ToolKind.EXECUTE:
            targets: list[Target] = list(paths) or [None]
            if action.kind is ToolKind.READ:
                outside = [p for p in paths if root_of(self.root, p, self.extra_roots) is None]
                return _Subject(targets, targets, outside_reads=outside)
            controls = [reason for p in paths if (reason := control_file_reason(self.root, p, self.extra_roots))]
            additional = [p for p in paths if in_additional_directory(self.root, p, self.extra_roots)]
            return _Subject(targets, targets, protected_writes=controls, additional_edits=additional)
        line = action.command if action.command is not None else str(action.input.get("command", ""))
        whole = Command(words=tuple(line.split()), text=" ".join(line.split()), exact=False)
        analysis = analyze(line)
        commands: list[Target] = list(analysis.commands) or [whole]
        cwd = self._resolve(action.cwd) if action.cwd else self.root
        protected = [problem.reason for problem in analysis.problems if problem.kind == "redirect"]
        unsure = [problem.reason for problem in analysis.problems if problem.kind != "redirect"]
        for write in analysis.writes:
            problem, always = self._write_problem(write, cwd)
            if problem:
                (protected if always else unsure).append(problem)
        # A command's own arguments can write a protected file too (`cp x .git/hooks/pre-commit`,
        # `python x.py .stepwise/settings.yaml`): naming one makes the command ask like a redirection.
        protected += [p for word in analysis.named if (p := self._argument_problem(word, cwd))]
        protected += [p for pattern in analysis.patterns if (p := self._pattern_problem(pattern, cwd))]
        return _Subject(
            commands,
            [*commands, whole],
            protected_writes=list(dict.fromkeys(protected)),
            analysis=analysis,
            unsure=unsure,
        )

    def _argument_problem(self, word: str, cwd: Path) -> str | None:
        if not word or "\0" in word:
            return None
        problem = protected_reason(self.root, self._resolve(self._absolute(word, cwd)), self.extra_roots)
        return f"it names {word}: {problem}" if problem else None

    def _pattern_problem(self, pattern: str, cwd: Path) -> str | None:
        """A glob argument is checked against what it matches now (bash expands it the same way)."""
        try:
            matches = itertools.islice(glob.iglob(pattern, root_dir=cwd, include_hidden=False), MAX_GLOB_MATCHES + 1)
            found = list(matches)
        except (OSError, ValueError, RecursionError):
            return f"it names {pattern}, which cannot be expanded here"
        if len(found) > MAX_GLOB_MATCHES:
            return f"it names {pattern}, which matches more than {MAX_GLOB_MATCHES} files"
        for match in found:
            problem = protected_reason(self.root, self._resolve(self._absolute(match, cwd)), self.extra_roots)
            if problem:
                return f"it names {pattern}, which matches {match}: {problem}"
        return None

    def _write_problem(self, write: Write, cwd: Path) -> tuple[str | None, bool]:
        """Why `write` keeps a rule or mode from running the command, and whether it asks in every
        mode: a redirection out of the workspace, and any write into `.git/` or a control file, do;
        a program writing outside the workspace is left to `bypassPermissions` (and the sandbox)."""
        target = write.path
        if _HARMLESS_TARGETS.fullmatch(target):
            return None, False
        verb = "it redirects output to" if write.by == "redirect" else f"{write.by} writes"
        path = self._resolve(self._absolute(target, cwd))
        if write.by == "redirect":
            problem = write_violation(self.root, path, self.extra_roots) or control_file_reason(
                self.root, path, self.extra_roots
            )
            return (f"{verb} {target}: {problem}" if problem else None), True
        problem = protected_reason(self.root, path, self.extra_roots)
        if problem:
            return f"{verb} {target}: {problem}", True
        if root_of(self.root, path, self.extra_roots) is None:
            return f"{verb} {target}, outside the workspace", False
        landing = [path]
        if path.is_dir():
            landing = [path / os.path.basename(source.rstrip("/")) for source in write.sources] or [path]
        for place, source in itertools.zip_longest(landing, write.sources):
            problem = self._tree_problem(place, self._resolve(self._absolute(source, cwd)) if source else None)
            if problem:
                return f"{verb} {target}: {problem}", True
        return None, False

    def _tree_problem(self, place: Path, source: Path | None) -> str | None:
        """Why writing the folder `place` (removing it, changing it, or copying `source` into it)
        reaches a protected path: the workspace's `.git`, a control file inside it."""
        place = self._resolve(place)
        if root_of(self.root, place, self.extra_roots) is None:
            return write_violation(self.root, place, self.extra_roots)
        if place == self.root and source is None:
            return "that is the workspace itself, .git/ included"
        if place in self.extra_roots and source is None:
            return f"that is the additional directory {place} itself, its .git/ included"
        problem = protected_reason(self.root, place, self.extra_roots)
        if problem:
            return problem
        checked = 0
        # Removing or changing a folder reaches everything in it; copying into one, what is copied.
        for tree, onto in [(source, place)] if source is not None else [(place, place)]:
            if not tree.is_dir():
                continue
            for folder, dirs, files in os.walk(tree):
                for name in [*dirs, *files]:
                    checked += 1
                    if checked > MAX_TREE_CHECK:
                        return f"{place} holds more than {MAX_TREE_CHECK} files to check"
                    mapped = onto / os.path.relpath(os.path.join(folder, name), tree)
                    problem = protected_reason(self.root, self._resolve(mapped), self.extra_roots)
                    if problem:
                        return problem
        return None

    def _absolute(self, word: str, cwd: Path) -> Path:
        path = Path(word)
        return path if path.is_absolute() else cwd / path

    def _resolve(self, path: Path) -> Path:
        """Where `path` really points; a path that cannot be resolved (symlink loop) stays as given,
        normalized, since nothing can be read or written through it anyway."""
        path = Path(path)
        path = path if path.is_absolute() else self.root / path
        try:
            return path.resolve(strict=False)
        except RuntimeError:
            return Path(os.path.normpath(path))

    # -- suggestions ---------------------------------------------------------

    def _suggest(self, action: Action, subject: _Subject) -> str | None:
        """A rule that would allow this very call next time, or None when no safe one exists."""
        if action.kind is ToolKind.EXECUTE:
            # One rule per part no rule covers yet; none at all when one part cannot have a safe rule.
            uncovered = self._uncovered_commands(action.tool, subject)
            named = {c.outer for c in uncovered if c.outer is not None and _command_prefix_rule(action.tool, c)}
            suggestions = [
                _command_prefix_rule(action.tool, c, wrapper=c.outer in named) for c in uncovered if c not in named
            ]
            if not suggestions or None in suggestions:
                return None
            return ", ".join(dict.fromkeys(s for s in suggestions if s))
        paths = [t for t in subject.targets if isinstance(t, Path)]
        if not paths:
            return None
        if action.kind is ToolKind.EDIT:
            if subject.additional_edits:
                return ", ".join(f"Edit(/{_glob_escape(p.as_posix())})" for p in subject.additional_edits)
            rels = [relative_to_root(self.root, p) or "" for p in paths]
            if len(rels) == 1 and "/" not in rels[0]:
                return f"Edit(./{_glob_escape(rels[0])})"
            folder = os.path.commonpath([os.path.dirname(rel) for rel in rels])
            return f"Edit({_glob_escape(folder)}/**)" if folder else None
        # A folder pattern covers the folder and everything in it; `/**` only what is inside.
        outside = subject.outside_reads
        folder = os.path.commonpath([p.as_posix() if p.is_dir() else p.parent.as_posix() for p in outside])
        if folder == "/":
            return None
        suffix = "" if any(p.is_dir() for p in outside) else "/**"
        return f"Read(/{_glob_escape(folder)}{suffix})"

    def _decision(
        self,
        behavior: Behavior,
        decided_by: EngineDecider,
        reason: str,
        *,
        rule: Rule | None = None,
        rules: list[Rule] | None = None,
        suggested: str | None = None,
    ) -> Decision:
        rules = rules or ([rule] if rule else [])
        return Decision(
            behavior=behavior,
            decided_by=decided_by,
            reason=reason,
            rule=", ".join(r.text for r in rules) or None,
            mode=self.mode,
            suggested_rule=suggested,
        )


_SUBCOMMANDS = frozenset(
    {"git", "npm", "pnpm", "yarn", "bun", "cargo", "go", "docker", "podman", "kubectl", "helm", "pip", "pip3",
     "poetry", "uv", "gh", "apt", "apt-get", "brew", "dotnet", "mvn", "gradle", "bundle", "rails", "rake",
     "terraform", "systemctl", "conda", "npx", "deno", "composer", "mix", "stack", "cabal", "swift", "zig", "make"}
)  # fmt: skip
"""Programs whose first argument picks what they do: a rule names it too (`npm test:*`, not `npm:*`)."""


def _command_prefix_rule(tool: str, command: Command, wrapper: bool = False) -> str | None:
    """The narrowest useful "don't ask again" rule for one command: `npm test:*`, `python -m pytest:*`,
    `python tools/gen.py:*`, `timeout 60 npm test:*`. None when every such rule would allow any command
    or any code: a shell, `eval`, an interpreter without a module or script, a folder change.

    With `wrapper`, the rule is for the wrapper running `command`, naming `command` (`command.via`)."""
    words = command.words
    if not words:
        return None
    name = command.name
    if name in CHANGES_DIRECTORY or name in SHELLS or name == "eval" or shlex.quote(words[0]) != words[0]:
        return None
    if wrappers.runs_commands(name):
        return None  # its own rule would not cover what it runs; the rule for what it runs names it
    rest = list(words[1:])
    if INTERPRETER.fullmatch(name):
        if rest[:1] == ["-m"] and len(rest) > 1 and re.fullmatch(r"[\w.]+", rest[1]):
            picked = [words[0], "-m", rest[1]]
        elif rest and not rest[0].startswith("-") and shlex.quote(rest[0]) == rest[0]:
            picked = [words[0], rest[0]]
        else:
            return None
    else:
        picked = [words[0]]
        if name in _SUBCOMMANDS and rest and re.fullmatch(r"[A-Za-z][\w:.-]*", rest[0]):
            picked.append(rest[0])
    if wrapper:
        picked = [*command.via.split(), *picked[1:]]
    if any(shlex.quote(word) != word for word in picked):
        return None  # a word only known when it runs, or one a pattern would misread
    return f"{tool}({' '.join(picked)}:*)"


def _glob_escape(path: str) -> str:
    return re.sub(r"([*?\[\\])", r"\\\1", path)


def _distinct(rules: list[Rule | None]) -> list[Rule]:
    seen: list[Rule] = []
    for rule in rules:
        if rule is not None and rule not in seen:
            seen.append(rule)
    return seen
