"""Snapshots of the main screen with the permission pane open, in the dark and light themes.

The real session proposes the edit the scripted model asks for; the scripted usage and the
prices in the project's settings make the status bar's tokens, context share and cost fixed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.app.live import FIXED_USAGE, fix_prices, live_app
from tests.app.pilot_helpers import until
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use

OLD = 'def greet(name):\n    """Say hello."""\n    print("Hello", name)\n    return None\n'
NEW = (
    'def greet(name, punctuation="!"):\n    """Say hello."""\n    print("Hello", name + punctuation)\n    return name\n'
)


@pytest.mark.parametrize("theme", ["stepwise-dark", "stepwise-light"])
def test_main_screen_with_permission_pane(  # type: ignore[no-untyped-def]
    snap_compare, git_repo: Path, model_env: FakeAnthropic, theme: str
) -> None:
    (git_repo / "greet.py").write_text(OLD)
    fix_prices(git_repo)
    subprocess.run(["git", "add", "-A"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "greet"], cwd=git_repo, check=True)
    model_env.script(
        text("I'll add a **punctuation** parameter and return the name."),
        tool_use(
            "replace_string_in_file",
            {"filePath": "greet.py", "oldString": OLD, "newString": NEW, "explanation": "add a punctuation parameter"},
        ),
        usage=FIXED_USAGE,
    )
    app, live = live_app(git_repo, model_env, theme=theme, initial_prompt="Make greet configurable")

    async def open_pane(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: live.requests and app.main.permission.display, "the pane")
        await until(pilot, lambda: app.main.diff_view.is_highlighted, "the highlighting")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=open_pane)
