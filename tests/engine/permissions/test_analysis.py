"""Reading command lines with bash's grammar: what runs, what is written, what is not understood."""

from __future__ import annotations

import os

import pytest

from tui.engine.permissions.analysis import MAX_DEPTH, analyze


def runs(line: str) -> list[str]:
    analysis = analyze(line)
    assert analysis.understood, analysis.reason
    return [command.text for command in analysis.commands]


def writes(line: str) -> list[str]:
    analysis = analyze(line)
    assert analysis.understood, analysis.reason
    return [write.path for write in analysis.writes]


def reason(line: str) -> str:
    analysis = analyze(line)
    assert not analysis.understood, f"{line!r} was understood: {analysis.commands}"
    assert analysis.reason is not None
    return analysis.reason


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("git status", ["git status"]),
        ("git   status", ["git status"]),
        ("git status && rm -rf x", ["git status", "rm -rf x"]),
        ("git status || rm -rf x", ["git status", "rm -rf x"]),
        ("git status; rm -rf x", ["git status", "rm -rf x"]),
        ("git status | sh -c 'cat'", ["git status", "sh -c 'cat'", "cat"]),
        ("git status |& tee log", ["git status", "tee log"]),
        ("git status & rm -rf x", ["git status", "rm -rf x"]),
        ("sleep 1 &", ["sleep 1"]),
        ("git status\nrm x", ["git status", "rm x"]),
        ("(cd sub && make)", ["cd sub", "make"]),
        ("(a; (b || c))", ["a", "b", "c"]),
        ("{ a; b; }", ["a", "b"]),
        ("if git status; then echo ok; elif x; then y; else rm x; fi", ["git status", "echo ok", "x", "y", "rm x"]),
        ("while true; do rm x; done", ["true", "rm x"]),
        ("until false; do :; done", ["false", ":"]),
        ("for f in a b; do echo $f; done", ["echo $f"]),
        ("! git diff --quiet", ["git diff --quiet"]),
        ("git status # && rm -rf x", ["git status"]),
        ("git status \\\n  --short", ["git status --short"]),
    ],
)
def test_every_part_of_lists_pipelines_and_compound_commands_is_found(line: str, expected: list[str]) -> None:
    assert runs(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('echo "a && b"', ("echo", "a && b")),
        ("echo 'a; rm x'", ("echo", "a; rm x")),
        ("echo a\\;rm\\ x", ("echo", "a;rm x")),
        ('echo "say \\"hi\\""', ("echo", 'say "hi"')),
        ("echo $'it\\'s'", ("echo", "it's")),
        ("$'\\x72m' -rf x", ("rm", "-rf", "x")),
        ('git commit -m "fix: a | b"', ("git", "commit", "-m", "fix: a | b")),
        ("echo '#not a comment' a#b", ("echo", "#not a comment", "a#b")),
        ("echo ~/x", ("echo", os.path.expanduser("~/x"))),
        ("find . -exec rm {} +", ("find", ".", "-exec", "rm", "{}", "+")),
    ],
)
def test_words_are_read_as_bash_reads_them(line: str, expected: tuple[str, ...]) -> None:
    assert analyze(line).commands[0].words == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("git status $(rm x)", ["rm x", "git status $(rm x)"]),
        ("git status `rm x`", ["rm x", "git status `rm x`"]),
        ('echo "today: $(date; rm x)"', ["date", "rm x", 'echo "today: $(date; rm x)"']),
        ("diff <(ls a) >(tee b)", ["ls a", "tee b", "diff <(ls a) >(tee b)"]),
        ("echo $(echo $(rm x))", ["rm x", "echo $(rm x)", "echo $(echo $(rm x))"]),
        ("echo ${x:-$(rm x)}", ["rm x", "echo ${x:-$(rm x)}"]),
        ("cat <<EOF\n$(rm x)\nEOF", ["rm x", "cat"]),
        ('cat <<< "$(rm x)"', ["rm x", "cat"]),
        ("x=$(rm y)", ["rm y"]),
    ],
)
def test_substitutions_are_commands_of_their_own(line: str, expected: list[str]) -> None:
    assert sorted(runs(line)) == sorted(expected)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('bash -c "git status; rm x"', ['bash -c "git status; rm x"', "git status", "rm x"]),
        ("/bin/bash -lc 'rm x'", ["/bin/bash -lc 'rm x'", "rm x"]),
        ("bash -o pipefail -c 'rm x'", ["bash -o pipefail -c 'rm x'", "rm x"]),
        ("bash -c -e 'rm x'", ["bash -c -e 'rm x'", "rm x"]),
        ('eval "a && b"', ['eval "a && b"', "a", "b"]),
        ("eval rm x", ["eval rm x", "rm x"]),
        ("bash script.sh", ["bash script.sh"]),
        ("bash -c \"bash -c 'rm x'\"", ["bash -c \"bash -c 'rm x'\"", "bash -c 'rm x'", "rm x"]),
        # behind wrappers (class 4 of the red-team findings)
        ("env sh -c 'rm x'", ["env sh -c 'rm x'", "sh -c 'rm x'", "rm x"]),
        ("timeout 5 bash -c 'rm x'", ["timeout 5 bash -c 'rm x'", "bash -c 'rm x'", "rm x"]),
        ("echo a | xargs sh -c 'rm x'", ["echo a", "xargs sh -c 'rm x'", "sh -c 'rm x'", "rm x"]),
        ("find . -exec sh -c 'rm x' \\;", ["find . -exec sh -c 'rm x' \\;", "sh -c 'rm x'", "rm x"]),
        ("flock /tmp/l -c 'rm x'", ["flock /tmp/l -c 'rm x'", "sh -c 'rm x'", "rm x"]),
        ("sudo -u root env A=b rm x", ["sudo -u root env A=b rm x", "env A=b rm x", "rm x"]),
        (
            "nice -n 5 nohup stdbuf -o0 rm x",
            ["nice -n 5 nohup stdbuf -o0 rm x", "nohup stdbuf -o0 rm x", "stdbuf -o0 rm x", "rm x"],
        ),
    ],
)
def test_command_lines_in_shells_eval_and_wrappers_are_read(line: str, expected: list[str]) -> None:
    assert runs(line) == expected


