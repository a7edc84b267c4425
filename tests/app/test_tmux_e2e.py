"""The app in a real terminal (tmux, 120x40) against the scripted server."""

import subprocess
import sys

import pytest

from tests.support.fake_anthropic import text, tool_use
from tests.support.tmux import Tmux, wait_until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")


def test_approve_an_edit_and_deny_a_command_in_a_real_terminal(git_repo, fake_anthropic, api_terminal_env):
    fake_anthropic.script(
        text("Changing the greeting."),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"}),
    )
    fake_anthropic.script(tool_use("run_in_terminal", {"command": "touch ran.txt", "explanation": "make a marker"}))
    fake_anthropic.script(text("All finished here."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("please greet differently")
        term.send("Enter")
        # Whole questions: a capture can catch a frame that tmux has only partly drawn.
        screen = term.wait_for(lambda s: "Apply this edit?" in s and "howdy" in s)
        assert "app.py" in screen
        assert "hello" in (git_repo / "app.py").read_text(), "nothing reaches disk before approval"
        term.send("y")
        wait_until(lambda: "howdy" in (git_repo / "app.py").read_text(), what="the edit on disk")
        refs = subprocess.run(["git", "for-each-ref", "refs/stepwise"], cwd=git_repo, capture_output=True, text=True)
        assert refs.stdout.count("refs/stepwise/") == 1

        term.wait_for(lambda s: "Run this command?" in s and "$ touch ran.txt" in s)
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
        asks = [
            "Apply this edit? (replace_string_in_file)",
            "Run this command? (run_in_terminal)",
            "Apply this edit? (create_file)",
            "Run this command? (run_in_terminal)",
        ]
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


def test_a_review_comment_reaches_the_model_anchored_to_its_line(git_repo, fake_anthropic, api_terminal_env):
    fake_anthropic.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"})
    )
    fake_anthropic.script(text("I will use an f-string next time."))
    env = api_terminal_env
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


def _context_share(screen: str) -> int | None:
    import re

    found = re.search(r"ctx (\d+)%", screen)
    return int(found[1]) if found else None


def test_compact_in_a_real_terminal_drops_the_context_share(git_repo, fake_anthropic, api_terminal_env):
    (git_repo / "big.py").write_text(
        "".join(f"value_{i} = {i}  # padding for the context window\n" for i in range(600))
    )
    (git_repo / ".stepwise").mkdir()
    (git_repo / ".stepwise" / "settings.yaml").write_text("context_windows: {sonnet: 40000}\n")
    fake_anthropic.script(tool_use("read_file", {"filePath": "big.py"}))
    fake_anthropic.script(text("Read the big file."))
    fake_anthropic.script(text("## Task\nRead big.py.\n## Next step\nWait for the user."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("read big.py")
        term.send("Enter")
        # "ready" comes after the turn's last reply has updated the bar.
        screen = term.wait_for(lambda s: "Read the big file." in s and "· ready" in s and _context_share(s) is not None)
        before = _context_share(screen)
        term.type("/compact")
        term.send("Enter")
        screen = term.wait_for(lambda s: "Compacted the conversation" in s and (_context_share(s) or 0) < before)
        assert (_context_share(screen) or 0) < before
        summary_request = fake_anthropic.message_requests[-1].body["messages"][-1]["content"][-1]["text"]
        assert "conversation is about to be compacted" in summary_request
    finally:
        term.close()


def test_after_undo_in_the_app_the_next_request_carries_the_note(git_repo, fake_anthropic, api_terminal_env):
    fake_anthropic.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"})
    )
    fake_anthropic.script(text("Greeting changed."))
    fake_anthropic.script(text("I see it was undone."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli --permission-mode acceptEdits", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("greet differently")
        term.send("Enter")
        term.wait_for("Greeting changed.")
        term.type("/undo")
        term.send("Enter")
        term.wait_for("Undid the last step")
        wait_until(lambda: "hello" in (git_repo / "app.py").read_text(), what="the undo on disk")
        term.type("what now")
        term.send("Enter")
        term.wait_for("I see it was undone.")
        last = fake_anthropic.message_requests[-1].body["messages"][-1]["content"]
        note = next(b["text"] for b in last if b.get("text", "").startswith("[stepwise]"))
        assert "undid the last step" in note and "back at step 0" in note and "app.py" in note
        assert last[-1]["text"] == "what now"
    finally:
        term.close()


def test_parallel_calls_in_the_app_are_answered_in_one_message(git_repo, fake_anthropic, api_terminal_env):
    calls = [
        tool_use("read_file", {"filePath": "README.md"}),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'howdy '"}),
        tool_use("run_in_terminal", {"command": "touch ran.txt"}),
        tool_use("read_file", {"filePath": "missing.py"}),
    ]
    fake_anthropic.script(text("Four at once."), *calls)
    fake_anthropic.script(text("All four answered."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("do four things")
        term.send("Enter")
        term.wait_for("Apply this edit?")
        term.send("y")
        term.wait_for("Run this command?")
        term.send("n")
        term.wait_for("optional message to the agent")
        term.send("Enter")
        term.wait_for("All four answered.")
        answer = fake_anthropic.message_requests[-1].body["messages"][-1]
        results = [b for b in answer["content"] if b["type"] == "tool_result"]
        assert [b["tool_use_id"] for b in results] == [c["id"] for c in calls]
        assert [bool(b.get("is_error")) for b in results] == [False, False, True, True]
        assert "howdy" in (git_repo / "app.py").read_text() and not (git_repo / "ran.txt").exists()
    finally:
        term.close()
