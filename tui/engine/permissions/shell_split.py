"""Splitting a shell command line into the simple commands it would run.

Permission rules name single commands (`git status`, `npm test:*`), but the
model sends whole command lines. A rule may only allow a line when it allows
every command the shell would run, so this module finds all of them: the
parts of lists and pipelines (`&&`, `||`, `;`, `|`, `&`, newlines), the
contents of subshells and groups, command and process substitutions
(`$(...)`, backticks, `<(...)`), and the strings hidden in `bash -c` or
`eval`. Quoting follows the shell (single quotes, double quotes, backslash
escapes), so `echo "a && b"` stays one command.

This is a conservative tokenizer, not a shell: where it cannot be sure what
runs it says so (`ShellCommand.opaque`) or raises `ShellSyntaxError`, and the
permission engine then asks instead of trusting a rule.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

MAX_DEPTH = 20
"""Deepest nesting of substitutions and `bash -c` strings looked into."""

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish"})
"""Programs whose `-c` argument is itself a command line."""

_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time"})
"""Reserved words that may open a command; the command proper follows them."""

_OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "|", "&")
_REDIRECTIONS = ("&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">|", ">&", "<", ">")
_WORD_END = frozenset(" \t\n;&|()<>")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_SAFE_VARIABLE = re.compile(r"LANG|LANGUAGE|LC_[A-Z]+|TZ|NO_COLOR|CI")
"""Variables an allow rule may see set before a command: they pick a language, a time zone or plain
output. Any other variable can change what a program runs (`PATH`, `LD_PRELOAD`, `LESSOPEN`,
`GIT_SSH_COMMAND`, `npm_config_script_shell`, ...), so a command setting it is opaque to allow rules."""
_SAFE_VALUE = re.compile(r"(?![/:])(?!.*(?:\.\.|:/))[\w.@:+/-]*")
"""A plain name like `C.UTF-8`, `en:fr` or `Europe/Paris`: no absolute or `..` path (a locale or
zone given as a path loads that file)."""
_DECLARATIONS = frozenset({"export", "declare", "typeset", "readonly", "local"})
"""Builtins whose `NAME=value` arguments set variables like a prefix does."""

CHANGES_DIRECTORY = frozenset({"cd", "pushd", "popd", "source", "."})
"""Commands that may change the shell's working folder for the commands after them (`source`
runs a file that may `cd`)."""
_COMMAND_WRAPPERS = frozenset({"builtin", "command"})

_ANSI_C_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
    "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}
_ANSI_C_NUMERIC = re.compile(
    r"([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})|c(.)", re.DOTALL
)


class ShellSyntaxError(ValueError):
    """The command line cannot be split safely (unbalanced quote or parenthesis, ...)."""


@dataclass(frozen=True)
class Redirect:
    op: str
    """The operator: `>`, `>>`, `&>`, `<`, `<<`, ..."""
    target: str
    """The file (quotes removed), the here-document delimiter, or an fd for `>&2`."""
    dynamic: bool = False
    """The target holds an expansion (`$VAR`, `$(...)`), so where it points is unknown."""

    @property
    def writes_file(self) -> bool:
        """True when the redirection writes to a file (not an fd duplication or an input)."""
        if self.op in (">&", "<&"):
            return self.op == ">&" and not (self.target.isdigit() or self.target == "-")
        return self.op in (">", ">>", ">|", "&>", "&>>", "<>")


@dataclass(frozen=True)
class ShellCommand:
    """One simple command the shell would run."""

    text: str
    """The command words as written (assignments and redirections left out), joined by one space."""
    words: tuple[str, ...]
    """The command words with quotes removed (expansions kept as written)."""
    assignments: tuple[str, ...] = ()
    """Leading `NAME=value` words."""
    redirects: tuple[Redirect, ...] = ()
    opaque: str | None = None
    """Why no command pattern can vouch for this command (computed name, risky variable, hidden
    command built at run time); None when patterns may match it."""

    @property
    def may_change_directory(self) -> bool:
        """Whether running it may move the shell to another folder (`cd`, `builtin cd`, `pushd`,
        `source`, or a name only known when it runs), so later relative paths are unknown."""
        words = list(self.words)
        while len(words) > 1 and words[0] in _COMMAND_WRAPPERS:
            words.pop(0)
        if not words:
            return False
        return words[0] in CHANGES_DIRECTORY or any(char in words[0] for char in "$`")

    @property
    def normalized(self) -> str:
        """The words re-quoted canonically, so `git  "status"` reads `git status`."""
        return " ".join(shlex.quote(word) for word in self.words)


@dataclass
class _Word:
    raw: str
    value: str
    expanded: bool
    """Holds an unquoted or double-quoted expansion (`$x`, `$(...)`, backticks)."""


@dataclass
class _Builder:
    words: list[_Word] = field(default_factory=list)
    assignments: list[_Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.words or self.assignments or self.redirects)


def split_command(command: str) -> tuple[ShellCommand, ...]:
    """Every simple command `command` would run (a substitution comes before the command holding it).

    Raises:
        ShellSyntaxError: the line cannot be split safely; the message says why.
    """
    return tuple(_split(command, 0))


def _split(command: str, depth: int) -> list[ShellCommand]:
    if depth > MAX_DEPTH:
        raise ShellSyntaxError(f"commands are nested more than {MAX_DEPTH} levels deep")
    parser = _Parser(command, depth)
    parser.parse_list(None)
    if parser.heredocs:
        raise ShellSyntaxError(f"here-document {parser.heredocs[0][0]!r} is never terminated")
    return parser.out


class _Parser:
    def __init__(self, src: str, depth: int) -> None:
        self.src = src
        self.pos = 0
        self.depth = depth
        self.nesting = 0
        """Open parentheses, substitutions and quotes being parsed (bounded, like `depth`)."""
        self.out: list[ShellCommand] = []
        self.heredocs: list[tuple[str, bool, bool]] = []
        """Pending here-documents: (delimiter, quoted, strip tabs)."""

    # -- lists -------------------------------------------------------------

    def parse_list(self, closer: str | None) -> None:
        """Parse commands up to `closer` (consumed) or, when None, the end of the text."""
        if closer is not None:
            self._enter()
        src = self.src
        builder = _Builder()
        while True:
            if self.pos >= len(src):
                if closer is not None:
                    raise ShellSyntaxError(f"missing {closer!r}")
                self._finish(builder)
                return
            char = src[self.pos]
            if char == closer:
                self.pos += 1
                self.nesting -= 1
                self._finish(builder)
                return
            if char in " \t":
                self.pos += 1
            elif src.startswith("\\\n", self.pos):
                self.pos += 2
            elif char == "\n":
                self.pos += 1
                builder = self._finish(builder)
                self._read_heredoc_bodies()
            elif char == "#":
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            elif char == "(":
                self.pos += 1
                builder = self._finish(builder)
                self.parse_list(")")
            elif char == ")":
                raise ShellSyntaxError("unexpected ')'")
            elif char in "<>" and src.startswith("(", self.pos + 1):
                self._add_word(builder, self._read_word())
            elif char in "<>" or src.startswith("&>", self.pos):
                self._read_redirect(builder)
            elif char in ";&|":
                operator = next(op for op in _OPERATORS if src.startswith(op, self.pos))
                self.pos += len(operator)
                builder = self._finish(builder)
            else:
                word = self._read_word()
                if word.raw.isdigit() and self.pos < len(src) and src[self.pos] in "<>":
                    continue  # an fd number: `2>file`
                self._add_word(builder, word)

    def _enter(self) -> None:
        """Count one more level of nesting; the matching exit decrements `nesting`."""
        self.nesting += 1
        if self.depth + self.nesting > MAX_DEPTH:
            raise ShellSyntaxError(f"commands are nested more than {MAX_DEPTH} levels deep")

    def _add_word(self, builder: _Builder, word: _Word) -> None:
        if not builder.words and word.raw == word.value and word.value in _KEYWORDS:
            if builder.assignments or builder.redirects:
                builder.words.append(word)
            return
        if not builder.words and _ASSIGNMENT.match(word.raw):
            builder.assignments.append(word)
        else:
            builder.words.append(word)

    def _finish(self, builder: _Builder) -> _Builder:
        """Record the builder's command (if any) and return a fresh builder."""
        if builder.empty():
            return builder
        words = tuple(w.value for w in builder.words)
        command = ShellCommand(
            text=" ".join(w.raw for w in builder.words),
            words=words,
            assignments=tuple(w.raw for w in builder.assignments),
            redirects=tuple(builder.redirects),
            opaque=self._opaque_reason(builder),
        )
        self.out.append(command)
        self._add_hidden(builder)
        return _Builder()

    def _opaque_reason(self, builder: _Builder) -> str | None:
        assignments = list(builder.assignments)
        if builder.words and builder.words[0].value in _DECLARATIONS:
            assignments += [word for word in builder.words[1:] if _ASSIGNMENT.match(word.value)]
        for assignment in assignments:
            name = re.split(r"[\[+=]", assignment.value, maxsplit=1)[0]
            match = _ASSIGNMENT.match(assignment.value)
            if (
                match is None
                or assignment.expanded
                or not _SAFE_VARIABLE.fullmatch(name)
                or not _SAFE_VALUE.fullmatch(assignment.value[match.end() :])
            ):
                return f"it sets {name}, which can change what runs"
        if builder.words and builder.words[0].expanded:
            return f"its command name {builder.words[0].raw} is computed when it runs"
        return None

    # -- hidden command lines ---------------------------------------------

    def _add_hidden(self, builder: _Builder) -> None:
        """Split the command line a shell `-c` or `eval` would run, appending its commands."""
        words = builder.words
        if not words:
            return
        name = words[0].value.rsplit("/", 1)[-1]
        hidden: list[_Word] | None = None
        if name == "eval":
            hidden = words[1:]
        elif name in SHELLS:
            # Any short-option cluster holding `c` counts, wherever it is: reading too much
            # as a hidden command line only makes matching stricter.
            for index, word in enumerate(words[1:], start=1):
                if re.fullmatch(r"-[A-Za-z]*c[A-Za-z]*", word.value):
                    hidden = words[index + 1 : index + 2]
                    if not hidden:
                        self._mark_opaque(f"{name} -c has no command string")
                    break
        if not hidden:
            return
        if any(word.expanded for word in hidden):
            self._mark_opaque(f"{name} runs a command line built when it runs")
            return
        try:
            self.out.extend(_split(" ".join(word.value for word in hidden), self.depth + 1))
        except ShellSyntaxError as exc:
            self._mark_opaque(f"the command line inside {name} cannot be split: {exc}")

    def _mark_opaque(self, reason: str) -> None:
        last = self.out[-1]
        self.out[-1] = ShellCommand(last.text, last.words, last.assignments, last.redirects, reason)

    # -- redirections and here-documents -----------------------------------

    def _read_redirect(self, builder: _Builder) -> None:
        op = next(op for op in _REDIRECTIONS if self.src.startswith(op, self.pos))
        self.pos += len(op)
        while self.pos < len(self.src) and self.src[self.pos] in " \t":
            self.pos += 1
        if self.pos >= len(self.src) or self.src[self.pos] in _WORD_END:
            raise ShellSyntaxError(f"the redirection {op!r} has no target")
        if op in ("<<", "<<-"):
            word = self._read_word()
            quoted = word.raw != word.value
            self.heredocs.append((word.value, quoted, op == "<<-"))
            builder.redirects.append(Redirect(op, word.value))
            return
        word = self._read_word()
        builder.redirects.append(Redirect(op, word.value, dynamic=word.expanded))

    def _read_heredoc_bodies(self) -> None:
        for delimiter, quoted, strip_tabs in self.heredocs:
            lines: list[str] = []
            while True:
                if self.pos >= len(self.src):
                    raise ShellSyntaxError(f"here-document {delimiter!r} is never terminated")
                end = self.src.find("\n", self.pos)
                end = len(self.src) if end < 0 else end
                line = self.src[self.pos : end]
                self.pos = min(end + 1, len(self.src))
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
                lines.append(line)
            if not quoted:
                # An unquoted here-document expands `$(...)` and backticks like a double-quoted string.
                body = _Parser("\n".join(lines), self.depth)
                body._read_double_quoted(terminator=None)
                self.out.extend(body.out)
        self.heredocs = []

    # -- words -------------------------------------------------------------

    def _read_word(self) -> _Word:
        src = self.src
        start = self.pos
        value: list[str] = []
        expanded = False
        while self.pos < len(src):
            char = src[self.pos]
            process_substitution = self.pos == start and char in "<>" and src.startswith("(", self.pos + 1)
            if char in _WORD_END and not process_substitution:
                break
            if char == "\\":
                if self.pos + 1 >= len(src):
                    raise ShellSyntaxError("the command ends with a lone backslash")
                if src[self.pos + 1] != "\n":
                    value.append(src[self.pos + 1])
                self.pos += 2
            elif char == "'":
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unbalanced single quote")
                value.append(src[self.pos + 1 : end])
                self.pos = end + 1
            elif char == '"':
                self.pos += 1
                text, inner_expanded = self._read_double_quoted(terminator='"')
                value.append(text)
                expanded |= inner_expanded
            elif char == "$" and src.startswith("$'", self.pos):
                value.append(self._read_ansi_c())
            elif char in "$`":
                value.append(self._read_expansion())
                expanded = True
            elif char in "<>":  # process substitution `<(...)`
                self.pos += 2
                self.parse_list(")")
                value.append(src[start : self.pos])
                expanded = True
            else:
                value.append(char)
                self.pos += 1
        return _Word(src[start : self.pos], "".join(value), expanded)

    def _read_ansi_c(self) -> str:
        """Read `$'...'` and decode its escapes as bash does, so `$'\\x72m'` reads `rm`."""
        src = self.src
        index = self.pos + 2
        while index < len(src) and src[index] != "'":
            index += 2 if src[index] == "\\" else 1
        if index >= len(src):
            raise ShellSyntaxError("unbalanced $' quote")
        text = src[self.pos + 2 : index]
        self.pos = index + 1
        return _decode_ansi_c(text)

    def _read_double_quoted(self, terminator: str | None) -> tuple[str, bool]:
        """Read up to `terminator` (consumed) or the end; return (text, holds an expansion)."""
        src = self.src
        value: list[str] = []
        expanded = False
        while True:
            if self.pos >= len(src):
                if terminator is not None:
                    raise ShellSyntaxError("unbalanced double quote")
                return "".join(value), expanded
            char = src[self.pos]
            if char == terminator:
                self.pos += 1
                return "".join(value), expanded
            if char == "\\" and self.pos + 1 < len(src) and src[self.pos + 1] in '$`"\\\n':
                if src[self.pos + 1] != "\n":
                    value.append(src[self.pos + 1])
                self.pos += 2
            elif char in "$`":
                value.append(self._read_expansion())
                expanded = True
            else:
                value.append(char)
                self.pos += 1

    def _read_expansion(self) -> str:
        """Read `$name`, `${...}`, `$(...)`, `$((...))` or a backquoted command; return it as written.

        Commands inside substitutions are split and recorded like any other.
        """
        src = self.src
        start = self.pos
        if src[self.pos] == "`":
            self._read_backquoted()
        elif src.startswith("$((", self.pos):
            self.pos += 3
            self._read_balanced(opener="(", closer=")", depth=2)
        elif src.startswith("$(", self.pos):
            self.pos += 2
            self.parse_list(")")
        elif src.startswith("${", self.pos):
            self.pos += 2
            self._read_balanced(opener="{", closer="}", depth=1)
        else:
            self.pos += 1
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]").match(src, self.pos)
            if match:
                self.pos = match.end()
        return src[start : self.pos]

    def _read_backquoted(self) -> None:
        src = self.src
        index = self.pos + 1
        inner: list[str] = []
        while index < len(src) and src[index] != "`":
            if src[index] == "\\" and index + 1 < len(src):
                inner.append(src[index + 1] if src[index + 1] in "`$\\" else src[index : index + 2])
                index += 2
            else:
                inner.append(src[index])
                index += 1
        if index >= len(src):
            raise ShellSyntaxError("unbalanced backquote")
        self.pos = index + 1
        self.out.extend(_split("".join(inner), self.depth + 1))

    def _read_balanced(self, opener: str, closer: str, depth: int) -> None:
        """Skip arithmetic or `${...}` text up to its closing bracket, splitting substitutions inside."""
        src = self.src
        self._enter()
        while depth:
            if self.pos >= len(src):
                raise ShellSyntaxError(f"missing {closer!r}")
            char = src[self.pos]
            if char in "$`" and (char == "`" or src.startswith(("$(", "${"), self.pos)):
                self._read_expansion()
                continue
            if char == "'" and opener == "{":
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unbalanced single quote")
                self.pos = end + 1
                continue
            if char == '"':
                self.pos += 1
                self._read_double_quoted(terminator='"')
                continue
            if char == "\\":
                self.pos += 1
            elif char == opener:
                depth += 1
            elif char == closer:
                depth -= 1
            self.pos += 1
        self.nesting -= 1


def _decode_ansi_c(text: str) -> str:
    """The value of the body of a `$'...'` string; like bash, it ends at a NUL."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        escape = text[index + 1]
        if escape in _ANSI_C_ESCAPES:
            out.append(_ANSI_C_ESCAPES[escape])
            index += 2
            continue
        match = _ANSI_C_NUMERIC.match(text, index + 1)
        if match is None:
            out.append(text[index : index + 2])  # an unknown escape stays as written
            index += 2
            continue
        octal, hex_byte, short, long, control = match.groups()
        if control is not None:
            out.append(chr(ord(control) & 0x1F))
        else:
            code = int(octal, 8) if octal else int(hex_byte or short or long, 16)
            out.append(chr(code) if code <= 0x10FFFF else "\ufffd")
        index = match.end()
    return "".join(out).split("\0", 1)[0]
