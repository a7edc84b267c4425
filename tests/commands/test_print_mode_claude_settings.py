"""`.claude/settings.json` as a Claude Code user brings it: defaultMode, env and model apply in print mode."""

import json

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main


def test_default_mode_env_and_model_from_claude_settings(capsys, git_repo, model_env):
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps(
            {
                "permissions": {"defaultMode": "acceptEdits", "allow": ["Bash(printenv GREETING)"]},
                "env": {"GREETING": "from-settings"},
                "model": "haiku",
                "statusLine": {"type": "command"},
            }
        )
    )
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(tool_use("run_in_terminal", {"command": "printenv GREETING"}))
    model_env.script(text("done"))
    code = main(["-p", "go", "--cwd", str(git_repo), "--output-format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "'hi '" in (git_repo / "app.py").read_text()  # acceptEdits without --permission-mode
    results = [
        b
        for m in model_env.message_requests[-1].body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_result"
    ]
    assert "from-settings" in results[-1]["content"]
    assert model_env.message_requests[0].body["model"].startswith("claude-haiku")
    assert "Claude Code settings stepwise does not use: statusLine (.claude/settings.json)" in out.err
