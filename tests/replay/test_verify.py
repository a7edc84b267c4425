import json

from tui.cli import main
from tui.engine.session.log import read_session
from tui.replay.verify import verify


def test_a_recorded_session_verifies_step_by_step(recorded_session, git_repo):
    before = {p.name: p.read_bytes() for p in git_repo.iterdir() if p.is_file()}
    results = verify(read_session(recorded_session))
    assert [r.ok for r in results] == [True] * len(results)
    assert len(results) == 5  # base, two edits, the command, the new file
    after = {p.name: p.read_bytes() for p in git_repo.iterdir() if p.is_file()}
    assert after == before, "verify must not touch the user's tree"


def test_verify_command_exits_0_and_prints_each_step(recorded_session, capsys):
    assert main(["replay", str(recorded_session), "--verify"]) == 0
    out = capsys.readouterr().out
    assert out.count(": OK") == 5
    assert "all 5 steps match" in out


def test_verify_with_rerun_commands(recorded_session, capsys):
    assert main(["replay", str(recorded_session), "--verify", "--rerun-commands"]) == 0


def _tamper(path, mutate):
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        data = json.loads(line)
        if mutate(data):
            lines[index] = json.dumps(data)
            break
    else:
        raise AssertionError("nothing tampered")
    path.write_text("\n".join(lines) + "\n")


def test_an_altered_edit_fails_naming_the_step(recorded_session, capsys):
    def alter(event):
        if event["type"] == "tool_call" and event["input"].get("filePath") == "big.py":
            event["input"]["newString"] = "LINE 2 (tampered)\n"
            return True
        return False

    _tamper(recorded_session, alter)
    assert main(["replay", str(recorded_session), "--verify"]) == 1
    captured = capsys.readouterr()
    assert "step   2: DIVERGED" in captured.out
    assert "tampered" in captured.out
    assert "diverged at step 2" in captured.err


def test_a_missing_checkpoint_object_is_a_clear_error(recorded_session, capsys):
    def alter(event):
        if event["type"] == "checkpoint" and event["step"] == 3:
            event["commit"] = "0" * 40
            return True
        return False

    _tamper(recorded_session, alter)
    code = main(["replay", str(recorded_session), "--verify"])
    captured = capsys.readouterr()
    assert code == 2
    assert "missing" in captured.err
