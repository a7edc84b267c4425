"""What a command line will run and write, read from bash's grammar; what it cannot tell, it says.

The model sends whole command lines, and permission rules name single
commands (`git status`, `npm test:*`). `analyze` parses a line with
tree-sitter's bash grammar and walks the tree, accepting only the constructs
whose effect it can state exactly; anything else makes the whole line
*not understood*, with the reason, and the permission engine then never lets
a rule or a mode run it unasked. Failing closed is the point: a construct
this reading does not know is a question for the user, never a guess.

For a line it understands, the analysis gives

- every simple command that will run, with its literal arguments: the parts
  of lists and pipelines, the bodies of `if`/`while`/`for`, groups and
  subshells, command and process substitutions (also inside strings and
  here-documents), the strings given to `bash -c`/`sh -c` and to `eval`, and
  the commands wrappers run (`env`, `timeout`, `xargs`, `find -exec`,
  `flock -c`, `sudo`, ... see `wrappers`), nested to any depth;
- every path written: redirection targets and the file arguments of the
  programs known to write them (`rm`, `cp`, `mv`, `tee`, `sed -i`, `dd of=`,
  `git config`, ...);
- every variable assigned.

Not understood (the reason says which): a parse error (tree-sitter `ERROR`
or `MISSING` nodes, an unterminated here-document), a word tree-sitter and
bash may split differently, a computed command name, `case`, functions,
`coproc`, `trap`, `alias`, `source`, `select`, arithmetic on variables,
subscripts holding expansions, an assignment (also through `printf -v`,
`read`, `mapfile`, `declare`, `export`, ...) of a variable that programs read
as a command or that reaches their environment (anything but the locale and
a few plain switches), interpreters given inline code (`python -c`,
`node -e`, `perl -e`, `awk` programs that can run or write), a shell reading
commands from its input, and write targets that are not literal paths
(globs, braces, `~+`/`~-`/`~user`, expansions, relative paths after `cd`).

`Analysis.hides_programs` tells whether a not-understood line could run a
program the analysis did not list (everything but a write-target problem);
deny rules cannot be checked against such a line.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from tui.engine.permissions import wrappers

MAX_DEPTH = 20
"""Deepest nesting of `bash -c` and `eval` strings read."""
MAX_LINE = 100_000
"""Longer command lines are not read at all."""

BASH_SHELLS = frozenset({"sh", "bash", "dash", "ash", "rbash"})
"""Shells whose `-c` string is read with bash's grammar."""
OTHER_SHELLS = frozenset(
    {
        "zsh",
        "ksh",
        "mksh",
        "pdksh",
        "oksh",
        "yash",
        "posh",
        "fish",
        "csh",
        "tcsh",
        "elvish",
        "nu",
        "xonsh",
        "pwsh",
        "powershell",
    }
)
"""Shells whose language is not bash (zsh's glob qualifiers and fish's `(...)` run commands)."""
SHELLS = BASH_SHELLS | OTHER_SHELLS

SAFE_ENV = re.compile(
    r"LANG|LANGUAGE|LC_[A-Z]+|TZ|NO_COLOR|FORCE_COLOR|CI|TERM|COLUMNS|LINES|PYTHONUNBUFFERED|PYTHONDONTWRITEBYTECODE"
)
"""Variables a command may set for the programs it runs: a language, a time zone, plain output.
Any other can change what a program runs (`PATH`, `LD_PRELOAD`, `GIT_EDITOR`, `PAGER`, `BASH_ENV`,
`LESSOPEN`, `npm_config_script_shell`, ...)."""
_SAFE_VALUE = re.compile(r"(?![/:])(?!.*(?:\.\.|:/))[\w.@:+/-]*")
"""A plain value like `C.UTF-8` or `Europe/Paris`: no absolute or `..` path (a locale or zone given
as a path loads that file)."""
_ENV_LOWERCASE = re.compile(r"(?:http|https|ftp|all|no)_proxy|npm_config_.*|yarn_.*|pip_.*", re.IGNORECASE)
_SHELL_LOCAL = re.compile(r"[a-z_][a-z0-9_]*")
"""Lower-case names: the convention for a script's own variables, which no program reads."""

CHANGES_DIRECTORY = frozenset({"cd", "pushd", "popd"})

Kind = Literal["syntax", "program", "variable", "write", "redirect", "depth"]
"""What a problem hides: the grammar, a program, a variable's use, a path a program writes, a
redirection's target, or everything (wrappers nested beyond `wrappers.MAX_WRAPPED`: every deny rule
applies)."""


@dataclass(frozen=True)
class Command:
    """One simple command that will run."""

    words: tuple[str, ...]
    """Its argument vector with quotes removed; a word only known when it runs is kept as written."""
    text: str
    """The words as written, joined by one space (assignments and redirections left out)."""
    exact: bool = True
    """Every word is literal and nothing is appended when it runs (`xargs`, `find -exec {}`)."""
    outer: Command | None = None
    """The wrapper running it (`timeout 5 pytest` runs `pytest`), None for a command the shell runs."""
    via: str = ""
    """The wrapper's words up to and including this command's program (`timeout 5 pytest`)."""

    @property
    def name(self) -> str:
        """The program's name, a path reduced to its file name (`/bin/rm` is `rm`)."""
        return wrappers.by_program_name(self.words)[0] if self.words else ""

    @property
    def normalized(self) -> str:
        """The words re-quoted canonically, so `git  "status"` reads `git status`."""
        return " ".join(shlex.quote(word) for word in self.words)

    @property
    def by_name(self) -> str:
        """`normalized` with the program named by its file name."""
        return " ".join(shlex.quote(word) for word in wrappers.by_program_name(self.words))


