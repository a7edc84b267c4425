"""Applying edit proposals as approved: whole, some hunks, the user's text."""

from __future__ import annotations

import pytest

from tui.engine.session.approval import Approval, ApprovalKind
from tui.engine.tools._edit import replace_text
from tui.engine.tools.base import ToolInputError
from tui.engine.tools.registry import TOOLS

LINES = "".join(f"line {i}\n" for i in range(1, 31))


def _three_hunk_action(ws):
    ws.write("f.txt", LINES)
    return ws.prepare(
        "multi_replace_string_in_file",
        {
            "replacements": [
                {"filePath": "f.txt", "oldString": "line 2\n", "newString": "LINE 2\n"},
                {"filePath": "f.txt", "oldString": "line 15\n", "newString": "LINE 15\n"},
                {"filePath": "f.txt", "oldString": "line 28\n", "newString": "LINE 28\n"},
            ]
        },
    )


async def _execute(ws, action, approval):
    return await TOOLS[action.tool].execute(action, ws.ctx, approval)


async def test_subset_of_hunks(ws):
    action = _three_hunk_action(ws)
    assert len(action.proposals[0].hunks) == 3
    out = await _execute(ws, action, Approval(ApprovalKind.HUNKS, hunks={0: [0, 2]}))
    text = ws.read("f.txt")
    assert "LINE 2\n" in text and "line 15\n" in text and "LINE 28\n" in text
    assert out.content.startswith("Applied 2 of 3 hunks to f.txt; the user rejected the others (hunk 2).")
    assert out.edits[0].hunks_applied == (0, 2)


async def test_all_hunks_rejected_writes_nothing(ws):
    action = _three_hunk_action(ws)
    out = await _execute(ws, action, Approval(ApprovalKind.HUNKS, hunks={0: []}))
    assert not out.is_error and not out.edits
    assert "rejected every change to f.txt" in out.content and ws.read("f.txt") == LINES


async def test_user_edited_text(ws):
    action = _three_hunk_action(ws)
    out = await _execute(ws, action, Approval(ApprovalKind.EDITED, text={0: LINES.replace("line 9\n", "nine\n")}))
    assert ws.read("f.txt") == LINES.replace("line 9\n", "nine\n")
    assert "The user edited your proposal for f.txt" in out.content
    assert "-line 9\n+nine" in out.content and out.edits[0].edited_by_user


async def test_proposal_not_named_in_approval_is_applied_whole(ws):
    ws.write("a.txt", "a\n")
    ws.write("b.txt", "b\n")
    action = ws.prepare(
        "multi_replace_string_in_file",
        {
            "replacements": [
                {"filePath": "a.txt", "oldString": "a", "newString": "A"},
                {"filePath": "b.txt", "oldString": "b", "newString": "B"},
            ]
        },
    )
    await _execute(ws, action, Approval(ApprovalKind.HUNKS, hunks={1: []}))
    assert ws.read("a.txt") == "A\n" and ws.read("b.txt") == "b\n"


async def test_write_failure_is_a_precise_error(ws, monkeypatch):
    ws.write("a.txt", "a\n")
    action = ws.prepare("replace_string_in_file", {"filePath": "a.txt", "oldString": "a", "newString": "b"})

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.engine.workspace.fileio.os.replace", disk_full)
    out = await _execute(ws, action, Approval.once())
    assert out.is_error
    assert out.content == "Edit failed: could not write a.txt: No space left on device. Nothing was written."
    assert ws.read("a.txt") == "a\n"


def test_replace_text_all_occurrences():
    assert replace_text("a a a", "a", "b", rel="x", replace_all=True) == "b b b"


def test_replace_text_tolerant_keeps_final_newline_state():
    assert replace_text("  x  \n  y", "x\ny", "z", rel="f") == "  z"
    assert replace_text("  x  \n  y\n", "x\ny", "z", rel="f") == "  z\n"


def test_replace_text_whitespace_only_old_string():
    with pytest.raises(ToolInputError):
        replace_text("a\n\nb\n\n", " \n", "x", rel="f")
