"""The commands a command runs for you: `/bin/rm`, `env rm`, `timeout 5 rm`, `xargs rm`, `find -exec rm`.

Deny and ask rules match a simple command by what it names. A wrapper names
itself, and a path names a file, so `Bash(rm:*)` alone would not stop
`env rm -rf x` or `/bin/rm -rf x`. `commands_run` gives the commands as those
rules should see them: the command by its program's name, and every command
it runs through a wrapper, read the way the wrapper reads its words (its
options, the options that take a value, positional arguments before the
command, `NAME=value` words of `env`), nested wrappers included
(`sudo env rm`). Only deny and ask rules use this: an allow rule still has to
match the command as written, so neither a path nor a wrapper turns an
allowed command into more than it was.

Pure functions over words; reading the command line is `tui.engine.permissions.analysis`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from tui.engine.errors import StepwiseError

Words = tuple[str, ...]

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class _Wrapper:
    """How one wrapper reads its arguments before the command it runs."""

    valued: frozenset[str] = frozenset()
    """Options whose value is the next word (`-n 5`); `--opt=value` and `-n5` need no entry."""
    positional: int = 0
    """Arguments between the options and the command (`timeout 5 cmd`: 1)."""
    assignments: bool = False
    """`NAME=value` words may come before the command (`env`)."""
    split_string: frozenset[str] = frozenset()
    """Options whose value is itself a command line (`env -S 'rm -rf x'`)."""
    only_prints: frozenset[str] = frozenset()
    """Options with which nothing runs (`command -v rm` only prints where `rm` is)."""
    shell_string: frozenset[str] = frozenset()
    """Options whose value is a command line run by `sh -c` (`flock f -c 'rm x'`)."""
    runs_shell: frozenset[str] = frozenset()
    """Options starting a shell that reads its input (`sudo -s`, `sudo -i`)."""
    lone_dash: bool = False
    """A lone `-` is an option (`env -` is `env -i`)."""
    needs_command: str = ""
    """When set, running without a `shell_string` option is a shell reading its input: the reason."""


_WRAPPERS: dict[str, _Wrapper] = {
    "builtin": _Wrapper(),
    "command": _Wrapper(only_prints=frozenset({"-v", "-V"})),
    "exec": _Wrapper(valued=frozenset({"-a"})),
    "nohup": _Wrapper(),
    "setsid": _Wrapper(),
    "time": _Wrapper(valued=frozenset({"-f", "--format", "-o", "--output"})),
    "env": _Wrapper(
        valued=frozenset({"-u", "--unset", "-C", "--chdir"}),
        assignments=True,
        split_string=frozenset({"-S", "--split-string"}),
        lone_dash=True,
    ),
    "nice": _Wrapper(valued=frozenset({"-n", "--adjustment"})),
    "ionice": _Wrapper(
        valued=frozenset({"-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u", "--uid"})
    ),
    "timeout": _Wrapper(valued=frozenset({"-s", "--signal", "-k", "--kill-after"}), positional=1),
    "stdbuf": _Wrapper(valued=frozenset({"-i", "--input", "-o", "--output", "-e", "--error"})),
    "chrt": _Wrapper(positional=1),
    "taskset": _Wrapper(positional=1),
    "flock": _Wrapper(
        valued=frozenset({"-w", "--timeout", "-E", "--conflict-exit-code"}),
        positional=1,
        shell_string=frozenset({"-c", "--command"}),
    ),
    "chroot": _Wrapper(valued=frozenset({"--userspec", "--groups"}), positional=1),
    "sudo": _Wrapper(
        valued=frozenset(
            {
                "-u",
                "--user",
                "-g",
                "--group",
                "-h",
                "--host",
                "-p",
                "--prompt",
                "-C",
                "--close-from",
                "-D",
                "--chdir",
                "-r",
                "--role",
                "-t",
                "--type",
                "-T",
                "--command-timeout",
                "-U",
                "--other-user",
            }
        ),
        assignments=True,
        runs_shell=frozenset({"-s", "--shell", "-i", "--login"}),
    ),
    "doas": _Wrapper(valued=frozenset({"-u", "-C"})),
    "su": _Wrapper(
        valued=frozenset({"-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w", "--whitelist-environment"}),
        positional=1,
        shell_string=frozenset({"-c", "--command", "-C", "--session-command"}),
        needs_command="su without -c runs a shell reading its input",
    ),
    "busybox": _Wrapper(),
    "xargs": _Wrapper(
        valued=frozenset(
            {
                "-a",
                "--arg-file",
                "-d",
                "--delimiter",
                "-E",
                "-I",
                "-L",
                "-n",
                "--max-args",
                "-P",
                "--max-procs",
                "-s",
                "--max-chars",
                "--process-slot-var",
            }
        )
    ),
}
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_EXEC_END = frozenset({";", "+"})
MAX_WRAPPED = 64
"""More commands than this run through nested wrappers (`env env env ...`) are not followed."""


class UnreadableWrapperError(StepwiseError, ValueError):
    """A wrapper runs a command this reading cannot state (an `env -S` string with expansions, `sudo -s`)."""


def by_program_name(words: Words) -> Words:
    """`words` with a program named by a path (`/bin/rm`, `./rm`) named by its file name (`rm`)."""
    if words and "/" in words[0].rstrip("/"):
        return (words[0].rstrip("/").rsplit("/", 1)[-1], *words[1:])
    return words


def runs_commands(name: str) -> bool:
    """Whether the program `name` is a wrapper, running a command given in its arguments."""
    return name in _WRAPPERS


def run_by(words: Words) -> list[Words]:
    """The commands `words` runs directly (not those of nested wrappers).

    Raises:
        UnreadableWrapperError: it runs something that cannot be stated as words.
    """
    if not words:
        return []
    name = by_program_name(words)[0]  # `/usr/bin/env` is `env`
    if name == "find":
        return list(_find_exec(words))
    if name in _WRAPPERS:
        wrapper = _WRAPPERS[name]
        command = _after_wrapper(wrapper, words[1:])
        return [command] if command else []
    return []


def _after_wrapper(wrapper: _Wrapper, args: Words) -> Words:
    """The command a wrapper runs, from the words after its name (empty when it runs none)."""
    # `flock FILE -c CMD` and `su USER -c CMD` take the option after their positional argument too.
    for position, word in enumerate(args):
        if word == "--":
            break
        option, has_value, value = word.partition("=")
        if option in wrapper.shell_string:
            if not has_value:
                value = args[position + 1] if position + 1 < len(args) else ""
            return ("sh", "-c", value)
    if wrapper.needs_command:
        raise UnreadableWrapperError(wrapper.needs_command)
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            index += 1
            break
        if word in wrapper.only_prints:
            return ()
        if word in wrapper.runs_shell:
            raise UnreadableWrapperError(f"{word} starts a shell reading its input")
        option = word.split("=", 1)[0]
        if option in wrapper.split_string:
            value = word.split("=", 1)[1] if "=" in word else (args[index + 1] if index + 1 < len(args) else "")
            rest = args[index + (1 if "=" in word else 2) :]
            if any(char in value for char in "$\\\0"):
                raise UnreadableWrapperError(f"{option} is given {value!r}, which it expands when it runs")
            try:
                return (*shlex.split(value), *rest)
            except ValueError:
                raise UnreadableWrapperError(f"{option} is given {value!r}, which has unbalanced quotes") from None
        if word in wrapper.valued:
            index += 2
        elif (word.startswith("-") and (word != "-" or wrapper.lone_dash)) or (
            wrapper.assignments and _ASSIGNMENT.match(word)
        ):
            index += 1
        else:
            break
    index += wrapper.positional
    return tuple(args[index:])


def _find_exec(words: Words) -> Iterator[Words]:
    """The commands of `find`'s `-exec`, `-execdir`, `-ok` and `-okdir` actions."""
    index = 0
    while index < len(words):
        if words[index] in _FIND_EXEC:
            start = index + 1
            end = start
            while end < len(words) and words[end] not in _FIND_EXEC_END:
                end += 1
            if end > start:
                yield tuple(words[start:end])
            index = end
        index += 1
