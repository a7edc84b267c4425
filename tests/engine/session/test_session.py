"""The session and its loop against the scripted server: approvals, plan mode, undo, caching."""

import pytest

from tests.support.fake_anthropic import text, tool_pairing_problems, tool_use
from tui.engine.session.approval import Approval, ApprovalKind
from tui.engine.session.events import Checkpoint, EditApplied, ModeChange, PermissionDecision, Rewind
from tui.engine.session.log import read_session
from tui.engine.session.session import Session, SessionOptions


class Scripted:
    """An approver answering from a list, recording the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    decided_by = "user"

    async def __call__(self, request):
        self.requests.append(request)
        return self.answers.pop(0)


def open_session(repo, approver, **options):
    return Session.open(SessionOptions(cwd=repo, **options), approver)


def last_results(server):
    return [b for b in server.message_requests[-1].body["messages"][-1]["content"] if b["type"] == "tool_result"]


EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}


async def test_a_denial_message_reaches_the_model(git_repo, model_env):
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("ok"))
    session = open_session(git_repo, Scripted(Approval.deny("use a constant instead")))
    await session.run("go")
    result = last_results(model_env)[0]
    assert result["is_error"] is True and "use a constant instead" in result["content"]
    assert "hello" in (git_repo / "app.py").read_text()
    decision = next(e for e in session.history() if isinstance(e, PermissionDecision))
    assert (decision.decided_by, decision.choice, decision.message) == ("user", "deny", "use a constant instead")


async def test_approve_for_the_session_stops_asking_for_matching_calls(git_repo, model_env):
    approver = Scripted(Approval(ApprovalKind.SESSION, rule="run_in_terminal(echo:*)"))
    model_env.script(tool_use("run_in_terminal", {"command": "echo one"}))
    model_env.script(tool_use("run_in_terminal", {"command": "echo two"}))
    model_env.script(text("done"))
    session = open_session(git_repo, approver)
    await session.run("go")
    assert len(approver.requests) == 1
    assert approver.requests[0].suggested_rule.startswith("run_in_terminal(echo")
    decisions = [e for e in session.history() if isinstance(e, PermissionDecision)]
    assert [d.decided_by for d in decisions] == ["user", "session"]
    assert "two" in last_results(model_env)[0]["content"]


async def test_save_rule_writes_the_project_settings(git_repo, model_env):
    approver = Scripted(Approval(ApprovalKind.SAVE, rule="run_in_terminal(echo:*)"))
    model_env.script(tool_use("run_in_terminal", {"command": "echo one"}))
    model_env.script(text("done"))
    await open_session(git_repo, approver).run("go")
    assert "run_in_terminal(echo:*)" in (git_repo / ".stepwise" / "settings.yaml").read_text()


async def test_hunk_and_edited_approvals_land_exactly(git_repo, model_env):
    (git_repo / "big.py").write_text("".join(f"line {i}\n" for i in range(30)))
    old = "".join(f"line {i}\n" for i in range(30))
    new = old.replace("line 1\n", "LINE 1\n").replace("line 25\n", "LINE 25\n")
    model_env.script(tool_use("replace_string_in_file", {"filePath": "big.py", "oldString": old, "newString": new}))
    model_env.script(tool_use("create_file", {"filePath": "new.py", "content": "x = 1\n"}))
    model_env.script(text("done"))
    approver = Scripted(
        Approval(ApprovalKind.HUNKS, hunks={0: [1]}), Approval(ApprovalKind.EDITED, text={0: "x = 2\n"})
    )
    session = open_session(git_repo, approver)
    await session.run("go")
    assert (git_repo / "big.py").read_text() == old.replace("line 25\n", "LINE 25\n")
    assert (git_repo / "new.py").read_text() == "x = 2\n"
    edits = [e for e in session.history() if isinstance(e, EditApplied)]
    assert (edits[0].hunks_applied, edits[0].hunks_total) == ([1], 2)
    assert edits[1].edited_by_user is True


async def test_undo_and_rewind_restore_files_including_command_effects(git_repo, model_env):
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(tool_use("run_in_terminal", {"command": "echo made > made.txt && rm README.md"}))
    model_env.script(text("done"))
    session = open_session(git_repo, Scripted(), permission_mode="bypassPermissions")
    await session.run("go")
    assert (git_repo / "made.txt").exists() and not (git_repo / "README.md").exists()
    assert [c.step for c in session.checkpoints()] == [0, 1, 2]

    undo = await session.undo()
    assert isinstance(undo, Rewind) and undo.to_step == 1
    assert not (git_repo / "made.txt").exists() and (git_repo / "README.md").read_text() == "# demo\n"
    assert "'hi '" in (git_repo / "app.py").read_text()

    await session.undo()
    assert "'hello '" in (git_repo / "app.py").read_text()
    assert await session.undo() is None  # back at the base

    await session.close()
    record = read_session(session.path)
    assert [e.undo for e in record.events if isinstance(e, Rewind)] == [True, True]


async def test_a_command_that_changes_nothing_is_not_a_step(git_repo, model_env):
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(tool_use("run_in_terminal", {"command": "cat app.py"}))
    model_env.script(text("done"))
    session = open_session(git_repo, Scripted(), permission_mode="bypassPermissions")
    await session.run("go")
    assert [c.label for c in session.checkpoints()] == ["session base", "replace_string_in_file: app.py"]
    await session.undo()
    assert "'hello '" in (git_repo / "app.py").read_text()


async def test_plan_mode_reads_only_until_the_plan_is_approved(git_repo, model_env):
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(tool_use("exit_plan_mode", {"plan": "1. change the greeting"}))
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("done"))
    approver = Scripted(Approval.once(), Approval.once())
    session = open_session(git_repo, approver, permission_mode="plan")
    assert "exit_plan_mode" in [t["name"] for t in session.loop.config.tools]
    await session.run("go")
    assert [r.kind for r in approver.requests] == ["plan", "edit"]
    assert approver.requests[0].plan == "1. change the greeting"
    assert session.mode == "default"
    assert any(isinstance(e, ModeChange) and e.new == "default" for e in session.history())
    assert "'hi '" in (git_repo / "app.py").read_text()
    first_result = model_env.message_requests[1].body["messages"][-1]["content"][0]
    assert first_result["is_error"] is True


async def test_max_turns_stops_the_loop_with_valid_history(git_repo, model_env):
    for _ in range(3):
        model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    session = open_session(git_repo, Scripted(), max_turns=2)
    outcome = await session.run("go")
    assert outcome.reason == "max_turns" and outcome.turns == 2
    model_env.script(text("fine"))
    await session.run("continue")
    assert tool_pairing_problems(model_env.message_requests[-1].body["messages"]) == []


async def test_cancel_during_approval_gives_every_call_a_result(git_repo, model_env):
    model_env.script(
        tool_use("run_in_terminal", {"command": "echo a"}),
        tool_use("run_in_terminal", {"command": "echo b"}),
    )
    session = open_session(git_repo, None)

    class CancelThenDeny:
        decided_by = "user"

        async def __call__(self, request):
            session.cancel()
            return Approval.deny()

    session.loop.approver = CancelThenDeny()
    outcome = await session.run("go")
    assert outcome.reason == "cancelled"
    model_env.script(text("ok"))
    await session.run("again")
    sent = model_env.message_requests[-1].body["messages"]
    assert tool_pairing_problems(sent) == []


async def test_twenty_turns_read_mostly_from_the_prompt_cache(git_repo, model_env):
    session = open_session(git_repo, Scripted())
    for turn in range(20):
        model_env.script(tool_use("read_file", {"filePath": "app.py"}))
        model_env.script(text(f"answer {turn}"))
        await session.run(f"question {turn}")
    usages = [r.usage for r in model_env.message_requests[1:]]
    read = sum(u["cache_read_input_tokens"] for u in usages)
    total = sum(u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] for u in usages)
    assert read / total >= 0.8
    assert session.usage["cache_read_input_tokens"] == read


async def test_unknown_agent_and_bad_mode_are_clear_errors(git_repo, model_env):
    from tui.engine.session.session import SessionError

    with pytest.raises(SessionError, match="nope"):
        open_session(git_repo, Scripted(), agent="nope")
    with pytest.raises(SessionError, match="acceptEdits"):
        open_session(git_repo, Scripted(), permission_mode="yolo")


async def test_mode_cycling_is_recorded(git_repo, model_env):
    session = open_session(git_repo, Scripted())
    assert [session.cycle_mode() for _ in range(3)] == ["acceptEdits", "plan", "default"]
    assert [e.new for e in session.history() if isinstance(e, ModeChange)] == ["acceptEdits", "plan", "default"]
    assert all(isinstance(c, Checkpoint) for c in session.checkpoints())


async def test_auto_commit_also_commits_each_step_on_the_branch(git_repo, model_env):
    import subprocess

    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("done"))
    session = open_session(git_repo, Scripted(), permission_mode="acceptEdits", auto_commit=True)
    await session.run("go")
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=git_repo, capture_output=True, text=True
    ).stdout.splitlines()
    assert log == ["stepwise: replace_string_in_file: app.py", "initial"]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, capture_output=True, text=True).stdout
    assert status == ""
    assert len(session.checkpoints()) == 2  # undo still has its checkpoints


async def test_the_system_prompt_holds_agent_skills_memory_and_environment(git_repo, model_env):
    (git_repo / "AGENTS.md").write_text("Always run the tests.\n")
    model_env.script(text("hi"))
    session = open_session(git_repo, Scripted(), agent="backend-dev")
    await session.run("go")
    request = model_env.message_requests[0].body
    system = "".join(block["text"] for block in request["system"])
    assert "you are a senior backend engineer" in system.lower()
    for skill in ("backend-patterns", "api-best-practices", "security-patterns"):
        assert f"Skill: {skill}" in system
    assert "Always run the tests." in system
    assert f"Workspace: {git_repo}" in system and "Permission mode at start: default" in system
    assert [tool["name"] for tool in request["tools"]] == [
        "create_file",
        "replace_string_in_file",
        "read_file",
        "grep_search",
        "run_in_terminal",
        "exit_plan_mode",
    ]
    assert request["model"] == "claude-haiku-5-5"


async def test_resume_keeps_the_mode_and_a_flag_overrides_it(git_repo, model_env):
    model_env.script(text("one"))
    first = open_session(git_repo, Scripted(), permission_mode="acceptEdits")
    await first.run("go")
    first.set_mode("plan")
    await first.close()
    again = open_session(git_repo, Scripted(), continue_latest=True)
    assert again.id == first.id and again.mode == "plan"
    await again.close()
    flagged = open_session(git_repo, Scripted(), continue_latest=True, permission_mode="default")
    assert flagged.mode == "default"
    await flagged.close()
    record = read_session(first.path)
    assert [(e.new, e.by) for e in record.events if isinstance(e, ModeChange)] == [
        ("plan", "user"),
        ("default", "flag"),
    ]


async def test_undo_keeps_changes_made_by_hand_in_a_checkpoint(git_repo, model_env):
    import subprocess

    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("done"))
    session = open_session(git_repo, Scripted(), permission_mode="acceptEdits")
    await session.run("go")
    (git_repo / "notes.txt").write_text("my own notes\n")
    rewind = await session.undo()
    assert not (git_repo / "notes.txt").exists()
    assert rewind.saved is not None
    kept = subprocess.run(["git", "show", f"{rewind.saved}:notes.txt"], cwd=git_repo, capture_output=True, text=True)
    assert kept.stdout == "my own notes\n"


async def test_undo_of_an_edit_to_an_ignored_file_restores_it(git_repo, model_env):
    (git_repo / ".gitignore").write_text("*.log\n")
    (git_repo / "app.log").write_text("original\n")
    model_env.script(tool_use("create_file", {"filePath": "f1.txt", "content": "one\n"}))
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.log", "oldString": "original", "newString": "changed"})
    )
    model_env.script(text("done"))
    session = open_session(git_repo, Scripted(), permission_mode="acceptEdits")
    await session.run("go")
    assert (git_repo / "app.log").read_text() == "changed\n"
    rewind = await session.undo()
    assert (git_repo / "app.log").read_text() == "original\n"
    assert (git_repo / "f1.txt").exists(), "undo takes back only the last step"
    assert "app.log" in rewind.written
    await session.undo()
    assert not (git_repo / "f1.txt").exists()


async def test_a_failing_checkpoint_leaves_a_valid_conversation(git_repo, model_env, monkeypatch):
    model_env.script(
        tool_use("run_in_terminal", {"command": "echo a"}), tool_use("run_in_terminal", {"command": "echo b"})
    )
    model_env.script(text("next"))
    session = open_session(git_repo, Scripted(), permission_mode="bypassPermissions")

    def broken():
        raise RuntimeError("git is gone")

    monkeypatch.setattr(session, "before_change", broken)
    await session.run("go")
    results = last_results(model_env)
    assert [r["is_error"] for r in results] == [True, True]
    assert "could not record a checkpoint" in results[0]["content"]
    assert tool_pairing_problems(model_env.message_requests[-1].body["messages"]) == []


@pytest.mark.parametrize("content", ["permissions: [unclosed\n", "- a list\n"])
def test_a_broken_settings_file_warns_once(git_repo, model_env, content):
    broken = git_repo / ".stepwise" / "settings.yaml"
    broken.parent.mkdir()
    broken.write_text(content)
    session = open_session(git_repo, Scripted(), allow=["Bash(ls)"])
    assert [w for w in session.warnings if "settings.yaml" in w] == [w for w in session.warnings if str(broken) in w]
    assert len([w for w in session.warnings if "settings.yaml" in w]) == 1
    assert [r.text for r in session.permissions.rules.allow] == ["Bash(ls)"]


async def test_an_agents_tool_patterns_are_enforced_as_rules(git_repo, model_env):
    # `disallowedTools: Bash(rm:*)` was stored and never read; `tools` patterns allow, as in Claude Code.
    agents = git_repo / ".stepwise" / "agents"
    agents.mkdir(parents=True)
    (agents / "careful.md").write_text(
        "---\nname: careful\ndescription: d\ntools: [Bash(touch made:*), Read]\ndisallowedTools: Bash(rm:*)\n---\nBe careful.\n"
    )
    (git_repo / "keep.txt").write_text("x\n")
    model_env.script(tool_use("run_in_terminal", {"command": "rm keep.txt"}))
    model_env.script(tool_use("run_in_terminal", {"command": "touch made"}))
    model_env.script(text("done"))
    approver = Scripted()
    session = open_session(git_repo, approver, agent="careful", permission_mode="bypassPermissions")
    await session.run("go")
    decisions = [e for e in session.history() if isinstance(e, PermissionDecision)]
    assert decisions[0].behavior == "deny" and "Bash(rm:*) from agent careful" in decisions[0].reason
    assert (git_repo / "keep.txt").exists()
    assert decisions[1].behavior == "allow" and decisions[1].rule == "Bash(touch made:*)"
    assert approver.requests == []


async def test_approve_for_the_session_grants_one_rule_per_part(git_repo, model_env):
    approver = Scripted(Approval(ApprovalKind.SESSION, rule="run_in_terminal(echo:*), run_in_terminal(ls:*)"))
    model_env.script(tool_use("run_in_terminal", {"command": "echo one && ls"}))
    model_env.script(tool_use("run_in_terminal", {"command": "ls; echo two"}))
    model_env.script(text("done"))
    session = open_session(git_repo, approver)
    await session.run("go")
    assert len(approver.requests) == 1
    assert approver.requests[0].suggested_rule == "run_in_terminal(echo:*), run_in_terminal(ls:*)"
    decisions = [e for e in session.history() if isinstance(e, PermissionDecision)]
    assert [d.decided_by for d in decisions] == ["user", "session"]
