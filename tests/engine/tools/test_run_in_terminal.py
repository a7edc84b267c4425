from __future__ import annotations

import asyncio

import pytest

from tui.engine.session.approval import Approval
from tui.engine.tools.base import ToolInputError
from tui.engine.tools.registry import TOOLS
from tui.engine.tools.run_in_terminal import timeout_seconds


async def test_runs_in_workspace_and_reports_exit_code(ws):
    out = await ws.call("run_in_terminal", {"command": "pwd; exit 2", "explanation": "where am I"})
    assert not out.is_error
    assert out.content == f"{ws.root}\nExit code: 2"
    assert ws.output == [f"{ws.root}\n"]


async def test_no_output_and_escape_sequences(ws):
    assert (await ws.call("run_in_terminal", {"command": "true"})).content == "(no output)\nExit code: 0"
    out = await ws.call("run_in_terminal", {"command": r"printf '\033[1mbold\033[0m'"})
    assert out.content == "bold\nExit code: 0"


async def test_timeout_in_milliseconds(ws):
    out = await ws.call("run_in_terminal", {"command": "echo start; sleep 100", "timeout": 300})
    assert out.is_error
    assert out.content.startswith("start\nThe command timed out after 0.3 s and was stopped.")


async def test_cancel(ws):
    def on_output(text: str) -> None:
        if "go" in text:
            ws.ctx.cancel.set()

    ws.ctx.on_output = on_output
    out = await ws.call("run_in_terminal", {"command": "echo go; sleep 100"})
    assert out.is_error and out.content == "go\nThe user cancelled the command; its processes were stopped."


async def test_bash_alias_background_and_bash_output(ws):
    out = await ws.call("Bash", {"command": "echo hi; exit 5", "run_in_background": True, "description": "greet"})
    assert out.content.startswith("Started in the background with id term-1.")
    assert await ws.terminals.wait("term-1") == 5
    result = await ws.call("BashOutput", {"bash_id": "term-1"})
    assert result.content == "hi\nFinished with exit code 5."
    result = await ws.call("get_terminal_output", {"id": "term-1"})
    assert result.content == "hi\nFinished with exit code 5."


async def test_background_still_running(ws):
    seen = asyncio.Event()
    ws.ctx.on_output = lambda text: seen.set()
    await ws.call("run_in_terminal", {"command": "echo up; sleep 100", "isBackground": True})
    await asyncio.wait_for(seen.wait(), 10)
    out = await ws.call("get_terminal_output", {"id": "term-1"})
    assert out.content == "up\nStill running."


async def test_unknown_terminal_id(ws):
    out = await ws.call("get_terminal_output", {"id": "term-7"})
    assert out.is_error and "no background terminal with id 'term-7' (known ids: none)" in out.content


def test_prepare_fields(ws):
    action = ws.prepare("Bash", {"command": "  npm test  ", "description": "run tests", "timeout": 5000})
    assert action.command == "npm test" and action.cwd == ws.root and action.target == "npm test"
    assert action.explanation == "run tests" and action.kind == "execute"
    assert action.input == {"command": "  npm test  ", "timeout": 5000, "explanation": "run tests"}


def test_timeout_default_and_cap():
    assert timeout_seconds({}) == 120
    assert timeout_seconds({"timeout": 0}) == 120
    assert timeout_seconds({"timeout": 1500}) == 1.5
    assert timeout_seconds({"timeout": 3_600_000}) == 600


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("run_in_terminal", {"command": "  "}, "`command` is empty"),
        ("run_in_terminal", {"command": "ls", "timeout": -1}, "`timeout` must be at least 0"),
        ("run_in_terminal", {"command": "ls", "isBackground": "true"}, "`isBackground` must be a boolean"),
        ("Bash", {"cmd": "ls"}, "Bash: `command` is required"),
        ("get_terminal_output", {"id": 3}, "`id` must be a string, got integer 3"),
        ("BashOutput", {}, "BashOutput: `bash_id` is required"),
    ],
)
def test_input_errors(ws, name, args, message):
    with pytest.raises(ToolInputError) as err:
        ws.prepare(name, args)
    assert message in str(err.value)


async def test_missing_working_folder_is_an_error(ws):
    action = ws.prepare("run_in_terminal", {"command": "ls"})
    ws.root.rename(ws.root.with_name(ws.root.name + "-moved"))
    out = await TOOLS["run_in_terminal"].execute(action, ws.ctx, Approval.once())
    assert out.is_error and out.content.startswith(f"Could not start the command in {ws.root}")
