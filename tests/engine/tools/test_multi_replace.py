from __future__ import annotations

import pytest

from tui.engine.session.approval import Approval
from tui.engine.tools.base import ToolInputError
from tui.engine.tools.registry import TOOLS


def _rep(path: str, old: str, new: str) -> dict[str, str]:
    return {"filePath": path, "oldString": old, "newString": new}


async def test_sequential_replacements_across_files(ws):
    ws.write("a.py", "x = 1\ny = 2\n")
    ws.write("b.py", "z = 3\n")
    args = {
        "explanation": "rename",
        "replacements": [
            _rep("a.py", "x = 1", "x = 10"),
            _rep("b.py", "z = 3", "z = 30"),
            _rep("a.py", "x = 10\ny", "x = 100\ny"),
        ],
    }
    action = ws.prepare("multi_replace_string_in_file", args)
    assert [p.rel_path for p in action.proposals] == ["a.py", "b.py"]
    assert action.target == "a.py, b.py" and action.explanation == "rename"
    out = await TOOLS["multi_replace_string_in_file"].execute(action, ws.ctx, Approval.once())
    assert not out.is_error and len(out.edits) == 2
    assert ws.read("a.py") == "x = 100\ny = 2\n" and ws.read("b.py") == "z = 30\n"
    assert out.content == "Edited a.py (+1 -1 lines).\nEdited b.py (+1 -1 lines)."


def test_one_failing_replacement_fails_all(ws):
    ws.write("a.py", "x = 1\n")
    with pytest.raises(ToolInputError) as err:
        ws.prepare(
            "multi_replace_string_in_file", {"replacements": [_rep("a.py", "x", "y"), _rep("a.py", "nope", "z")]}
        )
    assert "replacements[1] failed, so nothing was changed: oldString was not found in a.py" in str(err.value)
    assert ws.read("a.py") == "x = 1\n"


def test_same_file_under_two_spellings_is_one_proposal(ws):
    ws.write("src/a.py", "a\nb\n")
    action = ws.prepare(
        "multi_replace_string_in_file",
        {"replacements": [_rep("src/a.py", "a", "A"), _rep(str(ws.root / "src" / ".." / "src" / "a.py"), "b", "B")]},
    )
    (proposal,) = action.proposals
    assert proposal.new_text == "A\nB\n"


async def test_stale_second_file_writes_nothing(ws):
    ws.write("a.py", "a\n")
    ws.write("b.py", "b\n")
    action = ws.prepare(
        "multi_replace_string_in_file", {"replacements": [_rep("a.py", "a", "A"), _rep("b.py", "b", "B")]}
    )
    ws.write("b.py", "changed\n")
    out = await TOOLS["multi_replace_string_in_file"].execute(action, ws.ctx, Approval.once())
    assert out.is_error and "b.py changed on disk" in out.content and not out.edits
    assert ws.read("a.py") == "a\n"


async def test_multiedit_alias(ws):
    ws.write("a.py", "foo foo\nbar\n")
    out = await ws.call(
        "MultiEdit",
        {
            "file_path": "a.py",
            "edits": [
                {"old_string": "foo", "new_string": "baz", "replace_all": True},
                {"old_string": "bar", "new_string": "qux"},
            ],
        },
    )
    assert not out.is_error and ws.read("a.py") == "baz baz\nqux\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "`replacements` is required"),
        ({"replacements": "a.py"}, "`replacements` must be an array, got string 'a.py'"),
        ({"replacements": []}, "`replacements` is empty"),
        (
            {"replacements": [_rep("a", "b", "c"), {"filePath": "a", "oldString": "b"}]},
            "`replacements[1].newString` is required",
        ),
        ({"replacements": [7]}, "`replacements[0]` must be an object, got integer 7"),
        ({"replacements": [_rep("a", "b", "c")] * 101}, "`replacements` has 101 items; at most 100 are allowed"),
    ],
)
def test_input_errors(ws, args, message):
    with pytest.raises(ToolInputError) as err:
        ws.prepare("multi_replace_string_in_file", args)
    assert message in str(err.value)


def test_multiedit_alias_errors_name_its_fields(ws):
    with pytest.raises(ToolInputError, match=r"MultiEdit: `edits\[0\].old_string` is required"):
        ws.prepare("MultiEdit", {"file_path": "a.py", "edits": [{"new_string": "x"}]})
