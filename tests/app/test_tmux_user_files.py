"""The files a Claude Code user brings, in a real terminal: a custom command and the new-hook notice."""

import json
import sys

import pytest

from tests.support.fake_anthropic import text
from tests.support.tmux import Tmux, wait_until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")


def test_a_custom_command_runs_and_a_new_hook_is_announced(git_repo, fake_anthropic, api_terminal_env):
    commands = git_repo / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "review.md").write_text(
        "---\ndescription: Review a file\nargument-hint: <file>\n---\nReview $ARGUMENTS for bugs\n"
    )
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo p >> h.log"}]}]}})
    )
    fake_anthropic.script(text("No bugs found."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for(lambda screen: "new hook in .claude/settings.json" in screen and "UserPromptSubmit" in screen)
        term.wait_for("ready")
        term.type("/rev")
        term.wait_for("/review  Review a file (project command)")  # completed, with its description
        term.type("iew app.py")
        term.send("Enter")
        term.wait_for("No bugs found.")
        sent = fake_anthropic.message_requests[0].body["messages"][0]["content"][0]["text"]
        assert sent == "Review app.py for bugs"
        wait_until(lambda: (git_repo / "h.log").exists(), what="the hook's file")
    finally:
        term.close()