@dataclass(frozen=True)
class Write:
    """A path a command writes (creates, truncates, appends to, removes, moves or changes)."""

    path: str
    """Literal, quotes removed, `~` expanded; relative paths are relative to the command's folder."""
    by: str
    """`redirect`, or the program writing it."""
    sources: tuple[str, ...] = ()
    """For `cp`/`mv`/`ln`/`install` into a folder: what lands in it (`path/<name of source>`)."""


@dataclass(frozen=True)
class Problem:
    kind: Kind
    reason: str


@dataclass(frozen=True)
class Analysis:
    """What `analyze` found in one command line."""

    line: str
    commands: tuple[Command, ...] = ()
    writes: tuple[Write, ...] = ()
    assigned: tuple[str, ...] = ()
    """Every variable the line assigns (by any means), in order, without repeats."""
    named: tuple[str, ...] = ()
    """Literal arguments that may name a file, for the protected-path check."""
    patterns: tuple[str, ...] = ()
    """Glob arguments of programs not known to write, for the protected-path check."""
    changes_directory: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def understood(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str | None:
        """Why it is not understood (the first problem), None when it is."""
        return self.problems[0].reason if self.problems else None

    @property
    def hides_programs(self) -> bool:
        """Whether it could run a program missing from `commands`."""
        return any(problem.kind not in ("write", "redirect") for problem in self.problems)


def analyze(line: str) -> Analysis:
    """Read `line` as bash would; see the module docstring for what comes back."""
    walker = _Walker(line)
    walker.run()
    return walker.result()


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


# -- the walk ---------------------------------------------------------------------------------------

_STATEMENT_LISTS = frozenset({"program", "list", "pipeline", "subshell", "do_group", "negated_command", "else_clause"})
_REJECTED = {
    "case_statement": "it uses case, whose branches stepwise does not follow",
    "function_definition": "it defines a function, whose body runs wherever its name is used",
    "c_style_for_statement": "it uses an arithmetic for loop",
    "translated_string": 'it uses a $"..." string',
    "brace_expression": "it uses brace expansion",
    "array": "it assigns an array",
}
_REJECTED_COMMANDS = {
    "coproc": "it starts a coprocess",
    "trap": "it sets a trap, which runs commands later",
    "alias": "it defines an alias",
    "unalias": "it changes aliases",
    "source": "it runs the commands of a file in this shell",
    ".": "it runs the commands of a file in this shell",
    "select": "it uses select",
    "let": "it uses arithmetic",
    "shopt": "it changes how bash reads what follows",
    "enable": "it changes bash's builtins",
    "hash": "it changes which file a command name runs",
    "bind": "it binds keys to commands",
    "fc": "it re-runs commands from the history",
    "compgen": "it can run completion commands",
    "complete": "it defines completion commands",
    "history": "it changes the history",
}
_SCRIPTS = ("-f", "--file")


@dataclass
class _Word:
    value: str
    """Quotes removed; for a word that is not literal, its text as written."""
    literal: bool
    why: str = ""
    """Why it is not literal: `an expansion`, `a glob`, `brace expansion`, `a ~ form`."""
    text: str = ""


@dataclass
class _Found:
    commands: list[Command] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    assigned: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changes_directory: bool = False
    relative_writes: list[Write] = field(default_factory=list)


class _Walker:
    def __init__(self, line: str, depth: int = 0, found: _Found | None = None) -> None:
        self.line = line
        self.depth = depth
        self.found = found or _Found()

    def run(self) -> None:
        if len(self.line) > MAX_LINE:
            self.problem("syntax", f"it is longer than {MAX_LINE} characters")
            return
        if "\0" in self.line:
            self.problem("syntax", "it holds a NUL character")
            return
        self.source = self.line.encode("utf-8", "surrogatepass")
        tree = _parser().parse(self.source)
        bad = _first_error(tree.root_node)
        if bad is not None:
            self.problem("syntax", f"bash's grammar cannot read it near `{self.snippet(bad)}`")
            return
        self.statement(tree.root_node)

    def result(self) -> Analysis:
        found = self.found
        if found.changes_directory and found.relative_writes:
            write = found.relative_writes[0]
            verb = "it redirects output to" if write.by == "redirect" else f"{write.by} writes"
            self.problem(
                "redirect" if write.by == "redirect" else "write",
                f"{verb} {write.path} after changing folder, so where it lands is only known when it runs",
            )
        return Analysis(
            line=self.line,
            commands=tuple(found.commands),
            writes=tuple(dict.fromkeys(found.writes)),
            assigned=tuple(dict.fromkeys(found.assigned)),
            named=tuple(dict.fromkeys(found.named)),
            patterns=tuple(dict.fromkeys(found.patterns)),
            changes_directory=found.changes_directory,
            problems=tuple(dict.fromkeys(found.problems)),
        )

    # -- helpers -----------------------------------------------------------------------------

    def problem(self, kind: Kind, reason: str) -> None:
        self.found.problems.append(Problem(kind, reason))

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")

    def snippet(self, node: Node) -> str:
        text = " ".join(self.text(node).split())
        return text if len(text) <= 40 else text[:37] + "..."

    # -- statements --------------------------------------------------------------------------

    def statement(self, node: Node) -> None:
        kind = node.type
        if kind == "comment" or not node.is_named:
            return
        if kind in _REJECTED:
            self.problem("program", _REJECTED[kind])
            return
        if kind in _STATEMENT_LISTS or kind in ("if_statement", "elif_clause", "while_statement"):
            for child in node.named_children:
                self.statement(child)
        elif kind == "compound_statement":
            if node.children and node.children[0].type == "((":
                self.arithmetic(node)
            else:
                for child in node.named_children:
                    self.statement(child)
        elif kind == "for_statement":
            self.for_statement(node)
        elif kind == "redirected_statement":
            self.redirected(node)
        elif kind == "command":
            self.command(node)
        elif kind == "variable_assignment":
            self.assignment(node, exported=False)
        elif kind == "variable_assignments":
            for child in node.named_children:
                self.assignment(child, exported=False)
        elif kind == "declaration_command":
            self.declaration(node)
        elif kind == "unset_command":
            self.variable_names("unset", [self.word(child) for child in node.named_children])
        elif kind == "test_command":
            self.test_command(node)
        else:
            self.problem("program", f"stepwise does not read {kind.replace('_', ' ')} (`{self.snippet(node)}`)")

    def for_statement(self, node: Node) -> None:
        if node.children[0].type == "select":
            self.problem("program", _REJECTED_COMMANDS["select"])
            return
        variable = node.child_by_field_name("variable")
        if variable is not None:
            self.assign_name(self.text(variable), exported=False)
        for child in node.children_by_field_name("value"):
            self.word(child)
        body = node.child_by_field_name("body")
        if body is not None:
            self.statement(body)

    def redirected(self, node: Node) -> None:
        body = node.child_by_field_name("body")
        redirects = node.children_by_field_name("redirect")
        reads_input = any(r.type in ("heredoc_redirect", "herestring_redirect") for r in redirects)
        for redirect in redirects:
            self.redirect(redirect)
        if body is None:
            return
        if body.type == "command":
            self.command(body, stdin_given=reads_input)
        else:
            self.statement(body)

    def arithmetic(self, node: Node) -> None:
        """`((...))` and `$((...))` are only read when they hold numbers and operators: a variable in
        arithmetic is evaluated as an expression, and `a[$(cmd)]` in its value runs `cmd`."""
        for child in _descendants(node):
            if child.is_named and child.type not in (
                "number",
                "binary_expression",
                "unary_expression",
                "parenthesized_expression",
            ):
                self.problem(
                    "program", f"it uses arithmetic on values only known when it runs (`{self.snippet(node)}`)"
                )
                return

    def test_command(self, node: Node) -> None:
        for child in _descendants(node):
            if child.type == "test_operator" and self.text(child) in _ARITHMETIC_TESTS | {"-v", "-R"}:
                parent = child.parent
                operands = [c for c in parent.named_children if c.type != "test_operator"] if parent else []
                if any(not re.fullmatch(r"-?\d+", self.text(o)) for o in operands) and self.text(child) != "-v":
                    self.problem(
                        "program", f"it compares values arithmetically, which evaluates them (`{self.snippet(node)}`)"
                    )
                    return
                for operand in operands:
                    word = self.word(operand)
                    if self.text(child) in ("-v", "-R") and not (word.literal and _plain_name(word.value)):
                        self.problem("program", f"it tests a variable named by `{self.snippet(operand)}`")
                        return
        for child in node.named_children:
            self.expressions(child)

    def expressions(self, node: Node) -> None:
        if node.type in ("binary_expression", "unary_expression", "parenthesized_expression", "negated_expression"):
            for child in node.named_children:
                self.expressions(child)
        elif node.type not in ("test_operator",):
            self.word(node)

    # -- simple commands -----------------------------------------------------------------------

    def command(self, node: Node, stdin_given: bool = False) -> None:
        prefix: list[Node] = []
        words: list[Node] = []
        name_node = node.child_by_field_name("name")
        for position, child in enumerate(node.children):
            if (
                child.type == "variable_assignment"
                and name_node is not None
                and child.start_byte < name_node.start_byte
            ):
                prefix.append(child)
            elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                self.redirect(child)
                stdin_given |= child.type != "file_redirect" or self.text(child).lstrip("0123456789").startswith("<")
            elif child.type == "command_name" or node.field_name_for_child(position) == "argument":
                words.append(child)
            elif child.type == "variable_assignment":
                self.assignment(child, exported=False)
            elif child.is_named and child.type != "comment":
                self.problem("syntax", f"stepwise does not read `{self.snippet(child)}` in a command")
        self.check_separated(words)
        if not words:
            for assignment in prefix:
                self.assignment(assignment, exported=False)
            return
        for assignment in prefix:
            self.assignment(assignment, exported=True)
        values = [self.word(child) for child in words]
        self.simple(values, stdin_given=stdin_given, depth=0)

    def check_separated(self, words: list[Node]) -> None:
        """Bash splits words at blanks only: two nodes tree-sitter read as separate words with no
        blank between them (`$"x"`, `a\\<newline>b`) are one word to bash."""
        for before, after in itertools.pairwise(words):
            gap = self.source[before.end_byte : after.start_byte].replace(b"\\\n", b"")
            if not gap or not gap.strip(b"\\") or not re.search(rb"[ \t\n]", gap):
                self.problem("syntax", f"bash reads `{self.snippet(before)}{self.text(after)[:20]}` as one word")
                return

    def simple(
        self,
        words: list[_Word],
        *,
        stdin_given: bool,
        depth: int,
        outer: Command | None = None,
        via: str = "",
        appended: bool = False,
    ) -> None:
        """Record one simple command and everything it runs and writes."""
        argv = tuple(word.value for word in words)
        command = Command(
            words=argv,
            text=" ".join(word.text or word.value for word in words),
            exact=all(word.literal for word in words) and not appended,
            outer=outer,
            via=via,
        )
        self.found.commands.append(command)
        head = words[0]
        if not head.literal:
            self.problem("program", f"its command name {head.text or head.value} is only known when it runs")
            self.found.changes_directory = True  # it could be `cd`
            return
        name = command.name
        args = words[1:]
        for word in args:
            if word.literal:
                if not word.value.startswith("-"):
                    self.found.named.append(word.value)
                elif "=" in word.value:
                    self.found.named.append(word.value.partition("=")[2])
            elif word.why == "a glob":
                self.found.patterns.append(word.value)
        if name in CHANGES_DIRECTORY or name in ("source", "."):
            self.found.changes_directory = True
        if name in _REJECTED_COMMANDS:
            self.problem("program", _REJECTED_COMMANDS[name])
            return
        if name in ("test", "[", "unset", "wait"):
            named = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value in ("-v", "-R", "-p")]
            self.variable_names(name, named if name != "unset" else args)
        self.builtin_assignments(name, args)
        self.writes_of(name, args, appended=appended)
        self.code_of(name, args, stdin_given=stdin_given, depth=depth)
        self.wrapped(command, words, depth=depth)

    def wrapped(self, command: Command, words: list[_Word], depth: int) -> None:
        """The commands a wrapper runs (`env`, `timeout`, `xargs`, `find -exec`, ...)."""
        name = command.name
        literal_words = tuple(word.value if word.literal else "\0" for word in words)
        try:
            inner_lists = wrappers.run_by(literal_words)
        except wrappers.UnreadableWrapperError as exc:
            self.problem("program", str(exc))
            return
        for inner in inner_lists:
            if depth >= wrappers.MAX_WRAPPED:
                self.problem("depth", f"it runs more than {wrappers.MAX_WRAPPED} commands through wrappers")
                return
            if name in ("env", "sudo", "doas", "git") and any(
                w.value in ("-C", "--chdir", "-D") or w.value.startswith("--chdir=") for w in words
            ):
                self.found.changes_directory = True
            start = _suffix_start(literal_words, inner)
            if start is None:
                # A string split by the wrapper (`env -S`): its words are literal by construction.
                inner_words = [
                    _Word(value, literal="\0" not in value, why="an expansion", text=shlex.quote(value))
                    for value in inner
                ]
            else:
                inner_words = words[start : start + len(inner)]
            replace = _replace_string(name, words)
            if replace is not None:
                inner_words = [
                    _Word(w.value, literal=False, why="an argument filled in when it runs", text=w.text)
                    if replace in w.value
                    else w
                    for w in inner_words
                ]
            if not inner_words:
                continue
            via = " ".join(w.text or w.value for w in words[: start + 1]) if start is not None else command.text
            self.simple(
                inner_words,
                stdin_given=True,
                depth=depth + 1,
                outer=command,
                via=via,
                appended=name == "xargs" and replace is None,
            )

    # -- what programs write, run and assign --------------------------------------------------

    def writes_of(self, name: str, args: list[_Word], *, appended: bool) -> None:
        targets, sources = _written_arguments(name, args)
        if targets is None:
            self.problem("write", f"{name} writes files only known when it runs")
            return
        if appended and targets is not _NO_WRITES:
            self.problem("write", f"{name} gets more arguments when it runs, so what it writes is only known then")
            return
        for word in targets:
            if not word.literal:
                self.problem("write", f"{name} writes {word.text or word.value}, {_unknown(word)}")
                continue
            self.add_write(word.value, name, tuple(s.value for s in sources if s.literal))
        if sources and any(not s.literal for s in sources) and targets:
            self.problem(
                "write",
                f"{name} copies {next(s.text for s in sources if not s.literal)} into {targets[-1].value}, {_unknown(next(s for s in sources if not s.literal))}",
            )

    def add_write(self, path: str, by: str, sources: tuple[str, ...] = ()) -> None:
        if path in ("-", "") and by != "redirect":
            return
        write = Write(path, by, sources)
        self.found.writes.append(write)
        if not os.path.isabs(path) and not _HARMLESS.fullmatch(path):
            self.found.relative_writes.append(write)

    def code_of(self, name: str, args: list[_Word], *, stdin_given: bool, depth: int) -> None:
        """Shells' `-c` strings are read; interpreters given code, and shells reading their input, are not."""
        if name == "eval":
            if any(not word.literal for word in args):
                self.problem("program", "eval runs a command line only known when it runs")
            elif args:
                self.nested(" ".join(word.value for word in args), "eval", depth)
            return
        if name in SHELLS:
            self.shell(name, args, depth)
            return
        reason = _inline_code(name, args)
        if reason:
            self.problem("program", reason)

    def shell(self, name: str, args: list[_Word], depth: int) -> None:
        command_string = False
        index = 0
        while index < len(args):
            word = args[index]
            value = word.value
            if not word.literal:
                self.problem("program", f"{name} is given {word.text}, {_unknown(word)}")
                return
            if value == "--" or value == "-":
                index += 1
                break
            if value in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                index += 2
                continue
            if value.startswith("--"):
                index += 1
                continue
            if value[:1] in "-+" and len(value) > 1:
                flags = value[1:]
                if "i" in flags or "s" in flags:
                    self.problem("program", f"{name} {value} reads commands from its input")
                    return
                command_string |= "c" in flags
                index += 1
                continue
            break
        rest = args[index:]
        if command_string:
            if not rest:
                self.problem("syntax", f"{name} -c has no command string")
            elif name in OTHER_SHELLS:
                self.problem("program", f"{name} -c runs {name} code, which stepwise does not read")
            else:
                self.nested(rest[0].value, f"{name} -c", depth)
        elif not rest:
            self.problem("program", f"{name} reads the commands it runs from its input")
        elif name in OTHER_SHELLS:
            return  # a script file, like any program's

    def nested(self, line: str, where: str, depth: int) -> None:
        if self.depth + depth >= MAX_DEPTH:
            self.problem("program", f"commands are nested more than {MAX_DEPTH} levels deep")
            return
        inner = _Walker(line, self.depth + depth + 1, self.found)
        before = len(self.found.problems)
        inner.run()
        for index in range(before, len(self.found.problems)):
            problem = self.found.problems[index]
            if not problem.reason.startswith("in "):
                self.found.problems[index] = Problem(problem.kind, f"in {where}: {problem.reason}")

    def variable_names(self, name: str, words: list[_Word]) -> None:
        """Words a builtin takes as variable names: a subscript in one is evaluated, `$(...)` and all."""
        for word in words:
            if word.literal and word.value.startswith("-"):
                continue
            if not (word.literal and _plain_name(word.value)):
                self.problem(
                    "program",
                    f"{name} is given the variable name {word.text or word.value}, whose subscript is evaluated when it runs",
                )
                return

    def builtin_assignments(self, name: str, args: list[_Word]) -> None:
        """Builtins assigning variables without `=`: `printf -v`, `read`, `mapfile`, `getopts`."""
        names: list[_Word] = []
        if name == "printf":
            for index, word in enumerate(args[:-1]):
                if word.value == "-v":
                    names.append(args[index + 1])
                if not word.value.startswith("-") or word.value == "--":
                    break
        elif name == "read":
            names = _after_options(args, valued={"-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u"}, array_option="-a")
        elif name in ("mapfile", "readarray"):
            if any(w.value.startswith("-C") or w.value == "-c" for w in args):
                self.problem("program", f"{name} -C runs a command for each line")
                return
            names = _after_options(args, valued={"-d", "-n", "-O", "-s", "-u", "-c"})
            if not names:
                self.found.assigned.append("MAPFILE")
        elif name == "getopts" and len(args) >= 2:
            names = [args[1]]
        elif name == "set" and any(
            (w.value.startswith(("-", "+")) and "a" in w.value[1:] and not w.value.startswith("--"))
            or w.value == "allexport"
            for w in args
        ):
            self.problem("variable", "set -a exports every variable assigned after it")
        for word in names:
            if not word.literal:
                self.problem("variable", f"{name} assigns a variable named by {word.text}, {_unknown(word)}")
            else:
                self.assign_name(word.value, exported=False)

    def declaration(self, node: Node) -> None:
        keyword = node.children[0].type
        exported = keyword == "export"
        for child in node.named_children:
            if child.type == "word":
                word = self.word(child)
                if word.literal and word.value.startswith(("-", "+")):
                    flags = word.value[1:]
                    if word.value.startswith("-"):
                        exported |= "x" in flags
                    if (set(flags) & set("inf") and word.value.startswith("-") and keyword != "export") or (
                        keyword == "export" and "f" in flags
                    ):
                        self.problem(
                            "variable", f"{keyword} {word.value} gives variables a meaning stepwise does not follow"
                        )
                    continue
                if not word.literal:
                    self.problem("variable", f"{keyword} assigns {word.text}, {_unknown(word)}")
                else:
                    self.assign_name(
                        word.value.partition("=")[0],
                        exported=exported,
                        value=word.value.partition("=")[2] if "=" in word.value else None,
                    )
            elif child.type == "variable_name":
                self.assign_name(self.text(child), exported=exported)
            elif child.type == "variable_assignment":
                self.assignment(child, exported=exported)
            else:
                self.problem("variable", f"{keyword} assigns `{self.snippet(child)}`")

    def assignment(self, node: Node, *, exported: bool) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            self.problem("syntax", f"stepwise does not read the assignment `{self.snippet(node)}`")
            return
        if name_node.type == "subscript":
            index = name_node.child_by_field_name("index")
            if index is None or not re.fullmatch(r"\d+", self.text(index)):
                self.problem(
                    "variable", f"it assigns {self.snippet(name_node)}, whose subscript is evaluated when it runs"
                )
                return
            name_node = name_node.child_by_field_name("name") or name_node
        value = self.word(value_node) if value_node is not None else _Word("", literal=True)
        self.assign_name(self.text(name_node), exported=exported, value=value.value if value.literal else None)

    def assign_name(self, name: str, *, exported: bool, value: str | None = "") -> None:
        """Record an assignment; one that could change what a program runs is a problem."""
        base = name.split("[", 1)[0]
        if "[" in name and not re.fullmatch(r"[A-Za-z_]\w*\[\d+\]", name):
            self.problem("variable", f"it assigns {name}, whose subscript is evaluated when it runs")
            return
        if not re.fullmatch(r"[A-Za-z_]\w*", base):
            self.problem("variable", f"it assigns {name}, which is not a variable name")
            return
        self.found.assigned.append(base)
        if SAFE_ENV.fullmatch(base):
            if value is None or not _SAFE_VALUE.fullmatch(value):
                self.problem("variable", f"it sets {base} to a value that could name a file it loads")
            return
        private = _SHELL_LOCAL.fullmatch(base) and not _ENV_LOWERCASE.fullmatch(base) and base not in os.environ
        if exported or not private:
            self.problem("variable", f"it sets {base}, which can change what programs run")

    # -- redirections -----------------------------------------------------------------------------

    def redirect(self, node: Node) -> None:
        if node.type == "herestring_redirect":
            for child in node.named_children:
                self.word(child)
            return
        if node.type == "heredoc_redirect":
            for child in node.named_children:
                if child.type == "heredoc_body":
                    for part in child.named_children:
                        if part.type not in ("heredoc_content",):
                            self.word(part)
                elif child.type in ("file_redirect", "herestring_redirect", "heredoc_redirect"):
                    self.redirect(child)
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    self.word(child)
            return
        operator = next((c for c in node.children if not c.is_named), None)
        op = self.text(operator) if operator is not None else ""
        destinations = node.children_by_field_name("destination")
        if len(destinations) > 1:
            # tree-sitter splits `> x\<newline>y` in two; bash writes one file, `xy`.
            self.problem("syntax", f"bash reads `{self.snippet(node)}` as one redirection target")
            return
        for destination in destinations:
            word = self.word(destination)
            writes = op in (">", ">>", ">|", "&>", "&>>", "<>") or (
                op in (">&", "&>") and not re.fullmatch(r"\d+-?|-", word.value)
            )
            if op == ">&" and word.literal and re.fullmatch(r"\d+-?|-", word.value):
                writes = False
            if not writes:
                continue
            if not word.literal:
                self.problem("redirect", f"it redirects output to {word.text}, {_unknown(word)}")
            else:
                self.add_write(word.value, "redirect")

    # -- words --------------------------------------------------------------------------------------

    def word(self, node: Node) -> _Word:
        """The value of one word node; substitutions inside it are walked as statements."""
        text = self.text(node)
        inside = [] if node.type in _SUBSTITUTIONS else list(_descendants(node, stop=_SUBSTITUTIONS))
        for child in [node, *inside]:
            kind = child.type
            if kind in ("command_substitution", "process_substitution"):
                for statement in child.named_children:
                    self.statement(statement)
            elif kind in _REJECTED:
                self.problem("program", _REJECTED[kind])
            elif kind == "arithmetic_expansion":
                self.arithmetic(child)
            elif kind == "expansion":
                self.expansion(child)
            elif kind == "subscript":
                index = child.child_by_field_name("index")
                if index is None or not re.fullmatch(r"\d+|@|\*", self.text(index)):
                    self.problem("program", f"it uses {self.snippet(child)}, whose subscript is evaluated when it runs")
        return _evaluate(text)

    def expansion(self, node: Node) -> None:
        children = node.children
        if len(children) > 1 and children[1].type == "!":
            self.problem("program", f"it uses {self.snippet(node)}, an indirect expansion")
        inner = self.text(node)
        if "@P" in inner or "@E" in inner or "@A" in inner:
            self.problem("program", f"it uses {self.snippet(node)}, which expands prompt escapes")


