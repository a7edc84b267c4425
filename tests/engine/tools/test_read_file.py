from __future__ import annotations

import pytest

from tui.engine.tools.base import ToolInputError
from tui.engine.tools.read_file import DEFAULT_LIMIT, MAX_LINE_CHARS
from tui.engine.workspace.fileio import MAX_FILE_BYTES


async def test_reads_whole_file_with_line_numbers(ws):
    ws.write("a.txt", "one\ntwo\nthree\n")
    out = await ws.call("read_file", {"filePath": "a.txt"})
    assert not out.is_error
    assert out.content == "     1\tone\n     2\ttwo\n     3\tthree"


async def test_start_and_end_line_are_inclusive(ws):
    ws.write("a.txt", "".join(f"line {i}\n" for i in range(1, 11)))
    out = await ws.call("read_file", {"filePath": "a.txt", "startLine": 3, "endLine": 4})
    assert out.content.splitlines()[:2] == ["     3\tline 3", "     4\tline 4"]
    assert "[Showing lines 3-4 of 10; read on from line 5.]" in out.content


async def test_offset_and_limit_form(ws):
    ws.write("a.txt", "".join(f"l{i}\n" for i in range(1, 6)))
    out = await ws.call("read_file", {"filePath": "a.txt", "offset": 2, "limit": 2})
    assert out.content.startswith("     2\tl2\n     3\tl3\n")


async def test_default_limit_truncates_with_note(ws):
    ws.write("big.txt", "x\n" * (DEFAULT_LIMIT + 5))
    out = await ws.call("read_file", {"filePath": "big.txt"})
    assert f"{DEFAULT_LIMIT:6}\tx" in out.content
    assert f"of {DEFAULT_LIMIT + 5}; read on from line {DEFAULT_LIMIT + 1}" in out.content


async def test_long_lines_are_cut(ws):
    ws.write("wide.txt", "y" * (MAX_LINE_CHARS + 50) + "\n")
    out = await ws.call("read_file", {"filePath": "wide.txt"})
    assert f"[... line cut at {MAX_LINE_CHARS} characters]" in out.content


async def test_read_alias_maps_arguments(ws):
    ws.write("a.txt", "a\nb\nc\n")
    out = await ws.call("Read", {"file_path": "a.txt", "offset": 3})
    assert out.content == "     3\tc"


async def test_crlf_file_is_shown_without_carriage_returns(ws):
    ws.write("w.txt", "a\r\nb\r\n")
    out = await ws.call("read_file", {"filePath": "w.txt"})
    assert "\r" not in out.content and "     2\tb" in out.content


async def test_reads_outside_the_workspace_by_absolute_path(ws, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "o.txt"
    outside.write_text("elsewhere\n")
    out = await ws.call("read_file", {"filePath": str(outside)})
    assert "elsewhere" in out.content


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\x00\x01binary", "binary"), ("caf\xe9".encode("latin-1"), "not UTF-8")],
)
async def test_refuses_binary_and_non_utf8(ws, content, message):
    ws.write("f.bin", content)
    out = await ws.call("read_file", {"filePath": "f.bin"})
    assert out.is_error and message in out.content


async def test_refuses_oversize_file(ws):
    ws.write("big.txt", b"x" * (MAX_FILE_BYTES + 1))
    out = await ws.call("read_file", {"filePath": "big.txt"})
    assert out.is_error and f"over the {MAX_FILE_BYTES:,}-byte limit" in out.content
    assert "grep_search" in out.content


async def test_missing_file_folder_and_past_end(ws):
    ws.write("d/a.txt", "one\n")
    missing = await ws.call("read_file", {"filePath": "nope.txt"})
    assert missing.is_error and "nope.txt does not exist" in missing.content
    folder = await ws.call("read_file", {"filePath": "d"})
    assert folder.is_error and "folder" in folder.content
    past = await ws.call("read_file", {"filePath": "d/a.txt", "startLine": 5})
    assert past.is_error and "has 1 lines; line 5 is past the end" in past.content


async def test_empty_file(ws):
    ws.write("e.txt", "")
    out = await ws.call("read_file", {"filePath": "e.txt"})
    assert not out.is_error and out.content == "e.txt is empty."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "`filePath` is required"),
        ({"filePath": 3}, "`filePath` must be a string, got integer 3"),
        ({"filePath": "a", "startLine": "2"}, "`startLine` must be an integer, got string '2'"),
        ({"filePath": "a", "startLine": 0}, "`startLine` must be at least 1"),
        ({"filePath": "a", "startLine": 5, "endLine": 2}, "endLine (2) is before startLine (5)"),
        ({"filePath": ""}, "`filePath`: the path is empty"),
    ],
)
def test_input_errors(ws, args, message):
    with pytest.raises(ToolInputError) as err:
        ws.prepare("read_file", args)
    assert message in str(err.value)


def test_prepare_describes_target(ws):
    action = ws.prepare("read_file", {"filePath": "src/a.py", "startLine": 2, "endLine": 9})
    assert action.target == "src/a.py (lines 2-9)"
    assert action.paths == (ws.root / "src" / "a.py",)


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
async def test_special_files_are_refused_without_blocking(ws, kind):
    import asyncio
    import os
    import socket

    path = ws.root / f"special-{kind}"
    server = None
    if kind == "fifo":
        os.mkfifo(path)  # no writer: a plain open() would block forever
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    else:
        path = type(path)("/dev/zero")
    try:
        # In a thread with a bound, so that a regression fails instead of hanging the suite.
        result = await asyncio.wait_for(
            asyncio.to_thread(asyncio.run, ws.call("read_file", {"filePath": str(path)})), 10
        )
    finally:
        if server is not None:
            server.close()
    assert result.is_error
    assert "not a regular file" in result.content
