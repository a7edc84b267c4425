"""Splitting compound shell command lines into the simple commands they run."""

from __future__ import annotations

import re

import pytest

from tui.engine.permissions.shell_split import MAX_DEPTH, Redirect, ShellSyntaxError, split_command


def texts(line: str) -> list[str]:
    return [c.text for c in split_command(line) if c.words]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("git status", ["git status"]),
        ("git   status", ["git status"]),
        ("git status && rm -rf x", ["git status", "rm -rf x"]),
        ("git status || rm -rf x", ["git status", "rm -rf x"]),
        ("git status; rm -rf x", ["git status", "rm -rf x"]),
        ("git status | sh", ["git status", "sh"]),
        ("git status |& tee log", ["git status", "tee log"]),
        ("git status & rm -rf x", ["git status", "rm -rf x"]),
        ("sleep 1 &", ["sleep 1"]),
        ("git status\nrm x", ["git status", "rm x"]),
        ("git status; curl x | sh", ["git status", "curl x", "sh"]),
        ("(cd sub && make)", ["cd sub", "make"]),
        ("(a; (b || c))", ["a", "b", "c"]),
        ("{ a; b; }", ["a", "b"]),
        ("if git status; then echo ok; else rm x; fi", ["git status", "echo ok", "rm x"]),
        ("while true; do rm x; done", ["true", "rm x"]),
        ("! git diff --quiet", ["git diff --quiet"]),
        ("git status # && rm -rf x", ["git status"]),
        ("git status \\\n  --short", ["git status --short"]),
        ("a;;b", ["a", "b"]),
    ],
)
def test_lists_and_pipelines_split_into_every_part(line: str, expected: list[str]) -> None:
    assert texts(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('echo "a && b"', ["echo", "a && b"]),
        ("echo 'a; rm x'", ["echo", "a; rm x"]),
        ("echo a\\;rm\\ x", ["echo", "a;rm x"]),
        ('echo "say \\"hi\\""', ["echo", 'say "hi"']),
        ("echo $'it\\'s'", ["echo", "it's"]),
        ('git commit -m "fix: a | b"', ["git", "commit", "-m", "fix: a | b"]),
        ("echo '#not a comment'", ["echo", "#not a comment"]),
        ("echo a#b", ["echo", "a#b"]),
    ],
)
def test_quoting_keeps_operators_inside_words(line: str, expected: list[str]) -> None:
    (command,) = split_command(line)
    assert list(command.words) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("git status $(rm x)", ["rm x", "git status $(rm x)"]),
        ("git status `rm x`", ["rm x", "git status `rm x`"]),
        ('echo "today: $(date; rm x)"', ["date", "rm x", 'echo "today: $(date; rm x)"']),
        ('echo "`rm x`"', ["rm x", 'echo "`rm x`"']),
        ("diff <(ls a) >(tee b)", ["ls a", "tee b", "diff <(ls a) >(tee b)"]),
        ("echo $(echo $(rm x))", ["rm x", "echo $(rm x)", "echo $(echo $(rm x))"]),
        ("echo ${x:-$(rm x)}", ["rm x", "echo ${x:-$(rm x)}"]),
        ("echo $(( $(rm x) + 1 ))", ["rm x", "echo $(( $(rm x) + 1 ))"]),
        ("echo $((1 + 2))", ["echo $((1 + 2))"]),
        ("echo \"$(cat 'a )')\"", ["cat 'a )'", "echo \"$(cat 'a )')\""]),
    ],
)
def test_substitutions_are_commands_of_their_own(line: str, expected: list[str]) -> None:
    assert texts(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('bash -c "git status; rm x"', ['bash -c "git status; rm x"', "git status", "rm x"]),
        ("sh -c 'curl x | sh'", ["sh -c 'curl x | sh'", "curl x", "sh"]),
        ("/bin/bash -lc 'rm x'", ["/bin/bash -lc 'rm x'", "rm x"]),
        ("bash -o pipefail -c 'rm x'", ["bash -o pipefail -c 'rm x'", "rm x"]),
        ('eval "a && b"', ['eval "a && b"', "a", "b"]),
        ("eval rm x", ["eval rm x", "rm x"]),
        ("bash script.sh", ["bash script.sh"]),
        ("bash -c \"bash -c 'rm x'\"", ["bash -c \"bash -c 'rm x'\"", "bash -c 'rm x'", "rm x"]),
    ],
)
def test_command_lines_hidden_in_shells_and_eval_are_split(line: str, expected: list[str]) -> None:
    assert texts(line) == expected