# -- words, read as bash reads them ------------------------------------------------------------


_HARMLESS = re.compile(r"/dev/(null|stdout|stderr|tty|fd/\d+)")
_GLOB_CHARS = frozenset("*?[")
_ARITHMETIC_TESTS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})


def _evaluate(text: str) -> _Word:
    """`text` (one word as written) with quotes removed, or why it is only known when it runs."""
    out: list[str] = []
    index = 0
    why = ""
    if text.startswith("~"):
        end = text.find("/")
        user = text[1:] if end < 0 else text[1:end]
        if user:
            why = "a ~ form"
        else:
            out.append(os.path.expanduser("~"))
            index = 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 < len(text):
                if text[index + 1] != "\n":
                    out.append(text[index + 1])
                index += 2
            else:
                why = why or "an expansion"
                index += 1
        elif char == "'":
            end = text.find("'", index + 1)
            if end < 0:
                return _Word(text, literal=False, why="an unbalanced quote", text=text)
            out.append(text[index + 1 : end])
            index = end + 1
        elif text.startswith("$'", index):
            end = index + 2
            while end < len(text) and text[end] != "'":
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                return _Word(text, literal=False, why="an unbalanced quote", text=text)
            out.append(decode_ansi_c(text[index + 2 : end]))
            index = end + 1
        elif char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in '$`"\\\n':
                    if text[index + 1] != "\n":
                        out.append(text[index + 1])
                    index += 2
                    continue
                if text[index] in "$`":
                    why = why or "an expansion"
                out.append(text[index])
                index += 1
            if index >= len(text):
                return _Word(text, literal=False, why="an unbalanced quote", text=text)
            index += 1
        elif char in "$`":
            why = why or "an expansion"
            out.append(char)
            index += 1
        elif char in _GLOB_CHARS:
            why = why or "a glob"
            out.append(char)
            index += 1
        elif char == "{" and _BRACE.match(_unquoted(text[index:])):
            why = why or "brace expansion"
            out.append(char)
            index += 1
        elif char in "=:" and text.startswith("~", index + 1) and _assignment_like(text, index):
            why = why or "a ~ form"
            out.append(char)
            index += 1
        else:
            out.append(char)
            index += 1
    if why:
        return _Word(text, literal=False, why=why, text=text)
    return _Word("".join(out), literal=True, text=text)


