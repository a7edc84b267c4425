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


# --- real logs: absolute paths, a moved workspace, several calls in one message, approvals -----


class Scripted:
    """An approver answering from a list."""

    def __init__(self, *answers):
        self.answers = list(answers)

    decided_by = "user"

    async def __call__(self, request):
        return self.answers.pop(0)


def _record(repo, approver, **options):
    """Run one prompt in a session (the test stays synchronous: verify runs its own event loop)."""
    import asyncio

    from tui.engine.session.session import Session, SessionOptions

    async def run():
        session = Session.open(SessionOptions(cwd=repo, **options), approver)
        await session.run("go")
        await session.close()
        return session.path

    return read_session(asyncio.run(run()))


def test_absolute_copilot_paths_verify_in_the_scratch_tree(git_repo, model_env):
    from tests.support.fake_anthropic import text, tool_use

    absolute = str(git_repo / "app.py")
    model_env.script(
        tool_use("read_file", {"filePath": absolute}),
        tool_use("replace_string_in_file", {"filePath": absolute, "oldString": "'hello '", "newString": "'hi '"}),
        tool_use("create_file", {"filePath": str(git_repo / "pkg" / "new.py"), "content": f"ROOT = {absolute!r}\n"}),
        tool_use(
            "multi_replace_string_in_file",
            {
                "replacements": [
                    {"filePath": absolute, "oldString": "greet(name)", "newString": "greet(who)"},
                ]
            },
        ),
    )
    model_env.script(text("done"))
    record = _record(git_repo, None, permission_mode="acceptEdits")
    results = verify(record)
    assert [r.ok for r in results] == [True] * 4, [r.detail for r in results]
    assert "hi " in (git_repo / "app.py").read_text()  # the session itself did edit the real tree


def test_a_symlinked_workspace_path_maps_too(git_repo, model_env, tmp_path):
    from tests.support.fake_anthropic import text, tool_use

    link = tmp_path / "link"
    link.symlink_to(git_repo)
    model_env.script(
        tool_use(
            "replace_string_in_file", {"filePath": str(link / "app.py"), "oldString": "'hello '", "newString": "'hi '"}
        )
    )
    model_env.script(text("done"))
    record = _record(link, None, permission_mode="acceptEdits")
    assert all(r.ok for r in verify(record))


def test_a_moved_workspace_verifies_from_where_it_is_now(git_repo, model_env, tmp_path, capsys, monkeypatch):
    from tests.support.fake_anthropic import text, tool_use

    model_env.script(
        tool_use(
            "replace_string_in_file",
            {"filePath": str(git_repo / "app.py"), "oldString": "'hello '", "newString": "'hi '"},
        )
    )
    model_env.script(text("done"))
    record = _record(git_repo, None, permission_mode="acceptEdits")
    moved = tmp_path / "elsewhere"
    git_repo.rename(moved)
    assert main(["replay", str(record.path), "--verify", "--cwd", str(moved)]) == 0
    assert "all 2 steps match" in capsys.readouterr().out
    assert main(["replay", str(record.path), "--verify", "--cwd", str(tmp_path)]) == 2
    assert "run verify inside a clone" in capsys.readouterr().err


def test_parallel_calls_with_a_denial_and_a_failure_verify(git_repo, model_env):
    from tests.support.fake_anthropic import text, tool_use
    from tui.engine.session.approval import Approval

    model_env.script(
        tool_use("read_file", {"filePath": "app.py"}),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "absent", "newString": "x"}),
        tool_use("run_in_terminal", {"command": "echo one > one.txt"}),
        tool_use("run_in_terminal", {"command": "echo two > two.txt"}),
    )
    model_env.script(text("done"))
    approver = Scripted(Approval.once(), Approval.once(), Approval.deny("not this one"))
    record = _record(git_repo, approver)
    assert (git_repo / "one.txt").exists() and not (git_repo / "two.txt").exists()
    results = verify(record)
    assert [r.ok for r in results] == [True] * 3, [r.detail for r in results]
    assert main(["replay", str(record.path), "--verify", "--rerun-commands"]) == 0


def test_hunk_and_edited_approvals_are_replayed_through_the_tools(git_repo, model_env):
    from tests.support.fake_anthropic import text, tool_use
    from tui.engine.session.approval import Approval, ApprovalKind

    old = "".join(f"line {i}\n" for i in range(30))
    (git_repo / "big.py").write_text(old)
    new = old.replace("line 1\n", "LINE 1\n").replace("line 25\n", "LINE 25\n")
    model_env.script(tool_use("replace_string_in_file", {"filePath": "big.py", "oldString": old, "newString": new}))
    model_env.script(tool_use("create_file", {"filePath": "new.py", "content": "x = 1\n"}))
    model_env.script(text("done"))
    approver = Scripted(
        Approval(ApprovalKind.HUNKS, hunks={0: [1]}), Approval(ApprovalKind.EDITED, text={0: "x = 2\n"})
    )
    record = _record(git_repo, approver)
    assert (git_repo / "new.py").read_text() == "x = 2\n"
    assert all(r.ok for r in verify(record))


def test_a_sub_agents_steps_verify_like_the_sessions(git_repo, model_env):
    from tests.support.fake_anthropic import text, tool_use

    folder = git_repo / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "editor.md").write_text("---\nname: editor\ndescription: Edits.\ntools: Edit\n---\nYou edit.\n")
    model_env.script(tool_use("Task", {"description": "edit", "prompt": "edit app.py", "subagent_type": "editor"}))
    model_env.script(
        tool_use("Edit", {"file_path": str(git_repo / "app.py"), "old_string": "'hello '", "new_string": "'hi '"})
    )
    model_env.script(text("edited"))
    model_env.script(text("done"))
    record = _record(git_repo, None, permission_mode="acceptEdits")
    assert "hi " in (git_repo / "app.py").read_text()
    results = verify(record)
    assert [r.ok for r in results] == [True, True], [r.detail for r in results]
