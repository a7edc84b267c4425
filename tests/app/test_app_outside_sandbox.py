"""The permission pane's "outside the sandbox" question: one command, once, never a rule."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input

from tests.app.fakes import make_app, until
from tui.engine.session.approval import OUTSIDE_SANDBOX, ApprovalKind, ApprovalRequest


async def test_the_pane_asks_to_run_a_command_outside_the_sandbox_this_once(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, [[]])
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        request = ApprovalRequest(
            tool_use_id="t1",
            tool="run_in_terminal",
            kind=OUTSIDE_SANDBOX,
            target="npm install",
            input={"command": "npm install"},
            reason="it failed inside the sandbox (it printed 'Read-only file system')",
        )
        answer = asyncio.ensure_future(app.approver(request))
        pane = app.main.permission
        await until(pilot, lambda: pane.display, "the permission pane")
        assert "OUTSIDE the sandbox" in str(pane.query_one("#permission-title").render())
        assert str(pane.query_one("#permission-detail").render()).startswith("$ npm install")
        assert "this once" in str(pane.query_one("#permission-keys").render())
        await pilot.press("a")  # no "for this session" rule: the question is about this command only
        assert not pane.query_one("#permission-input", Input).display
        await pilot.press("y")
        approval = await asyncio.wait_for(answer, 10)
        assert approval.kind is ApprovalKind.ONCE and approval.rule is None
