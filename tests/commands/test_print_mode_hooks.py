"""Hooks from `.claude/settings.json` in print mode: a PreToolUse guard blocks `rm` (exit 2, its stderr
reaches the model), a PostToolUse hook runs after the edit, and both are logged."""

import json
import sys
from pathlib import Path

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main
from tui.engine.session.events import HookRan
from tui.engine.session.log import read_session

GUARD = """
import json, sys
call = json.load(sys.stdin)
if call["tool_name"] == "Bash" and call["tool_input"]["command"].startswith("rm "):
    print("rm is not allowed here; use git rm", file=sys.stderr)
    sys.exit(2)
"""


def test_pre_and_post_tool_hooks(capsys, git_repo, model_env):
    (git_repo / "guard.py").write_text(GUARD)
    settings = {
        "permissions": {"defaultMode": "acceptEdits"},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": f"{sys.executable} guard.py"}]}
            ],
            "PostToolUse": [
                {
                    "matcher": "Edit|Write",
                    "hooks": [{"type": "command", "command": "cat >> post-hook.log; echo >> post-hook.log"}],
                }
            ],
        },
    }
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(json.dumps(settings))
    model_env.script(tool_use("run_in_terminal", {"command": "rm README.md"}))
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(text("done"))
    code = main(["-p", "go", "--cwd", str(git_repo), "--output-format", "json"])
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert code == 0, out.err
    assert "new hook in .claude/settings.json: PreToolUse Bash" in out.err

    assert (git_repo / "README.md").exists()
    results = [
        b
        for m in model_env.message_requests[-1].body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_result"
    ]
    assert results[0]["is_error"] is True and "rm is not allowed here; use git rm" in results[0]["content"]
    assert "'hi '" in (git_repo / "app.py").read_text()
    post = json.loads((git_repo / "post-hook.log").read_text().splitlines()[0])
    assert (post["hook_event_name"], post["tool_name"], post["tool_input"]["file_path"]) == (
        "PostToolUse",
        "Edit",
        "app.py",
    )
    assert result["permission_denials"][0]["reason"].startswith("a PreToolUse hook (.claude/settings.json) blocked it")

    ran = [e for e in read_session(Path(result["session_path"])).events if isinstance(e, HookRan)]
    assert [(e.event, e.exit_code) for e in ran] == [("PreToolUse", 2), ("PostToolUse", 0)]

    # Seen once: the next session does not announce the same hook again.
    model_env.script(text("ok"))
    main(["-p", "again", "--cwd", str(git_repo)])
    assert "new hook" not in capsys.readouterr().err


def test_user_prompt_submit_adds_context_and_a_stop_hook_sends_the_model_on(capsys, git_repo, model_env):
    settings = {
        "hooks": {
            "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo 'Today is release day.'"}]}],
            "Stop": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": "test -e stop-ok || { touch stop-ok; echo 'run the tests first' >&2; exit 2; }",
                        }
                    ]
                }
            ],
        }
    }
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(json.dumps(settings))
    model_env.script(text("first answer"))
    model_env.script(text("tests run"))
    code = main(["-p", "go", "--cwd", str(git_repo), "--output-format", "json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["result"] == "tests run"
    first = model_env.message_requests[0].body["messages"][0]["content"]
    assert any("Today is release day." in block["text"] for block in first)
    last = model_env.message_requests[1].body["messages"][-1]["content"]
    assert "A Stop hook asks you to go on: run the tests first" in "".join(b.get("text", "") for b in last)


def test_a_failed_call_runs_post_tool_use_failure_not_post_tool_use(capsys, git_repo, model_env):
    log = {"type": "command", "command": "cat >> hooks.log; echo >> hooks.log"}
    settings = {"hooks": {"PostToolUse": [{"matcher": "Read", "hooks": [log]}]}}
    settings["hooks"]["PostToolUseFailure"] = [{"matcher": "Read", "hooks": [log]}]
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(json.dumps(settings))
    model_env.script(tool_use("read_file", {"filePath": "missing.py"}))
    model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(text("done"))
    assert main(["-p", "go", "--cwd", str(git_repo)]) == 0, capsys.readouterr().err
    failed, read = (json.loads(line) for line in (git_repo / "hooks.log").read_text().splitlines())
    assert (failed["hook_event_name"], failed["tool_name"], failed["is_interrupt"]) == (
        "PostToolUseFailure",
        "Read",
        False,
    )
    assert "missing.py" in failed["error"] and "tool_response" not in failed
    assert (read["hook_event_name"], read["tool_response"]["is_error"]) == ("PostToolUse", False)