def test_a_wrapped_command_knows_its_wrapper() -> None:
    outer, inner = analyze("timeout 60 npm test -q").commands
    assert inner.words == ("npm", "test", "-q") and inner.outer is outer and inner.via == "timeout 60 npm"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo x > out.txt", ["out.txt"]),
        ("echo x >> logs/a.log 2>&1 &> b &>> c >| d", ["logs/a.log", "b", "c", "d"]),
        ("echo x 2>/dev/null >&2", ["/dev/null"]),
        ("{ a; } > f; (b) > g; while x; do y; done > h", ["f", "g", "h"]),
        ("exec 3>log", ["log"]),
        ("cat <<EOF > out\nhi\nEOF", ["out"]),
        ("rm -rf build dist", ["build", "dist"]),
        ("touch a && mkdir -p b/c", ["a", "b/c"]),
        ("cp -r a b dest", ["dest"]),
        ("cp -t dest a b", ["dest"]),
        ("mv a b", ["a", "b"]),
        ("ln -s target link", ["link"]),
        ("tee -a x y", ["x", "y"]),
        ("sed -i 's/a/b/' f g", ["f", "g"]),
        ("sed -e 's/a/b/' -i f", ["f"]),
        ("sed 's/a/b/' f", []),
        ("dd if=/dev/zero of=out bs=1", ["out"]),
        ("git config user.name x", [".git/config"]),
        ("git config --get user.name", []),
        ("sort -o sorted in", ["sorted"]),
        ("timeout 5 rm x", ["x"]),
    ],
)
def test_paths_written_by_redirects_and_known_writers(line: str, expected: list[str]) -> None:
    assert writes(line) == expected


def test_variables_assigned_are_listed() -> None:
    analysis = analyze("x=1; read -r y z; printf -v w %s 1; for i in a; do :; done; LANG=C ls")
    assert analysis.understood, analysis.reason
    assert analysis.assigned == ("x", "y", "z", "w", "i", "LANG")


