from __future__ import annotations

import os

import pytest

from tui.engine.session.approval import Approval, ApprovalKind
from tui.engine.tools.base import ToolInputError
from tui.engine.tools.registry import TOOLS


async def test_creates_file_and_parent_folders(ws):
    out = await ws.call("create_file", {"filePath": "src/pkg/new.py", "content": "x = 1\ny = 2\n"})
    assert not out.is_error
    assert out.content == "Created src/pkg/new.py (2 lines)."
    assert ws.read("src/pkg/new.py") == "x = 1\ny = 2\n"
    assert len(out.edits) == 1 and out.edits[0].before is None


def test_prepare_has_no_side_effects_and_a_proposal(ws):
    action = ws.prepare("create_file", {"filePath": "a/b.txt", "content": "hi\n"})
    assert not (ws.root / "a").exists()
    (proposal,) = action.proposals
    assert proposal.is_new_file and proposal.added == 1 and proposal.rel_path == "a/b.txt"
    assert action.target == "a/b.txt" and action.kind == "edit"


def test_existing_file_is_refused(ws):
    ws.write("a.txt", "old\n")
    with pytest.raises(ToolInputError, match=r"a\.txt already exists; use replace_string_in_file to edit it"):
        ws.prepare("create_file", {"filePath": "a.txt", "content": "new\n"})


def test_overwrite_flag_is_not_accepted_from_the_model(ws):
    ws.write("a.txt", "old\n")
    with pytest.raises(ToolInputError, match="already exists"):
        ws.prepare("create_file", {"filePath": "a.txt", "content": "new\n", "overwrite": True})


async def test_write_alias_overwrites_keeping_crlf_and_mode(ws):
    path = ws.write("run.sh", "echo old\r\n")
    os.chmod(path, 0o755)
    out = await ws.call("Write", {"file_path": "run.sh", "content": "echo new\necho two\n"})
    assert not out.is_error
    assert path.read_bytes() == b"echo new\r\necho two\r\n"
    assert os.stat(path).st_mode & 0o777 == 0o755
    assert out.content == "Edited run.sh (+2 -1 lines)."


async def test_new_file_with_crlf_content_stays_crlf(ws):
    await ws.call("create_file", {"filePath": "w.txt", "content": "a\r\nb\r\n"})
    assert (ws.root / "w.txt").read_bytes() == b"a\r\nb\r\n"


async def test_without_final_newline(ws):
    await ws.call("create_file", {"filePath": "n.txt", "content": "no newline"})
    assert ws.read("n.txt") == "no newline"


async def test_user_edited_text_is_written(ws):
    out = await ws.call(
        "create_file", {"filePath": "a.txt", "content": "model\n"}, Approval(ApprovalKind.EDITED, text={0: "user\n"})
    )
    assert ws.read("a.txt") == "user\n"
    assert "The user edited your proposal for a.txt" in out.content and "+user" in out.content


async def test_writes_into_git_folder_are_refused_at_execute(ws):
    (ws.root / ".git").mkdir()
    out = await ws.call("create_file", {"filePath": ".git/hooks/x", "content": "boom\n"})
    assert out.is_error and "inside .git/" in out.content
    assert not (ws.root / ".git" / "hooks" / "x").exists()


async def test_writes_outside_the_workspace_are_refused(ws, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.txt"
    out = await ws.call("create_file", {"filePath": str(outside), "content": "boom\n"})
    assert out.is_error and "outside the workspace" in out.content and not outside.exists()


async def test_file_created_meanwhile_is_stale(ws):
    action = ws.prepare("create_file", {"filePath": "a.txt", "content": "mine\n"})
    ws.write("a.txt", "someone else's\n")
    out = await TOOLS["create_file"].execute(action, ws.ctx, Approval.once())
    assert out.is_error and "changed on disk since this edit was proposed" in out.content
    assert ws.read("a.txt") == "someone else's\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"filePath": "a"}, "`content` is required"),
        ({"filePath": "a", "content": 5}, "`content` must be a string, got integer 5"),
        ({"filePath": ["a"], "content": ""}, "`filePath` must be a string, got an array of 1 items"),
    ],
)
def test_input_errors(ws, args, message):
    with pytest.raises(ToolInputError) as err:
        ws.prepare("create_file", args)
    assert message in str(err.value)


def test_folder_target_is_refused(ws):
    (ws.root / "d").mkdir()
    with pytest.raises(ToolInputError, match="is a folder"):
        ws.prepare("create_file", {"filePath": "d", "content": ""})
