from __future__ import annotations

import pytest

from tui.engine.tools.base import ToolInputError
from tui.engine.workspace.globs import glob_matches, normalize_glob


def _tree(ws) -> None:
    ws.write(".gitignore", "dist/\n")
    ws.write("src/a.py", "")
    ws.write("src/deep/b.py", "")
    ws.write("src/c.ts", "")
    ws.write("top.py", "")
    ws.write("dist/d.py", "")


@pytest.mark.parametrize("git", [True, False])
async def test_glob_respects_ignore_files(ws, git):
    _tree(ws)
    if git:
        ws.git_init()
        ws.git_add_all()
        (ws.root / "top.py").unlink()  # deleted from the work tree but still in the index
    out = await ws.call("file_search", {"query": "**/*.py"})
    expected = ["src/a.py", "src/deep/b.py"] + ([] if git else ["top.py"])
    assert out.content.splitlines() == expected


async def test_name_pattern_matches_in_any_folder_and_braces(ws):
    _tree(ws)
    out = await ws.call("file_search", {"query": "*.{py,ts}"})
    assert out.content.splitlines() == ["src/a.py", "src/c.ts", "src/deep/b.py", "top.py"]
    out = await ws.call("file_search", {"query": "src/*.py"})
    assert out.content == "src/a.py"


async def test_max_results_and_no_match(ws):
    _tree(ws)
    out = await ws.call("file_search", {"query": "*.py", "maxResults": 1})
    assert out.content.splitlines() == ["src/a.py", "[1 of 3 files shown; use a narrower pattern or raise maxResults.]"]
    out = await ws.call("file_search", {"query": "*.rs"})
    assert out.content == "No files match '*.rs'."


async def test_glob_alias_with_path(ws):
    _tree(ws)
    out = await ws.call("Glob", {"pattern": "*.py", "path": "src/deep"})
    assert out.content == "src/deep/b.py"
    out = await ws.call("Glob", {"pattern": "*.py", "path": "top.py"})
    assert out.is_error and "top.py is not a folder" in out.content


def test_input_errors(ws):
    with pytest.raises(ToolInputError, match="`query` is required"):
        ws.prepare("file_search", {})
    with pytest.raises(ToolInputError, match="`query` is empty"):
        ws.prepare("file_search", {"query": " "})
    with pytest.raises(ToolInputError, match="Glob: `pattern` must be a string"):
        ws.prepare("Glob", {"pattern": 5})


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.py", "a/b/c.py", True),
        ("src/**", "src/x/y", True),
        ("src/**/*.py", "src/a.py", True),
        ("src/*.py", "src/x/a.py", False),
        ("./top.py", "top.py", True),
        ("file?.[ch]", "x/file1.c", True),
        ("[!a]*.py", "b.py", True),
        ("[!a]*.py", "a.py", False),
    ],
)
def test_glob_semantics(pattern, path, matches):
    assert glob_matches(normalize_glob(pattern), path) is matches
