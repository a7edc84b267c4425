from __future__ import annotations

import pytest

from tui.engine.tools.base import ToolInputError


async def test_approved_plan(ws):
    action = ws.prepare("ExitPlanMode", {"plan": "1. Read the code\n2. Fix the bug"})
    assert action.kind == "plan" and action.target == "1. Read the code"
    out = await ws.call("exit_plan_mode", {"plan": "1. Do it"})
    assert not out.is_error and out.content.startswith("The user approved the plan;")


def test_empty_plan(ws):
    with pytest.raises(ToolInputError, match="`plan` is empty"):
        ws.prepare("exit_plan_mode", {"plan": "\n "})
