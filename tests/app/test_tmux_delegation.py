"""Delegation in the app, in a real terminal (tmux, 120x40) against the scripted server."""

import shutil
import sys
from pathlib import Path

import pytest

from tests.support.fake_anthropic import text, tool_use
from tests.support.tmux import Tmux, wait_until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")

BUNDLED_BACKEND_DEV = Path(__file__).parents[2] / "agents" / "backend-dev.md"
EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"}


def test_a_sub_agents_edit_is_asked_in_its_name_and_undone_by_undo(git_repo, fake_anthropic, api_terminal_env):
    agents = git_repo / ".claude" / "agents"
    agents.mkdir(parents=True)
    shutil.copy(BUNDLED_BACKEND_DEV, agents / "backend-dev.md")
    fake_anthropic.script(
        tool_use("Task", {"description": "Change the greeting", "prompt": "Say howdy.", "subagent_type": "backend-dev"})
    )
    fake_anthropic.script(tool_use("replace_string_in_file", EDIT))
    fake_anthropic.script(text("backend-complete: howdy."))
    fake_anthropic.script(text("All delegated."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("greet differently")
        term.send("Enter")
        screen = term.wait_for("backend-dev (sub-agent of general) wants to edit app.py")
        assert "for this session, every agent" in screen
        assert "hello" in (git_repo / "app.py").read_text(), "nothing reaches disk before approval"
        term.send("y")
        wait_until(lambda: "howdy" in (git_repo / "app.py").read_text(), what="the sub-agent's edit on disk")
        screen = term.wait_for("All delegated.")
        # The delegation is one line in the parent's chat: agent, task, how it ended, time, tokens.
        assert "backend-dev · Change the greeting · done · " in screen
        term.type("/undo")
        term.send("Enter")
        app = git_repo / "app.py"
        # The restore replaces the file, so it may be missing for a moment.
        wait_until(lambda: app.exists() and "hello" in app.read_text(), what="/undo taking the edit back")
    finally:
        term.close()


def test_a_task_list_shows_over_the_prompt_and_expands(git_repo, fake_anthropic, terminal_env):
    todos = [
        {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
        {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
    ]
    fake_anthropic.script(tool_use("TodoWrite", {"todos": todos}))
    fake_anthropic.script(text("Listed."))
    env = {**terminal_env, "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("plan it")
        term.send("Enter")
        term.wait_for("Listed.")
        screen = term.wait_for("Tasks 1/2 done · Fixing the bug (click to expand)")
        assert "[x] Read the code" not in screen
    finally:
        term.close()