_BRACE = re.compile(r"\{[^}]*(?:,|\.\.).*\}", re.DOTALL)


def _unquoted(text: str) -> str:
    """`text` with every quoted or escaped character replaced by `_`, for finding shell syntax in it."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            out.append("__")
            index += 2
        elif char == "'" or text.startswith("$'", index):
            start = index + (2 if char == "$" else 1)
            end = text.find("'", start)
            end = len(text) if end < 0 else end
            out.append("_" * (end + 1 - index))
            index = end + 1
        elif char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append("_" * (end + 1 - index))
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _assignment_like(text: str, index: int) -> bool:
    """Bash expands `~` after `=` and `:` in words shaped like assignments (`of=~/x`)."""
    return re.match(r"[A-Za-z_][\w]*=", text) is not None and index >= text.find("=")


def _unknown(word: _Word) -> str:
    return f"which holds {word.why} and is only known when it runs"


def _plain_name(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z_]\w*(\[\d+\])?", value) is not None


_ANSI_C_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
    "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip
_ANSI_C_NUMERIC = re.compile(
    r"([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})|c(.)", re.DOTALL
)


def decode_ansi_c(text: str) -> str:
    """The value of the body of a `$'...'` string as bash decodes it (`\\x72m` is `rm`); it ends at a NUL."""
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


# -- programs: what they write, and which run code given inline --------------------------------------


_NO_WRITES: list[_Word] = []

_WRITES_EVERY_ARGUMENT = frozenset(
    {"rm", "rmdir", "unlink", "shred", "touch", "mkdir", "truncate", "tee", "chmod", "chown", "chgrp", "chattr",
     "setfacl", "gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "dos2unix", "unix2dos",
     "mkfifo", "mknod", "mktemp", "mv"}
)  # fmt: skip
_WRITES_LAST_ARGUMENT = frozenset({"cp", "install", "ln", "rsync"})
_WRITES_UNKNOWN = {
    "patch": "patch writes the files its diff names",
    "unzip": "unzip writes the paths stored in the archive",
    "cpio": "cpio writes the paths stored in the archive",
    "7z": "7z writes the paths stored in the archive",
}
_VALUED_OPTIONS = {
    "chmod": frozenset({"--reference"}),
    "touch": frozenset({"-d", "-t", "-r", "--date", "--reference"}),
    "truncate": frozenset({"-s", "--size", "-r", "--reference"}),
    "mkdir": frozenset({"-m", "--mode"}),
    "install": frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix"}),
    "cp": frozenset({"-S", "--suffix"}),
    "mv": frozenset({"-S", "--suffix"}),
    "ln": frozenset({"-S", "--suffix"}),
    "mktemp": frozenset({"-p", "--tmpdir"}),
    "shred": frozenset({"-n", "--iterations", "-s", "--size"}),
}


def _written_arguments(name: str, args: list[_Word]) -> tuple[list[_Word] | None, list[_Word]]:
    """(the words naming written paths, the sources copied into the last one); None when unknown."""
    if name in _WRITES_UNKNOWN:
        return None, []
    if name == "tar":
        first = args[0].value if args else ""
        extracting = any(
            w.value in ("-x", "--extract", "--get")
            or (re.fullmatch(r"-?[A-Za-wyz]*x[A-Za-z]*", w.value) and w is args[0])
            for w in args
        ) or (not first.startswith("-") and "x" in first)
        return (None, []) if extracting else (_NO_WRITES, [])
    if name == "find":
        starts = list(itertools.takewhile(lambda w: not w.value.startswith(("-", "(", "!")) or not w.literal, args))
        outputs = [
            args[i + 1] for i, w in enumerate(args[:-1]) if w.value in ("-fprint", "-fprint0", "-fprintf", "-fls")
        ]
        return (starts or [_Word(".", True, text=".")]) + outputs if any(
            w.value == "-delete" for w in args
        ) else outputs, []
    if name == "dd":
        return [_Word(w.value[3:], w.literal, w.why, w.text[3:]) for w in args if w.value.startswith("of=")], []
    if name == "sed":
        if not any(
            w.value in ("-i", "--in-place")
            or w.value.startswith(("-i", "--in-place="))
            or re.fullmatch(r"-[a-zA-Z]*i[a-zA-Z]*", w.value)
            for w in args
        ):
            return _NO_WRITES, []
        operands = _operands(args, frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"}))
        scripted = any(
            w.value in ("-e", "--expression", "-f", "--file") or w.value.startswith(("--expression=", "--file="))
            for w in args
        )
        return (operands if scripted else operands[1:]), []
    if name == "git":
        return _git_writes(args), []
    if name == "sort":
        return [args[i + 1] for i, w in enumerate(args[:-1]) if w.value in ("-o", "--output")] + [
            _Word(w.value[9:], w.literal, w.why, w.text[9:]) for w in args if w.value.startswith("--output=")
        ], []
    if name in _WRITES_EVERY_ARGUMENT:
        return _operands(args, _VALUED_OPTIONS.get(name, frozenset())), []
    if name in _WRITES_LAST_ARGUMENT:
        operands = _operands(args, _VALUED_OPTIONS.get(name, frozenset()) | {"-t", "--target-directory"})
        target = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value in ("-t", "--target-directory")]
        target += [
            _Word(w.value.partition("=")[2], w.literal, w.why, w.text)
            for w in args
            if w.value.startswith("--target-directory=")
        ]
        if target:
            return target, operands
        if len(operands) < 2 and name == "ln":
            return [_Word(".", True, text=".")], operands  # `ln -s x` links into the folder
        return operands[-1:], operands[:-1]
    return _NO_WRITES, []


def _operands(args: list[_Word], valued: frozenset[str] | set[str]) -> list[_Word]:
    out: list[_Word] = []
    index = 0
    options = True
    while index < len(args):
        word = args[index]
        if options and word.value == "--":
            options = False
        elif options and word.value in valued:
            index += 1
        elif not (options and word.value.startswith("-") and word.value != "-" and word.literal):
            out.append(word)
        index += 1
    return out


def _after_options(args: list[_Word], valued: set[str], array_option: str = "") -> list[_Word]:
    names: list[_Word] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word.value in valued:
            if word.value == array_option and index + 1 < len(args):
                names.append(args[index + 1])
            index += 2
            continue
        if word.value.startswith("-") and word.literal and word.value != "--":
            if array_option and word.value.startswith(array_option) and len(word.value) > 2:
                names.append(_Word(word.value[2:], True, text=word.value[2:]))
            index += 1
            continue
        if word.value == "--":
            index += 1
        names.extend(args[index:])
        break
    return names


def _git_writes(args: list[_Word]) -> list[_Word]:
    index = 0
    while index < len(args) and args[index].value.startswith("-"):
        index += (
            2 if args[index].value in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env") else 1
        )
    if index >= len(args) or args[index].value != "config":
        return _NO_WRITES
    rest = [w.value for w in args[index + 1 :]]
    if any(v.startswith(("--get", "--list", "-l", "--show", "--name-only", "-z")) for v in rest) or rest[:1] in (
        ["get"],
        ["list"],
    ):
        return _NO_WRITES
    for flag, path in (("--global", "~/.gitconfig"), ("--system", "/etc/gitconfig")):
        if flag in rest:
            return [_evaluate(path)]
    for position, value in enumerate(rest[:-1]):
        if value in ("--file", "-f"):
            return [args[index + 2 + position]]
    return [_Word(".git/config", True, text=".git/config")]


INTERPRETER = re.compile(
    r"(python|pypy)[0-9.]*|node(js)?|deno|bun|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua(jit)?[0-9.]*|tclsh[0-9.]*|wish|R|Rscript|julia|osascript|expect|gdb|vim?|nvim|ex|emacs|sqlite3"
)
_INLINE_FLAGS = {
    "python": frozenset("c"), "pypy": frozenset("c"), "perl": frozenset("eE"), "ruby": frozenset("e"),
    "php": frozenset("rRBE"), "lua": frozenset("e"), "luajit": frozenset("e"),
}  # fmt: skip
_LONG_INLINE = frozenset({"--eval", "--print", "-e", "-p", "-ex", "-eval", "--command", "-c", "--execute"})
_AWK = frozenset({"awk", "gawk", "mawk", "nawk", "busybox-awk"})
_AWK_RUNS = re.compile(r"system|\||>|getline|@load|@include|close|fflush")
_SED_RUNS = re.compile(
    r"(?:^|[;\n{}])\s*(?:[\d$]+|/(?:\\.|[^/])*/)?(?:\s*,\s*(?:[\d$]+|/(?:\\.|[^/])*/))?\s*!?\s*[ewWrRF]"
    r"|s(.)(?:\\.|(?!\1).)*\1(?:\\.|(?!\1).)*\1[^;\n}]*[ewW]"
)


_GIT_RUNS = frozenset(
    {"-c", "--config-env", "--exec-path", "--exec", "-x", "--upload-pack", "-u", "--receive-pack", "--extcmd",
     "--sendmail-cmd", "--to-cmd", "foreach", "filter-branch", "--tool", "-t"}
)  # fmt: skip
"""git options and sub-commands that run a command given in the line (`git -c alias.x='!sh'`,
`rebase --exec`, `clone --upload-pack`, `submodule foreach`, `bisect run`, ...)."""


def _inline_code(name: str, args: list[_Word]) -> str | None:
    """Why `name args` runs code written in the command line or read from its input, or None."""
    if name == "git":
        values = [w.value.partition("=")[0] for w in args]
        if any(value in _GIT_RUNS for value in values) or values[:2] == ["bisect", "run"]:
            return "git is given a command or setting that makes it run commands"
        return None
    if name in _AWK:
        if any(w.value in _SCRIPTS or w.value.startswith("--file=") for w in args):
            return None
        operands = _operands(args, {"-v", "-F", "--assign", "--field-separator", "-l", "--load", "-i", "--include"})
        if not operands:
            return f"{name} has no program"
        program = operands[0]
        if not program.literal or _AWK_RUNS.search(program.value):
            return f"{name} is given a program that can run commands or write files"
        return None
    if name == "sed":
        scripts = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value in ("-e", "--expression")]
        scripts += [
            _Word(w.value.partition("=")[2], w.literal, w.why) for w in args if w.value.startswith("--expression=")
        ]
        if any(w.value in ("-f", "--file") or w.value.startswith("--file=") for w in args):
            return "sed -f reads a script that may run commands"
        if not scripts:
            operands = _operands(args, {"-l", "--line-length"})
            scripts = operands[:1]
        for script in scripts:
            if not script.literal or _SED_RUNS.search(script.value):
                return "sed is given a script that can run commands or write files"
        return None
    match = INTERPRETER.fullmatch(name)
    if match is None:
        return None
    family = re.sub(r"[0-9.]+$", "", name)
    flags = _INLINE_FLAGS.get(family, frozenset())
    for word in args:
        value = word.value
        if not value.startswith("-") or value == "-":
            break
        if value in _LONG_INLINE or value.startswith(("--eval=", "--print=", "--command=")):
            return f"{name} {value} runs code given in the command line"
        if not value.startswith("--") and flags & set(value[1:]):
            return f"{name} {value} runs code given in the command line"
        if family in ("python", "pypy") and value == "-m":
            return None
    if family in ("vi", "vim", "nvim", "ex", "emacs", "gdb") and any(
        w.value.startswith(("+", "-c", "--cmd", "-S", "--eval", "-x", "-ex")) for w in args
    ):
        return f"{name} is given commands to run"
    if family in ("vi", "vim", "nvim", "ex", "emacs", "gdb", "sqlite3"):
        return None if family != "sqlite3" or len(_operands(args, set())) <= 1 else f"{name} is given commands to run"
    operands = [w for w in args if not w.value.startswith("-") or w.value == "-"]
    if not operands or operands[0].value == "-":
        return f"{name} reads the code it runs from its input"
    return None


def _replace_string(name: str, words: list[_Word]) -> str | None:
    """The text `xargs -I`/`-i` or `find -exec` fills in with what it reads (`{}`)."""
    if name == "find":
        return "{}"
    if name != "xargs":
        return None
    for index, word in enumerate(words[1:], start=1):
        value = word.value
        if value in ("-I", "--replace") and value == "-I":
            return words[index + 1].value if index + 1 < len(words) else "{}"
        if value.startswith("-I"):
            return value[2:]
        if value in ("-i", "--replace"):
            return "{}"
        if value.startswith(("-i", "--replace=")):
            return value.partition("=")[2] if value.startswith("--replace=") else value[2:]
        if not value.startswith("-"):
            break
    return None


def _suffix_start(words: tuple[str, ...], inner: tuple[str, ...]) -> int | None:
    """Where `inner` starts in `words` when it is their tail (a wrapper's command), else None."""
    # A wrapper's command is a run of its words (`find . -exec rm {} ;`): found, its words keep
    # what is known of them; a string the wrapper splits (`env -S`) is not found.
    for start in range(len(words) - len(inner), 0, -1):
        if inner and words[start : start + len(inner)] == inner:
            return start
    return None


_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})


def _descendants(node: Node, stop: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Every node below `node`, depth first; the insides of `stop` nodes are not entered."""
    stack = list(reversed(node.children))
    while stack:
        child = stack.pop()
        yield child
        if child.type not in stop:
            stack.extend(reversed(child.children))


def _first_error(node: Node) -> Node | None:
    if not node.has_error:
        return None
    for child in [node, *_descendants(node)]:
        if child.type == "ERROR" or child.is_missing:
            return child
    return node
