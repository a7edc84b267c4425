"""The app in a real terminal (tmux, 120x40) against the scripted server."""

import os
import subprocess
import sys

import pytest

from tests.support.fake_anthropic import text, tool_use
from tests.support.tmux import Tmux, wait_until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")


@pytest.fixture
def terminal_env(stepwise_home, tmp_path):
    return {
        "STEPWISE_HOME": os.environ["STEPWISE_HOME"],
        "HOME": os.environ["HOME"],
        "TERM": "xterm-256color",
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
        "TMPDIR": str(tmp_path),
    }


def test_approve_an_edit_and_deny_a_command_in_a_real_terminal(git_repo, fake_anthropic, terminal_env):
    fake_anthropic.script(
        text("Changing the greeting."),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"}),
    )
    fake_anthropic.script(tool_use("run_in_terminal", {"command": "touch ran.txt", "explanation": "make a marker"}))
    fake_anthropic.script(text("All finished here."))
    env = {**terminal_env, "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("please greet differently")
        term.send("Enter")
        screen = term.wait_for("Apply this edit?")
        assert "app.py" in screen and "howdy" in screen
        assert "hello" in (git_repo / "app.py").read_text(), "nothing reaches disk before approval"
        term.send("y")
        wait_until(lambda: "howdy" in (git_repo / "app.py").read_text(), what="the edit on disk")
        refs = subprocess.run(["git", "for-each-ref", "refs/stepwise"], cwd=git_repo, capture_output=True, text=True)
        assert refs.stdout.count("refs/stepwise/") == 1

        screen = term.wait_for("Run this command?")
        assert "touch ran.txt" in screen
        term.send("n")
        term.wait_for("optional message to the agent")
        term.send("Enter")
        term.wait_for("All finished here.")
        assert not (git_repo / "ran.txt").exists()
        denied = fake_anthropic.message_requests[-1].body["messages"][-1]["content"][0]
        assert denied["is_error"] is True
    finally:
        term.close()


def test_the_demo_runs_end_to_end_and_leaves_the_tests_passing(terminal_env, tmp_path):
    from pathlib import Path

    sessions = Path(terminal_env["STEPWISE_HOME"]) / "sessions"

    def user_decisions() -> int:
        return sum(log.read_text().count('"decided_by": "user"') for log in sessions.glob("*.jsonl"))

    term = Tmux(f"{sys.executable} -m tui.cli --demo", cwd=tmp_path, env=terminal_env)
    try:
        term.wait_for("scripted demo")
        asks = ["Apply this edit? (replace_string_in_file)", "Run this command? (run_in_terminal)",
                "Apply this edit? (create_file)", "Run this command? (run_in_terminal)"]
        for done, ask in enumerate(asks):
            term.wait_for(ask)
            term.send("y")
            wait_until(lambda n=done + 1: user_decisions() == n, what=f"approval {done + 1} in the session log")
        term.wait_for("backend-complete")
        [workspace] = tmp_path.glob("stepwise-demo-*")
        result = subprocess.run(
            [sys.executable, "-m", "unittest", "discover", "-s", "tests"], cwd=workspace, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert "Ran 7 tests" in result.stderr
        term.send("C-q")
        term.wait_for("Removed the demo's scratch repository")
        assert not workspace.exists(), "the demo cleans up unless --keep"
    finally:
        term.close()


def test_a_review_comment_reaches_the_model_anchored_to_its_line(git_repo, fake_anthropic, terminal_env):
    fake_anthropic.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"})
    )
    fake_anthropic.script(text("I will use an f-string next time."))
    env = {**terminal_env, "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("greet differently")
        term.send("Enter")
        term.wait_for("Apply this edit?")
        term.send("Down")  # from the removed line to the added one
        term.send("c")
        term.wait_for("comment on app.py:2")
        term.type("use an f-string")
        term.send("Enter")
        term.wait_for("1 comment")
        term.send("y")
        term.wait_for("I will use an f-string next time.")
        result = fake_anthropic.message_requests[-1].body["messages"][-1]["content"][0]
        content = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
        assert "1. app.py:2 (hunk 1)\n   >     return 'howdy ' + name\n   use an f-string" in content
        assert "Hunks that landed: app.py: applied." in content
        assert "howdy" in (git_repo / "app.py").read_text()
        term.send("C-q")
        term.wait_for("Resume it with: stepwise --resume ")
    finally:
        term.close()
