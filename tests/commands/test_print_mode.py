"""`stepwise -p` end to end: the real SDK against the scripted server, in a temp git repo."""

import json
import subprocess

from tests.support.fake_anthropic import text, tool_pairing_problems, tool_use
from tui.cli import main
from tui.engine.session.events import ToolResult
from tui.engine.session.log import read_session

EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}


def run_print(capsys, repo, *flags):
    code = main(["-p", "go", "--cwd", str(repo), "--output-format", "json", *flags])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_accept_edits_applies_the_edit_and_reports_json(capsys, git_repo, model_env):
    model_env.script(text("Editing."), tool_use("replace_string_in_file", EDIT))
    model_env.script(text("Done: greeting changed."))
    code, result, _ = run_print(capsys, git_repo, "--permission-mode", "acceptEdits")
    assert code == 0
    assert (git_repo / "app.py").read_text() == "def greet(name):\n    return 'hi ' + name\n"
    assert result["result"] == "Done: greeting changed."
    assert result["num_turns"] == 2 and result["is_error"] is False
    assert result["permission_denials"] == []
    assert set(result["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }
    second = model_env.message_requests[1].body["messages"]
    assert tool_pairing_problems(second) == []
    # The checkpoint ref exists and the user's HEAD did not move.
    refs = subprocess.run(["git", "for-each-ref", "refs/stepwise"], cwd=git_repo, capture_output=True, text=True).stdout
    assert result["session_id"] in refs
    log = subprocess.run(["git", "log", "--oneline"], cwd=git_repo, capture_output=True, text=True).stdout
    assert len(log.splitlines()) == 1


def test_default_mode_denies_a_command_without_running_it(capsys, git_repo, model_env):
    model_env.script(tool_use("run_in_terminal", {"command": "touch ran.txt"}))
    model_env.script(text("I could not run it."))
    code, result, _ = run_print(capsys, git_repo)
    assert code == 0
    assert not (git_repo / "ran.txt").exists()
    assert [d["tool"] for d in result["permission_denials"]] == ["run_in_terminal"]
    assert result["permission_denials"][0]["input"]["command"] == "touch ran.txt"
    sent = model_env.message_requests[1].body["messages"][-1]["content"][0]
    assert sent["type"] == "tool_result" and sent["is_error"] is True
    assert "not run" in sent["content"]


def test_an_allow_rule_lets_exactly_that_command_run(capsys, git_repo, model_env):
    model_env.script(
        tool_use("run_in_terminal", {"command": "touch allowed.txt"}),
        tool_use("run_in_terminal", {"command": "touch allowed.txt && touch sneaky.txt"}),
        tool_use("Bash", {"command": "touch other.txt"}),
    )
    model_env.script(text("ok"))
    code, result, _ = run_print(capsys, git_repo, "--allow", "run_in_terminal(touch allowed.txt)")
    assert code == 0
    assert (git_repo / "allowed.txt").exists()
    assert not (git_repo / "sneaky.txt").exists()
    assert not (git_repo / "other.txt").exists()
    assert len(result["permission_denials"]) == 2


def test_the_session_survives_529_a_mid_stream_error_and_a_dropped_connection(capsys, git_repo, model_env):
    model_env.fail(529, retry_after=0)
    model_env.script(text("Part one, part two, part three."), error_after=2)
    model_env.script(text("Part one, part two, part three."), drop_after=3)
    model_env.script(text("Part one, part two, part three."))
    code, result, _ = run_print(capsys, git_repo)
    assert code == 0
    assert result["result"] == "Part one, part two, part three."
    record = read_session(__import__("pathlib").Path(result["session_path"]))
    retries = [e for e in record.events if e.type == "retry"]
    assert len(retries) == 3


def test_the_log_rebuilds_the_conversation_and_continue_resumes_it(capsys, git_repo, model_env):
    model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(text("It greets."))
    code, first, _ = run_print(capsys, git_repo)
    assert code == 0
    from pathlib import Path

    from tui.engine.session.conversation import Conversation

    record = read_session(Path(first["session_path"]))
    rebuilt = Conversation.from_events(record.events).messages
    last_sent = model_env.message_requests[-1].body["messages"]
    strip = lambda msgs: [  # noqa: E731 - cache_control is placed per request
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]} for m in msgs
    ]
    assert strip(rebuilt[: len(last_sent)]) == strip(last_sent)
    assert any(isinstance(e, ToolResult) and "greet" in e.content for e in record.events)

    model_env.script(text("Still here."))
    code, second, _ = run_print(capsys, git_repo, "--continue")
    assert code == 0
    assert second["session_id"] == first["session_id"]
    resumed = model_env.message_requests[-1].body["messages"]
    assert strip(resumed[: len(rebuilt)])[:-1] == strip(rebuilt)[:-1]
    assert resumed[-1]["content"][-1]["text"] == "go"


def test_auth_failure_ends_with_a_readable_error(capsys, git_repo, model_env):
    model_env.fail(401)
    code, result, err = run_print(capsys, git_repo)
    assert code == 1
    assert result["is_error"] is True
    assert "ANTHROPIC_API_KEY" in err or "auth" in err.lower()


def test_outside_a_git_repository_is_a_clear_error(capsys, tmp_path, model_env, stepwise_home):
    code = main(["-p", "go", "--cwd", str(tmp_path)])
    assert code == 2
    assert "git" in capsys.readouterr().err


def test_max_turns_must_be_positive(capsys):
    import pytest

    for bad in ("0", "-1", "x"):
        with pytest.raises(SystemExit):
            main(["-p", "go", "--max-turns", bad])
        assert "at least 1" in capsys.readouterr().err


def test_parallel_calls_are_answered_in_one_message_one_result_per_id(capsys, git_repo, model_env):
    calls = [
        tool_use("read_file", {"filePath": "app.py"}),
        tool_use("read_file", {"filePath": "missing.py"}),
        tool_use("replace_string_in_file", EDIT),
        tool_use("run_in_terminal", {"command": "touch ran.txt"}),
    ]
    model_env.script(text("Four at once."), *calls)
    model_env.script(text("ok"))
    code, result, _ = run_print(capsys, git_repo, "--permission-mode", "acceptEdits")
    assert code == 0 and result["result"] == "ok"
    messages = model_env.message_requests[1].body["messages"]
    assert tool_pairing_problems(messages) == []
    answer = messages[-1]
    assert answer["role"] == "user"
    results = [b for b in answer["content"] if b["type"] == "tool_result"]
    assert [b["tool_use_id"] for b in results] == [c["id"] for c in calls]
    assert [bool(b.get("is_error")) for b in results] == [False, True, False, True]
    assert "hi " in (git_repo / "app.py").read_text() and not (git_repo / "ran.txt").exists()
    assert [d["tool"] for d in result["permission_denials"]] == ["run_in_terminal"]


def test_text_output_names_each_denied_call_in_the_transcript_wording(capsys, git_repo, model_env):
    model_env.script(tool_use("run_in_terminal", {"command": "touch ran.txt \x1b]0;title\x07"}))
    model_env.script(text("I could not run it."))
    code = main(["-p", "go", "--cwd", str(git_repo), "--output-format", "text"])
    out = capsys.readouterr()
    assert code == 0
    assert out.out.strip() == "I could not run it."
    (line,) = [line for line in out.err.splitlines() if "touch" in line]
    assert line.startswith("stepwise: run_in_terminal touch ran.txt")
    assert ": Denied: print mode never prompts; " in line
    assert "\x1b" not in line and "\x07" not in line
