from __future__ import annotations

import os

import pytest

from tui.engine.session.approval import Approval
from tui.engine.tools.base import ToolInputError
from tui.engine.tools.registry import TOOLS

SOURCE = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"


async def test_replaces_one_occurrence(ws):
    ws.write("m.py", SOURCE)
    out = await ws.call(
        "replace_string_in_file", {"filePath": "m.py", "oldString": "return 1", "newString": "return 10"}
    )
    assert not out.is_error and out.content == "Edited m.py (+1 -1 lines)."
    assert ws.read("m.py") == SOURCE.replace("return 1", "return 10")
    (edit,) = out.edits
    assert edit.before == SOURCE.encode() and "+    return 10" in edit.diff


def test_explanation_is_accepted(ws):
    ws.write("m.py", SOURCE)
    action = ws.prepare(
        "replace_string_in_file",
        {"filePath": "m.py", "oldString": "return 1", "newString": "return 3", "explanation": "bump"},
    )
    assert action.explanation == "bump" and action.proposals[0].explanation == "bump"


def test_several_matches_fail_with_lines(ws):
    ws.write("m.py", SOURCE)
    with pytest.raises(ToolInputError) as err:
        ws.prepare("replace_string_in_file", {"filePath": "m.py", "oldString": "    return", "newString": "  return"})
    assert "matches 2 times in m.py (lines 2, 6)" in str(err.value)
    assert "Include more surrounding lines" in str(err.value)


def test_no_match_fails_with_hint(ws):
    ws.write("m.py", SOURCE)
    with pytest.raises(ToolInputError) as err:
        ws.prepare(
            "replace_string_in_file",
            {"filePath": "m.py", "oldString": "def g():\n    return 3", "newString": "x"},
        )
    message = str(err.value)
    assert "oldString was not found in m.py" in message and "including whitespace" in message
    assert "first line appears at line 5" in message


def test_identical_strings_fail(ws):
    ws.write("m.py", SOURCE)
    with pytest.raises(ToolInputError, match="identical"):
        ws.prepare("replace_string_in_file", {"filePath": "m.py", "oldString": "f", "newString": "f"})


def test_missing_file_fails_with_create_hint(ws):
    with pytest.raises(ToolInputError, match=r"nope\.py does not exist.*create_file"):
        ws.prepare("replace_string_in_file", {"filePath": "nope.py", "oldString": "a", "newString": "b"})


def test_binary_file_is_refused(ws):
    ws.write("b.bin", b"\x00abc")
    with pytest.raises(ToolInputError, match="binary"):
        ws.prepare("replace_string_in_file", {"filePath": "b.bin", "oldString": "abc", "newString": "x"})


async def test_indentation_tolerant_fallback_reindents(ws):
    ws.write("m.py", "class A:\n    def f(self):   \n        return 1\n")
    out = await ws.call(
        "replace_string_in_file",
        {"filePath": "m.py", "oldString": "def f(self):\n    return 1", "newString": "def f(self):\n    return 2"},
    )
    assert not out.is_error
    assert ws.read("m.py") == "class A:\n    def f(self):\n        return 2\n"


def test_tolerant_fallback_must_be_unique(ws):
    ws.write("m.py", "if a:\n    x()\nif b:\n        x()\n")
    with pytest.raises(ToolInputError, match="ignoring indentation it matches 2 times"):
        ws.prepare("replace_string_in_file", {"filePath": "m.py", "oldString": "x()   ", "newString": "y()"})


async def test_crlf_and_missing_final_newline_are_preserved(ws):
    path = ws.write("w.txt", "alpha\r\nbeta\r\ngamma")
    await ws.call("replace_string_in_file", {"filePath": "w.txt", "oldString": "beta\n", "newString": "BETA\nextra\n"})
    assert path.read_bytes() == b"alpha\r\nBETA\r\nextra\r\ngamma"


async def test_old_string_with_crlf_matches(ws):
    path = ws.write("w.txt", "a\r\nb\r\n")
    await ws.call("replace_string_in_file", {"filePath": "w.txt", "oldString": "a\r\nb", "newString": "c"})
    assert path.read_bytes() == b"c\r\n"


async def test_file_mode_is_kept(ws):
    path = ws.write("s.sh", "echo 1\n")
    os.chmod(path, 0o750)
    await ws.call("replace_string_in_file", {"filePath": "s.sh", "oldString": "1", "newString": "2"})
    assert os.stat(path).st_mode & 0o777 == 0o750


async def test_stale_proposal_is_refused(ws):
    ws.write("m.py", SOURCE)
    action = ws.prepare(
        "replace_string_in_file", {"filePath": "m.py", "oldString": "return 1", "newString": "return 9"}
    )
    ws.write("m.py", SOURCE + "# touched\n")
    out = await TOOLS["replace_string_in_file"].execute(action, ws.ctx, Approval.once())
    assert out.is_error and "m.py changed on disk since this edit was proposed" in out.content
    assert ws.read("m.py").endswith("# touched\n")


async def test_edit_alias_with_replace_all(ws):
    ws.write("m.py", SOURCE)
    out = await ws.call(
        "Edit", {"file_path": "m.py", "old_string": "return", "new_string": "yield", "replace_all": True}
    )
    assert not out.is_error and ws.read("m.py").count("yield") == 2


async def test_edit_alias_empty_old_string_creates_missing_file(ws):
    out = await ws.call("Edit", {"file_path": "new.txt", "old_string": "", "new_string": "hello\n"})
    assert not out.is_error and ws.read("new.txt") == "hello\n"


def test_empty_old_string_on_existing_file_fails(ws):
    ws.write("m.py", SOURCE)
    with pytest.raises(ToolInputError, match="oldString is empty"):
        ws.prepare("replace_string_in_file", {"filePath": "m.py", "oldString": "", "newString": "x"})


def test_edit_alias_errors_name_alias_fields(ws):
    with pytest.raises(ToolInputError, match="Edit: `old_string` is required"):
        ws.prepare("Edit", {"file_path": "m.py", "new_string": "x"})
    with pytest.raises(ToolInputError, match="Edit: `replace_all` must be a boolean, got string 'yes'"):
        ws.prepare("Edit", {"file_path": "m.py", "old_string": "a", "new_string": "b", "replace_all": "yes"})
