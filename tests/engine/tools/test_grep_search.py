from __future__ import annotations

import shutil
import subprocess

import pytest

from tui.engine.tools.base import ToolInputError
from tui.engine.tools.grep_search import ENGINE_ENV, SearchQuery, choose_engine, search

HAS_RG = shutil.which("rg") is not None
ENGINES = ["git", pytest.param("rg", marks=pytest.mark.skipif(not HAS_RG, reason="ripgrep not installed")), "python"]


def _tree(ws, *, git: bool) -> None:
    ws.write(".gitignore", "build/\n*.log\n")
    ws.write("src/app.py", "def Hello():\n    return 'hello world'\n")
    ws.write("src/util.py", "HELLO = 1\nother = 2\n")
    ws.write("src/nested/.gitignore", "secret.txt\n")
    ws.write("src/nested/secret.txt", "hello secret\n")
    ws.write("src/nested/keep.txt", "hello kept\n")
    ws.write("README.md", "Say hello\r\n")
    ws.write("build/out.py", "hello from build\n")
    ws.write("debug.log", "hello log\n")
    ws.write("bin.dat", b"hello\x00binary")
    ws.write(".hidden/conf.txt", "hello hidden\n")
    if git:
        ws.git_init()
        # Part tracked, part untracked: both are searched.
        ws.write(".git/info/exclude", "excluded.txt\n")
        ws.write("excluded.txt", "hello excluded\n")
        subprocess.run(["git", "add", "src", ".gitignore"], cwd=ws.root, check=True)


def _found(ws, query: SearchQuery, engine: str) -> list[tuple[str, int, str]]:
    result = search(ws.root, query, engine=engine)
    assert result.engine == engine and result.complete
    return [(m.path.relative_to(ws.root).as_posix(), m.line, m.text) for m in result.matches]


EXPECTED_HELLO = [
    (".hidden/conf.txt", 1, "hello hidden"),
    ("README.md", 1, "Say hello"),
    ("src/app.py", 1, "def Hello():"),
    ("src/app.py", 2, "    return 'hello world'"),
    ("src/nested/keep.txt", 1, "hello kept"),
    ("src/util.py", 1, "HELLO = 1"),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_agree_and_respect_ignore_files(ws, engine):
    _tree(ws, git=True)
    assert _found(ws, SearchQuery("hello", regex=False), engine) == EXPECTED_HELLO


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_agree_on_regex_case_and_include(ws, engine):
    _tree(ws, git=True)
    assert _found(ws, SearchQuery(r"hel+o\b\s\w", regex=True), engine) == [
        (".hidden/conf.txt", 1, "hello hidden"),
        ("src/app.py", 2, "    return 'hello world'"),
        ("src/nested/keep.txt", 1, "hello kept"),
    ]
    assert _found(ws, SearchQuery("HELLO", regex=False, case_sensitive=True), engine) == [
        ("src/util.py", 1, "HELLO = 1")
    ]
    assert _found(ws, SearchQuery("hello", regex=False, include="*.py"), engine) == [
        ("src/app.py", 1, "def Hello():"),
        ("src/app.py", 2, "    return 'hello world'"),
        ("src/util.py", 1, "HELLO = 1"),
    ]
    assert [f[0] for f in _found(ws, SearchQuery("hello", regex=False, include="src/**/*.{txt,md}"), engine)] == [
        "src/nested/keep.txt"
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_agree_with_ignored_files_included(ws, engine):
    _tree(ws, git=True)
    paths = {f[0] for f in _found(ws, SearchQuery("hello", regex=False, include_ignored=True), engine)}
    assert {"build/out.py", "debug.log", "src/nested/secret.txt", "excluded.txt"} <= paths
    assert "bin.dat" not in paths


@pytest.mark.parametrize("engine", [pytest.param("rg", marks=pytest.mark.skipif(not HAS_RG, reason="no rg")), "python"])
def test_gitignore_honoured_outside_git(ws, engine):
    _tree(ws, git=False)
    assert _found(ws, SearchQuery("hello", regex=False), engine) == EXPECTED_HELLO


def test_engine_choice(ws, monkeypatch):
    _tree(ws, git=False)
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    assert choose_engine(ws.root) == ("rg" if HAS_RG else "python")
    monkeypatch.setenv(ENGINE_ENV, "python")
    assert choose_engine(ws.root) == "python"
    monkeypatch.delenv(ENGINE_ENV)
    ws.git_init()
    assert choose_engine(ws.root) == "git"


async def test_tool_output_format_and_limit(ws):
    _tree(ws, git=True)
    out = await ws.call("grep_search", {"query": "hello", "isRegexp": False, "maxResults": 2})
    lines = out.content.splitlines()
    assert lines[:2] == [".hidden/conf.txt:1: hello hidden", "README.md:1: Say hello"]
    assert lines[2].startswith("[2 of 6 matches shown;")


async def test_tool_without_matches(ws):
    _tree(ws, git=True)
    out = await ws.call("grep_search", {"query": "absent-text", "isRegexp": False, "includePattern": "*.py"})
    assert not out.is_error and out.content == "No matches for 'absent-text' in files matching *.py."


async def test_long_lines_are_trimmed_around_the_match(ws, monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "python")
    ws.write("min.js", "a" * 500 + "needle" + "b" * 500 + "\n")
    out = await ws.call("grep_search", {"query": "needle", "isRegexp": False})
    assert "needle" in out.content and len(out.content) < 260 and out.content.startswith("min.js:1: ...")


async def test_grep_alias_is_case_sensitive_and_lists_files(ws):
    _tree(ws, git=True)
    out = await ws.call("Grep", {"pattern": "hello", "glob": "*.py"})
    assert out.content == "src/app.py"
    out = await ws.call("Grep", {"pattern": "hello", "-i": True, "path": "src", "output_mode": "count"})
    assert out.content.splitlines() == ["src/app.py: 2", "src/nested/keep.txt: 1", "src/util.py: 1"]
    out = await ws.call("Grep", {"pattern": "HELLO", "path": "src/util.py", "output_mode": "content"})
    assert out.content == "src/util.py:1: HELLO = 1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"query": "(", "isRegexp": True}, "`query` is not a valid regular expression"),
        ({"query": ""}, "`query` is empty"),
        ({"query": "x", "maxResults": 0}, "`maxResults` must be at least 1"),
        ({"query": "x", "isRegexp": "yes"}, "`isRegexp` must be a boolean"),
    ],
)
def test_input_errors(ws, args, message):
    with pytest.raises(ToolInputError) as err:
        ws.prepare("grep_search", args)
    assert message in str(err.value)


async def test_missing_search_folder(ws):
    out = await ws.call("Grep", {"pattern": "x", "path": "nope"})
    assert out.is_error and "nope does not exist" in out.content
