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

`exit_plan_mode` asks in plan mode (unless a deny rule matches) and is denied
in every other mode. The task list and delegation (`ToolKind.META`) run in every
mode unless a deny or ask rule names them: a sub-agent's own edits and
commands are decided one by one, like the session agent's.

Ask rules are honoured in `bypassPermissions` too: an ask rule is an explicit
request to be asked, as in Claude Code, where ask and deny rules apply in
every mode.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.permissions.modes import canonical_mode
from tui.engine.permissions.pathguard import control_file_reason, protected_reason, relative_to_root, write_violation
from tui.engine.permissions.rules import Rule, RuleSet, Target, parse_rule
from tui.engine.permissions.shell_split import SHELLS, ShellCommand, ShellSyntaxError, split_command
from tui.engine.tools.base import Action, ToolKind

_HARMLESS_TARGETS = re.compile(r"/dev/(null|stdout|stderr|tty|fd/\d+)")


@dataclass(frozen=True)
class Decision:
    behavior: str
    """`allow`, `deny` or `ask`."""
    decided_by: str
    """`rule`, `mode`, `hard_limit` or `session`."""
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
    protected_writes: list[str] = field(default_factory=list)
    """Why a write always asks: one entry per control file edited or per redirection breaking a limit."""


class PermissionEngine:
    """Decides each tool call from the mode, the rules, session grants and the hard limits."""

    def __init__(self, root: Path, mode: str = "default", rules: RuleSet | None = None) -> None:
        self.root = Path(root).resolve()
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

    def grant_session(self, rule: str) -> None:
        """Allow calls matching `rule` for the rest of the session.

        Raises:
            ValueError: `rule` is malformed.
        """
        self.session.add(parse_rule(rule, "allow", "session"))

    def add_rule(self, behavior: str, rule: str | Rule, source: str = "user") -> None:
        """Add an allow/ask/deny rule (e.g. one the user just saved).

        Raises:
            ValueError: unknown behavior or malformed rule.
        """
        text = rule.text if isinstance(rule, Rule) else rule
        self.rules.add(parse_rule(text, behavior, rule.source if isinstance(rule, Rule) else source))

    # -- deciding ----------------------------------------------------------

    def decide(self, action: Action) -> Decision:
        """The decision for one validated tool call."""
        if action.kind is ToolKind.PLAN:
            return self._decide_plan(action)
        if action.kind is ToolKind.META:
            return self._decide_meta(action)
        paths = tuple(self._resolve(path) for path in action.paths)
        if action.kind is ToolKind.EDIT:
            for path in paths:
                violation = write_violation(self.root, path)
                if violation:
                    return self._decision("deny", "hard_limit", f"hard limit: {violation}")
        subject = self._subject(action, paths)

        denied = self.rules.match("deny", action.tool, subject.deny_targets, self.root)
        if denied:
            return self._decision("deny", "rule", f"rule {denied.describe()} denies it", rule=denied)
        if action.kind is ToolKind.EDIT and self.mode == "plan":
            return self._decision(
                "deny", "mode", "mode plan is read-only: present the plan with exit_plan_mode before editing"
            )
        asked = self.rules.match("ask", action.tool, subject.targets, self.root)
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

        allowed = self._allowed(action.tool, subject.targets)
        if allowed is not None:
            return allowed
        return self._decide_by_mode(action, subject)

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

    def _allowed(self, tool: str, targets: list[Target]) -> Decision | None:
        """Allow when every target is matched by an allow rule or a session grant."""
        if not targets:
            return None
        by_rule = self.rules.cover("allow", tool, targets, self.root)
        if all(by_rule):
            rules = _distinct(by_rule)
            verb = "allows it" if len(rules) == 1 else "allow every part of it"
            names = ", ".join(rule.describe() for rule in rules)
            return self._decision("allow", "rule", f"rule {names} {verb}", rules=rules)
        by_session = self.session.cover("allow", tool, targets, self.root)
        if all(rule or grant for rule, grant in zip(by_rule, by_session, strict=True)):
            rules = _distinct([rule or grant for rule, grant in zip(by_rule, by_session, strict=True)])
            names = ", ".join(rule.text if rule.source == "session" else rule.describe() for rule in rules)
            return self._decision("allow", "session", f"approved for this session: {names}", rules=rules)
        return None

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

    def _uncovered_commands(self, tool: str, subject: _Subject) -> list[ShellCommand]:
        """The parts of a command no allow rule or session grant matches."""
        commands = [target for target in subject.targets if isinstance(target, ShellCommand)]
        by_rule = self.rules.cover("allow", tool, commands, self.root)
        by_session = self.session.cover("allow", tool, commands, self.root)
        return [c for c, rule, grant in zip(commands, by_rule, by_session, strict=True) if not (rule or grant)]

    def _uncovered_detail(self, action: Action, subject: _Subject) -> str:
        """Which part of a command stops the rules from allowing it, when that is worth saying."""
        uncovered = self._uncovered_commands(action.tool, subject)
        if not uncovered:
            return ""
        first = uncovered[0]
        if first.opaque:
            shown = " ".join([*first.assignments, first.text]).strip()
            return f" (no rule can allow `{shown}`: {first.opaque})"
        if len(subject.targets) > 1:
            return f" (no rule allows `{first.text}`)"
        return ""

    # -- subjects ------------------------------------------------------------

    def _subject(self, action: Action, paths: tuple[Path, ...]) -> _Subject:
        if action.kind is not ToolKind.EXECUTE:
            targets: list[Target] = list(paths) or [None]
            if action.kind is ToolKind.READ:
                outside = [p for p in paths if relative_to_root(self.root, p) is None]
                return _Subject(targets, targets, outside_reads=outside)
            controls = [reason for p in paths if (reason := control_file_reason(self.root, p))]
            return _Subject(targets, targets, protected_writes=controls)
        line = action.command if action.command is not None else str(action.input.get("command", ""))
        whole = ShellCommand(text=" ".join(line.split()), words=tuple(line.split()))
        try:
            commands = split_command(line)
        except ShellSyntaxError as exc:
            unparsable = ShellCommand(whole.text, whole.words, opaque=f"it cannot be parsed ({exc})")
            return _Subject([unparsable], [unparsable])
        targets = [c for c in commands if c.words or c.opaque]
        cwd = self._resolve(action.cwd) if action.cwd else self.root
        # A loop or function can run a `cd` before a redirection written earlier, so any `cd` counts.
        moved = next((c for c in commands if c.may_change_directory), None)
        redirects = [r for c in commands for r in c.redirects if r.writes_file]
        protected = [p for r in redirects if (p := self._redirect_problem(r.target, r.dynamic, cwd, moved))]
        # A command's own arguments can write a protected file too (`cp x .git/hooks/pre-commit`,
        # `sed -i ... .stepwise/settings.yaml`): naming one makes the command ask like a redirection.
        protected += [p for c in commands for word in c.words[1:] if (p := self._argument_problem(word, cwd))]
        return _Subject(targets, [*targets, whole], protected_writes=protected)

    def _argument_problem(self, word: str, cwd: Path) -> str | None:
        if word.startswith("-"):
            word = word.partition("=")[2]
        if not word or "\0" in word or any(char in word for char in "$`*?["):
            return None
        path = Path(os.path.expanduser(word))
        problem = protected_reason(self.root, self._resolve(path if path.is_absolute() else cwd / path))
        return f"it names {word}: {problem}" if problem else None

    def _redirect_problem(self, target: str, dynamic: bool, cwd: Path, moved: ShellCommand | None) -> str | None:
        if dynamic:
            return f"it redirects output to {target}, which is only known when it runs"
        if _HARMLESS_TARGETS.fullmatch(target):
            return None
        if "\0" in target:
            return f"it redirects output to {target!r}, which is not a usable file name"
        path = Path(os.path.expanduser(target))
        if not path.is_absolute() and moved is not None:
            return f"it redirects output to {target} after `{moved.text}` changes folder, so where it lands is unknown"
        path = self._resolve(path if path.is_absolute() else cwd / path)
        problem = write_violation(self.root, path) or control_file_reason(self.root, path)
        return f"it redirects output to {target}: {problem}" if problem else None

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
            uncovered = self._uncovered_commands(action.tool, subject)
            suggestions = {_command_prefix_rule(action.tool, c) for c in uncovered}
            return suggestions.pop() if len(suggestions) == 1 else None
        paths = [t for t in subject.targets if isinstance(t, Path)]
        if not paths:
            return None
        if action.kind is ToolKind.EDIT:
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
        behavior: str,
        decided_by: str,
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


def _command_prefix_rule(tool: str, command: ShellCommand) -> str | None:
    """`run_in_terminal(npm test:*)`: the command name, plus its sub-command when it has one."""
    if command.opaque or not command.words or command.may_change_directory:
        return None
    name = command.words[0]
    if name.rsplit("/", 1)[-1] in SHELLS | {"eval"} or shlex.quote(name) != name:
        return None
    words = [name]
    if len(command.words) > 1 and re.fullmatch(r"[A-Za-z][\w:.-]*", command.words[1]):
        words.append(command.words[1])
    return f"{tool}({' '.join(words)}:*)"


def _glob_escape(path: str) -> str:
    return re.sub(r"([*?\[\\])", r"\\\1", path)


def _distinct(rules: list[Rule | None]) -> list[Rule]:
    seen: list[Rule] = []
    for rule in rules:
        if rule is not None and rule not in seen:
            seen.append(rule)
    return seen