# The classes of the red-team findings (issue 12) that the grammar answers, one seed each and more.
@pytest.mark.parametrize(
    ("line", "why"),
    [
        # 1. globs, braces and tilde forms in write targets and path arguments
        ("echo '[alias] x = !touch p' >> .gi?/config", "redirects output to .gi?/config, which holds a glob"),
        ("echo x > .git/confi[g]", "holds a glob"),
        ("echo x > {.git,x}/config", "holds brace expansion"),
        ("cp x .gi*/hooks/pre-commit", "cp writes .gi*/hooks/pre-commit, which holds a glob"),
        ("rm -rf {a,.git}", "holds brace expansion"),
        ("tee ~root/x", "holds a ~ form"),
        # 2. tilde forms
        ("echo x > ~+/../outside/f", "holds a ~ form"),
        ("echo x > ~-/f", "holds a ~ form"),
        ("dd if=x of=~+/../f", "holds a ~ form"),
        # 3. constructs a splitter cannot follow
        ("case a in a) echo x >> .git/config;; esac", "it uses case"),
        ("cat <<EOF\nfoo", "bash's grammar cannot read it"),
        ("cat <<'EOF'\nfoo\n", "bash's grammar cannot read it"),
        ("echo 'unbalanced", "bash's grammar cannot read it"),
        ("echo a\\\nb", "as one word"),
        ("echo x > x\\\ny.txt", "as one redirection target"),
        # 4. shells behind wrappers reading their input, or a string built when it runs
        ("curl x | sh", "sh reads the commands it runs from its input"),
        ("bash <<EOF\ntouch p\nEOF", "bash reads the commands it runs from its input"),
        ("bash -s < script", "reads commands from its input"),
        ("env bash", "reads the commands it runs from its input"),
        ('bash -c "$CMD"', 'bash is given "$CMD", which holds an expansion'),
        ("xargs -I{} sh -c '{}'", "sh is given '{}', which holds an argument filled in when it runs"),
        ("find . -exec sh -c '{}' \\;", "sh is given '{}', which holds an argument filled in when it runs"),
        ("zsh -c 'touch p'", "zsh -c runs zsh code"),
        ("sudo -s", "-s starts a shell reading its input"),
        # 5. variables programs run, set without assignment syntax; subscripts with substitutions
        ("printf -v GIT_EDITOR %s 'touch p; true'; git commit", "it sets GIT_EDITOR"),
        ("read -r GIT_EDITOR", "it sets GIT_EDITOR"),
        ("mapfile PAGER < f", "it sets PAGER"),
        ("declare EDITOR=x", "it sets EDITOR"),
        ("export VISUAL=x", "it sets VISUAL"),
        ("local BASH_ENV=x", "it sets BASH_ENV"),
        ("PROMPT_COMMAND='touch p'", "it sets PROMPT_COMMAND"),
        ("LD_PRELOAD=x.so ls", "it sets LD_PRELOAD"),
        ("PATH=.:$PATH ls", "it sets PATH"),
        ("IFS=/ read a", "it sets IFS"),
        ("x=1; export x", "it sets x"),
        ("set -a; x=1", "set -a exports"),
        ("test -v 'x[$(touch p)]'", "whose subscript is evaluated"),
        ('[ -v "a[$i]" ]', "it tests a variable named by"),
        ("[[ -v a[$(touch p)] ]]", "it tests a variable"),
        ("unset 'a[$(touch p)]'", "whose subscript is evaluated"),
        ("printf -v 'a[$(touch p)]' x", "whose subscript is evaluated"),
        ("echo ${a[$i]}", "whose subscript is evaluated"),
        ("echo ${!name}", "indirect expansion"),
        ("echo $((x + 1))", "it uses arithmetic"),
        ("((x++))", "arithmetic on values"),
        ("[[ $x -eq 1 ]]", "compares values arithmetically"),
        ("declare -n ref=PATH", "gives variables a meaning"),
        ("mapfile -C 'touch p' -c 1 a < f", "runs a command for each line"),
        # 6. deny rules evaded through shell syntax and wrapper options
        ("function f { touch p; }; f", "it defines a function"),
        ("f() { touch p; }; f", "it defines a function"),
        ("coproc touch p", "it starts a coprocess"),
        ("trap 'touch p' EXIT", "it sets a trap"),
        ("alias x=touch", "it defines an alias"),
        ('$"touch" p', '$"..." string'),
        ("env -S 'touch $HOME'", "which it expands when it runs"),
        ("source ./env.sh", "runs the commands of a file"),
        (". ./env.sh", "runs the commands of a file"),
        ("x=rm; $x -rf foo", "its command name $x is only known"),
        ("$(which rm) x", "its command name $(which rm) is only known"),
        ("r? -rf x", "its command name r? is only known"),
        ("eval $(curl x)", "eval runs a command line only known"),
        ("hash -p /tmp/evil ls", "changes which file a command name runs"),
        ("env " * 70 + "rm x", "more than 64 commands"),
        # interpreters given inline code
        ("python -c 'import os'", "python -c runs code"),
        ("python3 -Bc 'import os'", "runs code"),
        ("python3 - < x.py", "reads the code it runs from its input"),
        ("node -e 'x'", "node -e runs code"),
        ("perl -ne 'print' f", "perl -ne runs code"),
        ("ruby -e x", "ruby -e runs code"),
        ("awk 'BEGIN { system(\"touch p\") }'", "awk is given a program that can run"),
        ("awk '{ print > \"out\" }' f", "awk is given a program that can run"),
        ("sed '1e touch p' f", "sed is given a script that can run"),
        ("sed 's/x/y/w out' f", "sed is given a script that can run"),
        ("git -c alias.x='!touch p' x", "git is given a command"),
        ("git rebase --exec 'touch p' HEAD~1", "git is given a command"),
        # writers whose targets are only known when they run
        ("tar xf a.tar", "tar writes files only known"),
        ("echo a | xargs rm", "rm gets more arguments when it runs"),
        ("find . -name x -exec rm {} \\;", "rm writes {}, which holds an argument filled in"),
        ("rm $f", "rm writes $f, which holds an expansion"),
        ("cd sub && echo x > f", "redirects output to f after changing folder"),
        ("cd sub; rm f", "rm writes f after changing folder"),
    ],
)
def test_what_it_cannot_tell_it_says(line: str, why: str) -> None:
    assert why in reason(line)


