import json

from tui.cli import main


def test_sessions_lists_this_workspaces_sessions(recorded_session, git_repo, capsys):
    assert main(["sessions", "--json", "--cwd", str(git_repo)]) == 0
    listed = json.loads(capsys.readouterr().out)["sessions"]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["path"] == str(recorded_session)
    assert entry["turns"] == 1 and entry["edits"] == 3
    assert entry["agent"] == "general"
    assert main(["sessions", "--cwd", str(git_repo)]) == 0
    assert entry["id"] in capsys.readouterr().out


def test_other_workspaces_are_not_listed(recorded_session, tmp_path, capsys):
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert main(["sessions", "--json", "--cwd", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"] == []


def test_runs_that_never_reached_the_model_are_not_listed_nor_continued(git_repo, model_env, capsys, monkeypatch):
    from tests.support.fake_anthropic import text
    from tui.cli import main

    model_env.script(text("The first answer."))
    assert main(["-p", "first", "--cwd", str(git_repo), "--output-format", "json"]) == 0
    reached = json.loads(capsys.readouterr().out)["session_id"]
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert main(["-p", "second", "--cwd", str(git_repo)]) != 0
    assert "No Anthropic API key" in capsys.readouterr().err
    assert main(["sessions", "--json", "--cwd", str(git_repo)]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)["sessions"]] == [reached]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    model_env.script(text("Continued."))
    assert main(["-p", "again", "--continue", "--cwd", str(git_repo), "--output-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["session_id"] == reached


def test_an_empty_listing_hints_at_all(tmp_path, git_repo, capsys):
    from tui.cli import main

    assert main(["sessions", "--cwd", str(git_repo)]) == 0
    assert "`stepwise sessions --all`" in capsys.readouterr().out
