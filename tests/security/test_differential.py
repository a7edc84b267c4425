"""The command analysis against real bash: what bash runs and writes, the analysis predicted, or it said so.

Commands are built from grammar pieces (wrappers, redirections, globs, braces, tilde forms,
substitutions, control flow, assignments), run for real by bash in a throw-away folder under
`strace -f`, and every program executed and every file written is checked against
`analysis.analyze`: when the analysis says it understands a command, bash may do nothing it did
not predict. Examples are derandomized and bounded, so CI runs the same ones every time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.permissions.analysis import Analysis, analyze

STRACE = shutil.which("strace")
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(
    STRACE is None or BASH is None, reason="the differential suite needs strace and bash (.ci/run installs strace)"
)

_WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
_CALL = re.compile(r"^(\d+) +(\w+)\((.*)\) += (-?\d+)")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_DIRFD = re.compile(r"^\d+<([^>]*)>")
_CALLS = (
    "execve,open,openat,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,rmdir,truncate,"
    "symlink,symlinkat,link,linkat,chdir,fchdir,clone,clone3,fork,vfork"
)


def _unescape(text: str) -> str:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def trace(command: str, folder: Path) -> tuple[set[str], set[Path], dict[Path, Path]]:
    """(programs bash executed, files opened for writing, created, removed or renamed, and what was
    renamed to what) for `command`."""
    log = folder.parent / "strace.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder / "home"), "LANG": "C"}
    subprocess.run(
        [
            STRACE,
            "-f",
            "-y",
            "-qq",
            "-s",
            "4096",
            "-o",
            str(log),
            "-e",
            f"trace={_CALLS}",
            BASH,
            "--norc",
            "--noprofile",
            "-c",
            command,
        ],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=20,
        check=False,
    )
    programs: set[str] = set()
    written: set[Path] = set()
    renamed: dict[Path, Path] = {}
    cwd: dict[str, str] = {}
    first = True
    for line in log.read_text(errors="replace").splitlines():
        match = _CALL.match(line)
        if match is None:
            continue
        pid, name, args, result = match.groups()
        here = cwd.setdefault(pid, str(folder))
        if int(result) < 0:
            continue
        if name in ("clone", "clone3", "fork", "vfork"):
            cwd[result] = here
            continue
        strings = [_unescape(s) for s in _STRING.findall(args)]
        if name == "fchdir":
            dirfd = _DIRFD.match(args)
            if dirfd:
                cwd[pid] = dirfd.group(1)
            continue
        if not strings:
            continue
        if name == "chdir":
            cwd[pid] = os.path.normpath(os.path.join(here, strings[0]))
            continue
        if name == "execve":
            if first:
                first = False  # bash itself
                continue
            programs.add(os.path.basename(strings[0]))
            continue
        if name in ("open", "openat") and not _WRITE_FLAGS.search(args):
            continue
        dirfd = _DIRFD.match(args)
        base = dirfd.group(1) if dirfd else here
        paths = [Path(os.path.normpath(os.path.join(base, text))) for text in strings[:2]]
        if name.startswith("rename") and len(paths) == 2:
            renamed[paths[0]] = paths[1]
        written.update(
            paths[-1:]
            if name.startswith(("link", "symlink"))
            else paths[:2]
            if name.startswith("rename")
            else paths[:1]
        )
    return programs, written, renamed


def predicted(analysis: Analysis, folder: Path) -> tuple[set[str], set[Path]]:
    programs = {command.name for command in analysis.commands}
    writes = set()
    for write in analysis.writes:
        path = Path(write.path) if os.path.isabs(write.path) else folder / write.path
        writes.add(Path(os.path.normpath(path)))
    return programs, writes


def _ignored(path: Path, folder: Path) -> bool:
    text = str(path)
    return text.startswith(("/dev/", "/proc/", "/tmp/sh-thd", "/tmp/bash")) or not text.startswith(str(folder.parent))


def check(command: str, base: Path) -> Analysis:
    """Run `command` for real and assert the analysis predicted it (or said it cannot tell)."""
    folder = base / "ws"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "sub").mkdir(parents=True)
    (folder / "home").mkdir()
    (folder / "a.txt").write_text("a\n")
    (folder / "sub" / "b.txt").write_text("b\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]\n")
    analysis = analyze(command)
    ran, wrote, renamed = trace(command, folder)
    if not analysis.understood:
        return analysis
    programs, writes = predicted(analysis, folder)
    unpredicted_programs = (
        ran - programs - {"bash", "sh", "dash"} if not programs & {"bash", "sh", "dash"} else ran - programs
    )
    assert not unpredicted_programs, f"{command!r} ran {sorted(unpredicted_programs)}, predicted {sorted(programs)}"
    for path in wrote:
        if _ignored(path, folder):
            continue
        # A temporary file renamed onto a predicted one (`sed -i`) is part of writing that one.
        final = renamed.get(path, path)
        ok = any(final == w or w in final.parents or final in w.parents for w in writes)
        assert ok, f"{command!r} wrote {path}, predicted {sorted(map(str, writes))}"
    return analysis


# -- the pieces ------------------------------------------------------------------------------------

FILES = st.sampled_from(
    ["a.txt", "c.txt", "sub/b.txt", "sub/new.txt", '"q d.txt"', "'s q.txt'", "*.txt", "su?/b.txt", "{x,y}.txt",
     "~+/t.txt", "~/h.txt", "$f", "$(echo e.txt)", "`echo g.txt`", ".git/config", ".gi?/config", "$'\\x61'.txt",
     "\\a.txt", "x\\\ny.txt"]
)  # fmt: skip
"""Literal, quoted, globbed, braced, tilde, variable and substituted targets."""


@st.composite
def simple(draw: st.DrawFn) -> str:
    target = draw(FILES)
    return draw(
        st.sampled_from(
            [f"touch {target}", f"echo x > {target}", f"echo x >> {target}", f"rm -f {target}", f"cat {target}",
             f"printf %s x > {target}", f"cp a.txt {target}", f"mkdir -p {target}", f"tee {target} < /dev/null",
             f"ls {target}", "true", f": > {target}", f"echo x 2> {target} >&2", f"dd if=a.txt of={target} status=none",
             f"sed -i s/a/b/ {target}", f"ln -sf a.txt {target}", f"cat <<EOF > {target}\nx\nEOF",
             f"cat <<< x > {target}", f"exec 3> {target}"]
        )
    )  # fmt: skip


WRAPPERS = st.sampled_from(
    ["{}", "env {}", "env -i {}", "env - {}", "env X=1 {}", "timeout 5 {}", "nice -n 1 {}", "command {}", "nohup {} 2>/dev/null",
     "time -p {}", "stdbuf -o0 {}", "sh -c '{}'", "bash -c '{}'", "bash -c -e '{}'", "eval '{}'", "env sh -c '{}'",
     "timeout 5 bash -c '{}'", "X=1 {}", "LANG=C {}", "f=a.txt; {}", "f=$(echo z.txt); {}", "echo a.txt | xargs {}",
     "echo a.txt | xargs -I{{}} {}", "find . -maxdepth 0 -exec {} \\;", "flock /dev/null -c '{}'", "xargs -i {} < /dev/null"]
)  # fmt: skip


@st.composite
def wrapped(draw: st.DrawFn) -> str:
    inner = draw(simple())
    form = draw(WRAPPERS)
    if "'" in form and "'" in inner:
        return inner
    return form.replace("{}", inner, 1) if form.count("{}") == 1 else form.format(inner)


@st.composite
def compound(draw: st.DrawFn) -> str:
    a, b = draw(wrapped()), draw(wrapped())
    return draw(
        st.sampled_from(
            [a, f"{a} && {b}", f"{a} || {b}", f"{a}; {b}", f"{a} | {b}", f"{{ {a}; }}", f"( {a} )", f"if true; then {a}; else {b}; fi",
             f"for i in 1; do {a}; done", f"while false; do {a}; done; {b}", f"echo $({a})", f"x=$({a}); {b}",
             f"case x in x) {a};; esac", f"f() {{ {a}; }}; f", f"! {a}", f"{a} &\nwait", f"cat <({a})"]
        )
    )  # fmt: skip


@settings(
    max_examples=int(os.environ.get("STEPWISE_DIFFERENTIAL_EXAMPLES", "150")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=compound())
def test_bash_does_nothing_the_analysis_did_not_predict(command: str, tmp_path: Path) -> None:
    check(command, tmp_path)


# -- the classes of the red-team findings (issue 12), run for real ---------------------------------

SEEDS = [
    ("1-glob-redirect", "echo '[alias] x = !touch p' >> .gi?/config"),
    ("1-brace-path", "cp a.txt {.git,x}/config"),
    ("2-tilde-plus", "echo x > ~+/../outside-f"),
    ("3-case", "case a in a) echo x >> .git/config;; esac"),
    ("3-heredoc", "cat <<EOF\nfoo"),
    ("4-env-sh-c", "env sh -c 'touch p'"),
    ("4-timeout-bash-c", "timeout 5 bash -c 'touch p'"),
    ("4-xargs-sh", "echo x | xargs sh -c 'touch p'"),
    ("4-find-exec-sh", "find . -maxdepth 0 -exec sh -c 'touch p' \\;"),
    ("4-bash-c-e", "bash -c -e 'touch p'"),
    ("5-printf-v", "printf -v GIT_EDITOR %s 'touch p; true'; $GIT_EDITOR"),
    ("5-read", "read -r GIT_EDITOR <<< 'touch p'; $GIT_EDITOR"),
    ("5-subscript", "test -v 'x[$(touch p)]'"),
    ("6-function", "function f { touch p; }; f"),
    ("6-coproc", "coproc touch p; wait"),
    ("6-trap", "trap 'touch p' EXIT"),
    ("6-alias", "shopt -s expand_aliases; alias ls=touch\nls p"),
    ("6-translated", '$"touch" p'),
    ("6-env-dash", "env - touch p"),
    ("6-env-S", "env -S 'touch p'"),
    ("6-xargs-i", "echo p | xargs -i touch {}"),
    ("6-flock-c", "flock /dev/null -c 'touch p'"),
    ("9-carriage-return", "touch pwned #\r$ git status --short"),
    ("10-escapes", "printf '\\033]52;c;eA==\\007' > p"),
]


@pytest.mark.parametrize("command", [s[1] for s in SEEDS], ids=[s[0] for s in SEEDS])
def test_each_class_of_the_red_team_findings_is_predicted_or_not_understood(command: str, tmp_path: Path) -> None:
    analysis = check(command, tmp_path)
    # Whatever the analysis understands it predicted exactly; the rest it says it cannot tell.
    assert analysis.understood or analysis.reason


def test_the_check_catches_a_misprediction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An analysis that forgot what `env` runs and writes must fail the check.
    forgetful = analyze("env").commands
    monkeypatch.setitem(check.__globals__, "analyze", lambda line: Analysis(line=line, commands=forgetful))
    with pytest.raises(AssertionError, match="ran \\['touch'\\]"):
        check("env touch p", tmp_path)