@pytest.mark.parametrize(
    "line",
    [
        "python -m pytest -q tests/",
        "python3 script.py",
        "node build.js",
        "awk '{print $1}' f",
        "sed 's/a/b/g' f",
        "sed -n '/x/p' f",
        "LANG=C ls",
        "LC_ALL=C.UTF-8 TZ=UTC NO_COLOR=1 CI=1 less README",
        "x=1; echo $x",
        "for f in *.py; do wc -l $f; done",
        "ls *.py",
        "git log --oneline -5 | head -3",
        "cat <<'EOF' > notes.txt\n$(not run)\nEOF",
        'test -v name && [ -n "$x" ]',
        "[[ -f x && $y == z ]]",
        "echo $((1 + 2))",
        "tar czf a.tgz src",
        "env - ls",
        "command -v rm",
    ],
)
def test_ordinary_commands_are_understood(line: str) -> None:
    analysis = analyze(line)
    assert analysis.understood, analysis.reason


def test_only_write_problems_leave_the_programs_known() -> None:
    assert not analyze("echo x > .gi?/config").hides_programs
    assert analyze("python -c 'x'").hides_programs
    assert analyze("case a in *) x;; esac").hides_programs
    assert analyze("FOO=1 ls").hides_programs


def test_nesting_is_bounded() -> None:
    assert "nested more than" in reason("eval " * (MAX_DEPTH + 2) + "x")
    assert analyze("eval " * (MAX_DEPTH - 1) + "x").understood


def test_a_huge_line_is_not_read_and_a_long_one_is_read_in_linear_time() -> None:
    assert "longer than" in reason("echo " + "x" * 200_000)
    assert len(analyze("echo " + "x " * 40_000).commands[0].words) == 40_001
