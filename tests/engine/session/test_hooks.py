import json
import sys

import pytest

from tui.engine.session.hooks import HookCommand, Hooks, blocking, claude_tool_input, parse_hooks, unseen_hooks


def hooks_for(tmp_path, event, command, matcher="", timeout=10.0):
    return Hooks(
        [HookCommand(event, command, matcher, timeout, ".claude/settings.json")], tmp_path, "sid", tmp_path / "s.jsonl"
    )


def test_parse_reports_what_it_cannot_run():
    warnings: list[str] = []
    hooks = parse_hooks(
        {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh", "timeout": 5}]}],
            "PostToolUse": [{"hooks": [{"type": "prompt", "prompt": "x"}]}, "nonsense"],
            "OnSave": [],
        },
        ".claude/settings.json",
        warnings,
    )
    assert hooks == [HookCommand("PreToolUse", "./guard.sh", "Bash", 5.0, ".claude/settings.json")]
    assert len(warnings) == 3 and "unknown hook event 'OnSave'" in warnings[2]


@pytest.mark.parametrize(
    ("matcher", "tool", "matches"),
    [
        ("Bash", "run_in_terminal", True),
        ("Edit|Write", "create_file", True),
        ("Edit|Write", "read_file", False),
        ("mcp__.*", "mcp__db__query", True),
        ("run_in_terminal", "run_in_terminal", True),
        ("", "read_file", True),
        ("*", "read_file", True),
        ("Notebook.*", "run_in_terminal", False),
    ],
)
def test_matchers_use_claude_code_names_and_canonical_ones(matcher, tool, matches):
    assert HookCommand("PreToolUse", "x", matcher).matches(tool) is matches


def test_tool_input_is_shaped_as_claude_code_sends_it():
    assert claude_tool_input("replace_string_in_file", {"filePath": "a.py", "oldString": "x", "newString": "y"}) == {
        "file_path": "a.py",
        "old_string": "x",
        "new_string": "y",
    }


async def test_the_hook_gets_the_documented_json_and_exit_2_blocks_with_stderr(tmp_path):
    script = "import json,sys; d=json.load(sys.stdin); print(json.dumps(d), file=open('seen.json','w')); print('no rm here', file=sys.stderr); sys.exit(2)"
    hooks = hooks_for(tmp_path, "PreToolUse", f'{sys.executable} -c "{script}"')
    (result,) = await hooks.run("PreToolUse", {"tool_input": {"command": "rm -rf x"}}, tool="run_in_terminal")
    assert blocking([result]) is result and result.reason == "no rm here"
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen == {
        "session_id": "sid",
        "transcript_path": str(tmp_path / "s.jsonl"),
        "cwd": str(tmp_path),
        "hook_event_name": "PreToolUse",
        "tool_input": {"command": "rm -rf x"},
        "tool_name": "Bash",
    }


async def test_json_output_decisions_context_and_plain_output(tmp_path):
    allow = json.dumps(
        {
            "hookSpecificOutput": {
                "permissionDecision": "allow",
                "permissionDecisionReason": "trusted",
                "additionalContext": "ctx",
            }
        }
    )
    (result,) = await hooks_for(tmp_path, "PreToolUse", f"echo '{allow}'").run("PreToolUse", {}, tool="read_file")
    assert (result.verdict, result.reason, result.additional_context) == ("allow", "trusted", "ctx")
    (stop,) = await hooks_for(tmp_path, "Stop", """echo '{"continue": false, "stopReason": "enough"}'""").run(
        "Stop", {}
    )
    assert stop.stop and stop.reason == "enough"
    (plain,) = await hooks_for(tmp_path, "UserPromptSubmit", "echo 'not {json'").run(
        "UserPromptSubmit", {"prompt": "p"}
    )
    assert plain.verdict is None and plain.additional_context == "not {json"
    (failing,) = await hooks_for(tmp_path, "PostToolUse", "echo oops >&2; exit 3").run(
        "PostToolUse", {}, tool="read_file"
    )
    assert failing.verdict is None and failing.summary == "exit 3 (not blocking): oops"


async def test_a_hanging_hook_is_killed_at_its_timeout(tmp_path):
    (result,) = await hooks_for(tmp_path, "PreToolUse", "sleep 30", timeout=0.2).run("PreToolUse", {}, tool="read_file")
    assert result.exit_code is None and result.summary == "killed at its 0.2 s timeout"


def test_unseen_hooks_are_reported_once_and_again_when_changed(tmp_path):
    seen = tmp_path / "seen.json"
    first = [HookCommand("PreToolUse", "./a.sh", "Bash")]
    assert unseen_hooks(first, tmp_path, seen) == first
    assert unseen_hooks(first, tmp_path, seen) == []
    changed = [HookCommand("PreToolUse", "./b.sh", "Bash")]
    assert unseen_hooks(changed, tmp_path, seen) == changed


async def test_pre_and_post_compact_run_around_a_manual_compaction(git_repo, model_env):
    from tests.support.fake_anthropic import text
    from tui.engine.session.events import HookRan
    from tui.engine.session.session import Session, SessionOptions

    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps(
            {
                "hooks": {
                    "PreCompact": [{"hooks": [{"type": "command", "command": "cat > pre-compact.json"}]}],
                    "PostCompact": [{"hooks": [{"type": "command", "command": "cat > post-compact.json"}]}],
                }
            }
        )
    )
    model_env.script(text("Read it."))
    session = Session.open(SessionOptions(cwd=git_repo), None)
    await session.run("look")
    model_env.script(text("## Task\nlook"))
    await session.compact("the greeting")
    await session.close()
    sent = json.loads((git_repo / "pre-compact.json").read_text())
    assert (sent["hook_event_name"], sent["trigger"], sent["custom_instructions"]) == (
        "PreCompact",
        "manual",
        "the greeting",
    )
    assert [e.event for e in session.history() if isinstance(e, HookRan)] == ["PreCompact", "PostCompact"]
    after = json.loads((git_repo / "post-compact.json").read_text())
    assert (after["hook_event_name"], after["trigger"], after["compact_summary"]) == (
        "PostCompact",
        "manual",
        "## Task\nlook",
    )
