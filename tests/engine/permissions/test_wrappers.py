"""Reading a wrapper's arguments the way it does, to find the command it runs."""

from __future__ import annotations

import shlex

import pytest

from tui.engine.permissions.wrappers import UnreadableWrapperError, by_program_name, run_by


def wrapped_commands(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every command `words` runs through wrappers, outermost first."""
    found: list[tuple[str, ...]] = []
    pending = [words]
    while pending:
        for inner in run_by(pending.pop()):
            found.append(inner)
            pending.append(inner)
    return found


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
        ("xargs -i rm {}", [["rm", "{}"]]),
        ("xargs -l -e rm", [["rm"]]),
        ("env - rm x", [["rm", "x"]]),
        ("flock /tmp/lock -c 'rm x'", [["sh", "-c", "rm x"]]),
        ("flock -c 'rm x' /tmp/lock", [["sh", "-c", "rm x"]]),
        ("su nobody -c 'rm x'", [["sh", "-c", "rm x"]]),
        ("find . -name '*.pyc' -exec rm {} ;", [["rm", "{}"]]),
        ("find . -execdir rm -f {} + -ok echo hi ;", [["rm", "-f", "{}"], ["echo", "hi"]]),
        ("find . -exec sudo rm {} ;", [["sudo", "rm", "{}"], ["rm", "{}"]]),
        ("busybox rm x", [["rm", "x"]]),
    ],
)
def test_the_command_a_wrapper_runs(command: str, inner: list[list[str]]) -> None:
    assert wrapped_commands(tuple(shlex.split(command))) == [tuple(words) for words in inner]


@pytest.mark.parametrize(
    "command", ["ls -la", "env", "command -v rm", "command -V rm", "find . -name x", "nice", "rm env"]
)
def test_commands_that_wrap_nothing(command: str) -> None:
    assert wrapped_commands(tuple(shlex.split(command))) == []


def test_nesting_is_followed_to_the_innermost_command() -> None:
    inner = wrapped_commands(("env",) * 20 + ("rm", "x"))
    assert len(inner) == 20 and inner[-1] == ("rm", "x")


@pytest.mark.parametrize(
    "command", ["env -S 'rm $HOME'", "env -S 'rm \\x'", 'env -S "rm \'x"', "sudo -s", "sudo -i", "su", "su - root"]
)
def test_a_wrapper_running_what_cannot_be_stated_is_reported(command: str) -> None:
    with pytest.raises(UnreadableWrapperError):
        wrapped_commands(tuple(shlex.split(command)))


@pytest.mark.parametrize(
    ("words", "named"),
    [
        (("/bin/rm", "-rf", "x"), ("rm", "-rf", "x")),
        (("./rm", "x"), ("rm", "x")),
        (("rm", "x"), ("rm", "x")),
        (("ls", "/bin/rm"), ("ls", "/bin/rm")),
    ],
)
def test_a_program_named_by_a_path_is_named_by_its_file_name(words: tuple[str, ...], named: tuple[str, ...]) -> None:
    assert by_program_name(words) == named
