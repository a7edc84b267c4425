"""`.claude/settings.json` as a Claude Code user brings it: defaultMode, env, model and
additionalDirectories apply in print mode."""

import json

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main


def test_default_mode_env_and_model_from_claude_settings(capsys, git_repo, model_env):
    shared = git_repo.parent / "shared"
    shared.mkdir()
    (shared / "notes.md").write_text("shared conventions: tabs\n")
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps(
            {
                "permissions": {
                    "defaultMode": "acceptEdits",
                    "allow": ["Bash(printenv GREETING)"],
                    "additionalDirectories": ["../shared", "../missing"],
                },
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
    model_env.script(tool_use("read_file", {"filePath": str(shared / "notes.md")}))
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "../shared/notes.md", "oldString": "tabs", "newString": "x"})
    )
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
    assert "from-settings" in results[-3]["content"]
    # The additional directory is read without asking; an edit there asks even in acceptEdits (print
    # mode denies it), naming its absolute path.
    assert "shared conventions: tabs" in results[-2]["content"] and not results[-2].get("is_error")
    assert results[-1]["is_error"] is True
    assert (shared / "notes.md").read_text() == "shared conventions: tabs\n"
    denied = json.loads(out.out)["permission_denials"]
    assert [d["tool"] for d in denied] == ["replace_string_in_file"]
    assert str(shared / "notes.md") in denied[0]["reason"]
    assert ".claude/settings.json: additional directory ../missing" in out.err and "skipped" in out.err
    assert model_env.message_requests[0].body["model"].startswith("claude-haiku")
    assert "Claude Code settings stepwise does not use: statusLine (.claude/settings.json)" in out.err
