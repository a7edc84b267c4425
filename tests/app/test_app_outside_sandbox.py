"""The permission pane's "outside the sandbox" question: one command, once, never a rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.app.live import live_app
from tests.app.pilot_helpers import ready, send, until
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use
from tui.engine.exec.sandbox import probe
from tui.engine.session.approval import OUTSIDE_SANDBOX, ApprovalKind


@pytest.mark.skipif(not probe().available, reason=f"bubblewrap cannot run here: {probe().reason}")
async def test_the_pane_asks_to_run_a_command_outside_the_sandbox_this_once(
    git_repo: Path, model_env: FakeAnthropic
) -> None:
    # The home folder is read-only inside the sandbox, writable outside it.
    made = Path(os.environ["HOME"]) / "made.txt"
    command = f"touch {made}"
    model_env.script(tool_use("run_in_terminal", {"command": command}))
    model_env.script(text("Done."))
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "make it")
        pane = app.main.permission
        await until(pilot, lambda: pane.display and len(live.requests) == 1, "the question to run it")
        await pilot.press("y")
        await until(pilot, lambda: pane.display and len(live.requests) == 2, "the question to run it outside")
        request = live.requests[1]
        assert request.kind == OUTSIDE_SANDBOX and request.target == command
        assert "Read-only file system" in request.reason
        assert not made.exists()
        assert "OUTSIDE the sandbox" in str(pane.query_one("#permission-title").render())
        assert str(pane.query_one("#permission-detail").render()).startswith(f"$ {command}")
        assert "this once" in str(pane.query_one("#permission-keys").render())
        await pilot.press("a")  # no "for this session" rule: the question is about this command only
        assert not pane.query_one("#permission-input", Input).display
        await pilot.press("y")
        await until(pilot, lambda: not live.session.busy and len(live.approvals) == 2, "the turn")
        approval = live.approvals[1]
        assert approval.kind is ApprovalKind.ONCE and approval.rule is None
        assert made.exists()
        await live.session.close()
