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
