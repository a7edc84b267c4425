from __future__ import annotations

import pytest

from tui.engine.tools.base import ToolInputError


async def test_lists_sorted_with_folder_slashes(ws):
    ws.write("b.txt", "")
    ws.write("a/x.txt", "")
    ws.write(".hidden", "")
    out = await ws.call("list_dir", {"path": "."})
    assert out.content.splitlines() == [".hidden", "a/", "b.txt"]


async def test_ls_alias(ws):
    ws.write("sub/one.py", "")
    out = await ws.call("LS", {"path": str(ws.root / "sub")})
    assert out.content == "one.py"


async def test_errors(ws):
    ws.write("f.txt", "")
    (ws.root / "empty").mkdir()
    assert (await ws.call("list_dir", {"path": "nope"})).content == "nope does not exist."
    out = await ws.call("list_dir", {"path": "f.txt"})
    assert out.is_error and "is a file, not a folder" in out.content
    assert (await ws.call("list_dir", {"path": "empty"})).content == "empty is empty."


def test_input_errors(ws):
    with pytest.raises(ToolInputError, match="`path` is required"):
        ws.prepare("list_dir", {})
    with pytest.raises(ToolInputError, match="control characters"):
        ws.prepare("list_dir", {"path": "a\x00b"})
