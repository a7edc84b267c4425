"""Reading a wrapper's arguments the way it does, to find the command it runs."""

from __future__ import annotations

import shlex

import pytest

from tui.engine.permissions.wrappers import (
    MAX_WRAPPED,
    TooDeeplyWrapped,
    by_program_name,
    commands_run,
    wrapped_commands,
)


@pytest.mark.parametrize(
    ("command", "inner"),
    [
        ("env rm -rf x", [["rm", "-rf", "x"]]),
        ("env -i -u HOME FOO=1 rm x", [["rm", "x"]]),
        ("env -- rm x", [["rm", "x"]]),
        ("/usr/bin/env rm x", [["rm", "x"]]),
        ("env -S 'rm -rf x' y", [["rm", "-rf", "x", "y"]]),
        ("env --split-string='rm -rf x'", [["rm", "-rf", "x"]]),
        ("sudo -u root env A=b rm x", [["env", "A=b", "rm", "x"], ["rm", "x"]]),
        ("timeout -s KILL --preserve-status 5 rm x", [["rm", "x"]]),
        ("nice -n 10 rm x", [["rm", "x"]]),
        ("nice --adjustment=5 rm", [["rm"]]),
        ("nohup rm x", [["rm", "x"]]),
        ("command rm x", [["rm", "x"]]),
        ("builtin exec -a name rm x", [["exec", "-a", "name", "rm", "x"], ["rm", "x"]]),
        ("time -p rm x", [["rm", "x"]]),
        ("stdbuf -o0 -e L rm x", [["rm", "x"]]),
        ("chroot /jail rm x", [["rm", "x"]]),
        ("flock /tmp/lock rm x", [["rm", "x"]]),
        ("xargs -0 -n 1 -I {} rm {}", [["rm", "{}"]]),
        ("find . -name '*.pyc' -exec rm {} ;", [["rm", "{}"]]),
        ("find . -execdir rm -f {} + -ok echo hi ;", [["rm", "-f", "{}"], ["echo", "hi"]]),
        ("find . -exec sudo rm {} ;", [["sudo", "rm", "{}"], ["rm", "{}"]]),
        ("busybox rm x", [["rm", "x"]]),
    ],
)
def test_the_command_a_wrapper_runs(command: str, inner: list[list[str]]) -> None:
    assert wrapped_commands(tuple(shlex.split(command))) == [tuple(words) for words in inner]


@pytest.mark.parametrize("command", ["ls -la", "env", "command -v rm", "command -V rm", "find . -name x", "nice", "rm env"])
def test_commands_that_wrap_nothing(command: str) -> None:
    assert wrapped_commands(tuple(shlex.split(command))) == []


def test_nesting_is_followed_to_the_innermost_command() -> None:
    inner = wrapped_commands(("env",) * 20 + ("rm", "x"))
    assert len(inner) == 20 and inner[-1] == ("rm", "x")


def test_a_command_wrapped_beyond_reason_is_reported_not_followed() -> None:
    with pytest.raises(TooDeeplyWrapped):
        wrapped_commands(("env",) * (MAX_WRAPPED + 1) + ("rm", "x"))


def test_unbalanced_quotes_in_a_split_string_still_show_the_command() -> None:
    assert wrapped_commands(("env", "-S", "rm 'x")) == [("rm 'x",)]


@pytest.mark.parametrize(
    ("command", "forms"),
    [
        ("/bin/rm -rf x", [["rm", "-rf", "x"]]),
        ("./rm x", [["rm", "x"]]),
        ("env /bin/rm x", [["rm", "x"]]),
        ("sudo rm x", [["rm", "x"]]),
        ("rm x", []),
        ("ls /bin/rm", []),
    ],
)
def test_deny_rules_see_the_program_by_name_and_what_wrappers_run(command: str, forms: list[list[str]]) -> None:
    assert commands_run(tuple(shlex.split(command))) == [tuple(words) for words in forms]


def test_a_program_is_named_by_its_file_name() -> None:
    assert by_program_name(("/usr/local/bin/rm", "x")) == ("rm", "x")
    assert by_program_name(("rm", "/x")) == ("rm", "/x")
    assert by_program_name(()) == ()