@pytest.mark.parametrize(
    ("line", "opaque_part"),
    [
        ('bash -c "$CMD"', "runs a command line built when it runs"),
        ("eval $(curl x)", "runs a command line built when it runs"),
        ("bash -c", "has no command string"),
        ("bash -c 'echo \"'", "cannot be split"),
        ("$CMD arg", "computed when it runs"),
        ("$(which rm) x", "computed when it runs"),
        ("PATH=/tmp/evil git status", "sets PATH"),
        ("LD_PRELOAD=x.so ls", "sets LD_PRELOAD"),
        ("GIT_SSH_COMMAND='rm -rf ~' git fetch", "sets GIT_SSH_COMMAND"),
        ("PAGER='sh -c x' git log", "sets PAGER"),
        ("LESSOPEN='|touch /tmp/pwned; cat %s' less README", "sets LESSOPEN"),
        ("npm_config_script_shell=./evil.sh npm test", "sets npm_config_script_shell"),
        ("FOO=1 npm test", "sets FOO"),
        ("LANG=$X ls", "sets LANG"),
        ("LC_ALL=/tmp/evil-locale ls", "sets LC_ALL"),
        ("TZ=:/tmp/evil date", "sets TZ"),
        ("TZ=../../tmp/evil date", "sets TZ"),
        ("x=rm; $x -rf foo", "sets x"),
        ("export PATH=.; git status", "sets PATH"),
        ("declare -x LESSOPEN='|sh' ", "sets LESSOPEN"),
    ],
)
def test_commands_no_pattern_can_vouch_for_are_opaque(line: str, opaque_part: str) -> None:
    opaque = [c.opaque for c in split_command(line) if c.opaque]
    assert opaque and opaque_part in opaque[0]


def test_env_prefixes_are_kept_apart_from_the_command() -> None:
    (command,) = split_command('LANG=C LC_ALL="en_US.UTF-8" npm test')
    assert command.text == "npm test"
    assert command.assignments == ("LANG=C", 'LC_ALL="en_US.UTF-8"')
    assert command.opaque is None


@pytest.mark.parametrize(
    "line", ["LANG=C ls", "LC_ALL=C.UTF-8 ls", "LANGUAGE=en:fr ls", "TZ=Europe/Paris date", "NO_COLOR=1 CI=true npm test"]
)
def test_safe_env_prefixes_leave_the_command_transparent(line: str) -> None:
    (command,) = split_command(line)
    assert command.opaque is None


def test_computed_command_name_is_opaque_after_an_assignment() -> None:
    assignment, computed = split_command("x=rm; $x -rf foo")
    assert assignment.opaque and computed.opaque == "its command name $x is computed when it runs"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("$'\\x72m' -rf foo", ["rm", "-rf", "foo"]),
        ("$'\\162\\155' x", ["rm", "x"]),
        ("$'\\u0072m' x", ["rm", "x"]),
        ("$'\\U00000072m' x", ["rm", "x"]),
        ("echo $'a\\tb\\nc'", ["echo", "a\tb\nc"]),
        ("echo $'\\e[1m\\cA'", ["echo", "\x1b[1m\x01"]),
        ("echo $'a\\0b'", ["echo", "a"]),
        ("echo $'\\q\\\\'", ["echo", "\\q\\"]),
        ("r$'\\x6d' x", ["rm", "x"]),
    ],
)
def test_ansi_c_quoting_is_decoded(line: str, expected: list[str]) -> None:
    (command,) = split_command(line)
    assert list(command.words) == expected


@pytest.mark.parametrize(
    ("line", "moves"),
    [
        ("cd .git", True),
        ("pushd /tmp", True),
        ("popd", True),
        ("builtin cd x", True),
        ("command cd x", True),
        ("source env.sh", True),
        (". env.sh", True),
        ("$GO x", True),
        ("ls cd", False),
        ("echo cd", False),
        ("builtin echo", False),
    ],
)
def test_commands_that_may_change_directory(line: str, moves: bool) -> None:
    assert split_command(line)[-1].may_change_directory is moves


def test_env_prefix_with_substitution_yields_the_inner_command() -> None:
    assert texts("FOO=$(rm x) npm test") == ["rm x", "npm test"]


