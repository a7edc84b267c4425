"""A session that delegated and kept a task list: folded in transcripts, exported, verified, replayed."""

import json
from pathlib import Path

import pytest

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main
from tui.engine.session.log import read_session
from tui.presentation.transcript import TodoEntry, ToolEntry, delegation_line, delegation_lines, fold
from tui.replay.verify import verify

TODOS = [
    {"content": "Shorten the greeting", "status": "in_progress", "activeForm": "Shortening the greeting"},
    {"content": "Report back", "status": "pending", "activeForm": "Reporting back"},
]


@pytest.fixture
def delegated_session(capsys, git_repo, model_env):
    """The log of a print-mode run: a task list, then backend-dev edits app.py and reports."""
    model_env.script(tool_use("TodoWrite", {"todos": TODOS}))
    model_env.script(
        tool_use("Task", {"description": "Shorten the greeting", "prompt": "Say hi.", "subagent_type": "backend-dev"})
    )
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(text("backend-complete: it says hi."))
    model_env.script(text("Done."))
    code = main(["-p", "go", "--cwd", str(git_repo), "--output-format", "json", "--permission-mode", "acceptEdits"])
    out = capsys.readouterr().out
    assert code == 0, out
    return Path(json.loads(out)["session_path"])


def test_the_transcript_nests_the_run_under_the_parents_call(delegated_session):
    entries = fold(read_session(delegated_session).events)
    [todo] = [e for e in entries if isinstance(e, TodoEntry)]
    assert [item["status"] for item in todo.items] == ["in_progress", "pending"]
    [call] = [e for e in entries if isinstance(e, ToolEntry) and e.delegation is not None]
    line = delegation_line(call.delegation)
    assert line.startswith("backend-dev · Shorten the greeting · done · ") and line.endswith(" tokens")
    lines = delegation_lines(call.delegation)
    assert lines[0] == "Prompt: Say hi."
    assert any(line.startswith("→ replace_string_in_file app.py · approved by mode acceptEdits") for line in lines)
    assert "backend-complete: it says hi." in lines
    # The sub-agent's own messages are not the parent's: the top level shows none of them.
    assert not any(isinstance(e, ToolEntry) and e.call.tool == "replace_string_in_file" for e in entries)


def test_markdown_and_html_fold_the_sub_agents_stream_and_list_the_tasks(delegated_session, capsys):
    assert main(["export", str(delegated_session), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "<details><summary>backend-dev · Shorten the greeting · done" in md
    assert "→ replace_string_in_file app.py" in md
    assert "- [~] Shorten the greeting" in md and "- [ ] Report back" in md
    assert main(["export", str(delegated_session), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "<details><summary>backend-dev · Shorten the greeting · done" in page
    assert '<ul class="todos"><li>[~] Shorten the greeting</li><li>[ ] Report back</li></ul>' in page


def test_verify_re_applies_the_sub_agents_steps(delegated_session, git_repo):
    results = verify(read_session(delegated_session))
    assert [r.ok for r in results] == [True, True]
    assert results[1].label == "backend-dev: replace_string_in_file: app.py"


def test_replay_model_plays_the_sub_agents_turns_back_in_order(delegated_session, git_repo, capsys):
    (git_repo / "app.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    code = main(
        ["-p", "go", "--cwd", str(git_repo), "--output-format", "json", "--permission-mode", "acceptEdits",
         "--replay-model", str(delegated_session)]
    )  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["result"] == "Done."
    assert "'hi '" in (git_repo / "app.py").read_text()