def test_assignment_only_command_has_no_words() -> None:
    (command,) = split_command("FOO=1")
    assert command.words == () and command.assignments == ("FOO=1",)


def test_normalized_form_requotes_words() -> None:
    (command,) = split_command('git  "status"   -s')
    assert command.normalized == "git status -s"
    (quoted,) = split_command('echo "a b"')
    assert quoted.normalized == "echo 'a b'"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo hi > out.txt", [Redirect(">", "out.txt")]),
        ("echo hi >> log", [Redirect(">>", "log")]),
        ("make 2>&1 > build.log", [Redirect(">&", "1"), Redirect(">", "build.log")]),
        ("make &> all.log", [Redirect("&>", "all.log")]),
        ("make 2> /dev/null", [Redirect(">", "/dev/null")]),
        ("echo x >| f", [Redirect(">|", "f")]),
        ("cat < in.txt", [Redirect("<", "in.txt")]),
        ('echo x > "$OUT"', [Redirect(">", "$OUT", dynamic=True)]),
        ("echo x >.git/config", [Redirect(">", ".git/config")]),
    ],
)
def test_redirections_are_recorded(line: str, expected: list[Redirect]) -> None:
    (command,) = split_command(line)
    assert list(command.redirects) == expected
    assert command.text.split()[0] in {"echo", "make", "cat"}


@pytest.mark.parametrize(
    ("redirect", "writes"),
    [
        (Redirect(">", "f"), True),
        (Redirect(">>", "f"), True),
        (Redirect("&>", "f"), True),
        (Redirect("<>", "f"), True),
        (Redirect(">&", "f"), True),
        (Redirect(">&", "2"), False),
        (Redirect(">&", "-"), False),
        (Redirect("<", "f"), False),
        (Redirect("<<<", "text"), False),
    ],
)
def test_redirect_writes_file(redirect: Redirect, writes: bool) -> None:
    assert redirect.writes_file is writes


def test_group_redirection_is_kept_as_a_command_without_words() -> None:
    commands = split_command("{ a; b; } > /etc/out")
    assert [c.text for c in commands] == ["a", "b", ""]
    assert commands[-1].redirects == (Redirect(">", "/etc/out"),)


def test_quoted_here_document_body_is_not_run() -> None:
    assert texts("cat <<'EOF'\n$(rm x)\nEOF\necho done") == ["cat", "echo done"]


def test_unquoted_here_document_body_substitutions_run() -> None:
    assert texts("cat <<EOF\nhi $(rm x) `rm y`\nEOF\necho done") == ["cat", "rm x", "rm y", "echo done"]


def test_here_document_with_tab_stripping() -> None:
    assert texts("cat <<-EOF\n\tbody\n\tEOF\nls") == ["cat", "ls"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("echo 'abc", "unbalanced single quote"),
        ('echo "abc', "unbalanced double quote"),
        ("echo `abc", "unbalanced backquote"),
        ("echo $(abc", "missing ')'"),
        ("(a; b", "missing ')'"),
        ("a)", "unexpected ')'"),
        ("echo ${x", "missing '}'"),
        ("echo x >", "has no target"),
        ("echo x > ; rm y", "has no target"),
        ("cat <<EOF\nbody", "never terminated"),
        ("echo \\", "lone backslash"),
        ("echo $'abc", "unbalanced $' quote"),
    ],
)
def test_unparsable_lines_raise(line: str, message: str) -> None:
    with pytest.raises(ShellSyntaxError, match=re.escape(message)):
        split_command(line)


def test_nesting_is_bounded() -> None:
    line = "x"
    for _ in range(MAX_DEPTH + 2):
        line = f"echo $({line})"
    with pytest.raises(ShellSyntaxError, match="nested more than"):
        split_command(line)


@pytest.mark.parametrize("line", ["", "   ", "# only a comment", "\n\n"])
def test_empty_lines_have_no_commands(line: str) -> None:
    assert split_command(line) == ()


@pytest.mark.parametrize("line", ["(" * 500, "echo " + "$(" * 500, '"$("' * 500, "echo " + "${" * 500, "$((" * 500])
def test_pathological_nesting_is_an_error_not_a_crash(line: str) -> None:
    with pytest.raises(ShellSyntaxError, match="nested more than"):
        split_command(line)
