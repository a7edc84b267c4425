"""Delegation against the scripted server: modes, grants, depth, limits, cancel, resume, the task list."""

import pytest

from tests.support.fake_anthropic import text, tool_use
from tui.engine.permissions.modes import subagent_mode
from tui.engine.session.approval import Approval, ApprovalKind
from tui.engine.session.events import SubagentEnd, SubagentStart, TodoUpdate, ToolResult
from tui.engine.session.session import Session, SessionOptions

EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}


class Scripted:
    """An approver answering from a list (or a callable per request), recording the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    decided_by = "user"

    async def __call__(self, request):
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


def agent_file(repo, name, frontmatter=""):
    folder = repo / ".claude" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: The {name} agent.\n{frontmatter}---\nYou are {name}.\n"
    )


def delegate(agent, prompt="do the task"):
    return tool_use("Task", {"description": "a task", "prompt": prompt, "subagent_type": agent})


def results_of(server, index):
    return [b for b in server.message_requests[index].body["messages"][-1]["content"] if b["type"] == "tool_result"]


@pytest.mark.parametrize(
    ("session", "agent", "expected"),
    [
        ("default", "acceptEdits", "default"),
        ("plan", "acceptEdits", "plan"),
        ("plan", "bypassPermissions", "plan"),
        ("default", "plan", "plan"),
        ("default", "dontAsk", "dontAsk"),
        ("acceptEdits", "default", "acceptEdits"),
        ("acceptEdits", "plan", "acceptEdits"),
        ("bypassPermissions", "default", "bypassPermissions"),
        ("dontAsk", "acceptEdits", "dontAsk"),
    ],
)
def test_a_sub_agents_mode_is_never_looser_than_the_sessions(session, agent, expected):
    assert subagent_mode(session, agent) == expected


async def test_a_grant_given_to_a_sub_agent_holds_for_the_whole_session(git_repo, model_env):
    agent_file(git_repo, "runner", "tools: Bash\npermissionMode: acceptEdits\n")
    model_env.script(delegate("runner"))
    model_env.script(tool_use("run_in_terminal", {"command": "echo one"}))
    model_env.script(text("ran it"))
    model_env.script(tool_use("run_in_terminal", {"command": "echo two"}))
    model_env.script(text("done"))
    approver = Scripted(Approval(ApprovalKind.SESSION, rule="run_in_terminal(echo:*)"))
    session = Session.open(SessionOptions(cwd=git_repo), approver)
    await session.run("go")
    [request] = approver.requests
    assert (request.agent, request.delegated_by) == ("runner", "general")
    assert request.asker_line == "runner (sub-agent of general) wants to run echo one"
    assert "two" in results_of(model_env, 4)[0]["content"]
    # The sub-agent asked for acceptEdits; the session is in default, so its commands ask too.
    start = next(e for e in session.history() if isinstance(e, SubagentStart))
    assert start.permission_mode == "default"


async def test_a_sub_agent_cannot_delegate_again(git_repo, model_env):
    agent_file(git_repo, "helper")  # no `tools`: every tool, but never run_subagent
    model_env.script(delegate("helper"))
    model_env.script(delegate("helper", "nested"))
    model_env.script(text("could not nest"))
    model_env.script(text("ok"))
    session = Session.open(SessionOptions(cwd=git_repo), Scripted())
    await session.run("go")
    sub_tools = [t["name"] for t in model_env.message_requests[1].body["tools"]]
    assert "run_subagent" not in sub_tools and "manage_todo_list" in sub_tools
    refused = results_of(model_env, 2)[0]
    assert refused["is_error"] is True and "not one of your tools" in refused["content"]


async def test_max_turns_and_an_unknown_model_return_what_the_sub_agent_has(git_repo, model_env):
    agent_file(git_repo, "brief", "model: GPT-4.1\nmaxTurns: 1\n")
    model_env.script(delegate("brief"))
    model_env.script(text("Halfway there."), tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(text("ok"))
    session = Session.open(SessionOptions(cwd=git_repo, model="opus"), Scripted())
    outcome = await session.run("go")
    assert outcome.reason == "end_turn"
    assert model_env.message_requests[1].body["model"] == model_env.message_requests[0].body["model"]
    report = results_of(model_env, 2)[0]
    assert "is_error" not in report
    assert report["content"].startswith("Halfway there.")
    assert "stopped at its maxTurns" in report["content"]
    assert "Warning: model 'GPT-4.1' is not a Claude model alias or id" in report["content"]


async def test_an_interrupt_while_a_sub_agent_asks_cancels_it_and_the_parents_turn(git_repo, model_env):
    agent_file(git_repo, "editor", "tools: Edit\n")
    model_env.script(delegate("editor"))
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.respond_with(lambda body: [text("never shown")])
    holder = {}

    def interrupt(request):
        holder["session"].cancel()
        return Approval.deny("the user interrupted")

    session = Session.open(SessionOptions(cwd=git_repo), Scripted(interrupt))
    holder["session"] = session
    outcome = await session.run("go")
    assert outcome.reason == "cancelled"
    end = next(e for e in session.history() if isinstance(e, SubagentEnd))
    assert end.reason == "cancelled"
    result = next(e for e in session.history() if isinstance(e, ToolResult) and e.tool_use_id == end.tool_use_id)
    assert result.is_error and result.content.startswith("Cancelled.")
    assert "hello" in (git_repo / "app.py").read_text()


async def test_resume_rebuilds_the_parent_without_the_sub_agents_conversation(git_repo, model_env):
    agent_file(git_repo, "editor", "tools: Edit\n")
    model_env.script(delegate("editor", "SUB-PROMPT"))
    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("SUB-FINAL"))
    model_env.script(text("done"))
    session = Session.open(SessionOptions(cwd=git_repo, permission_mode="acceptEdits"), Scripted())
    await session.run("go")
    await session.close()
    assert set(session.usage_by_agent) == {"general", "editor"}

    resumed = Session.open(SessionOptions(cwd=git_repo, resume=session.id), Scripted())
    sent = repr(resumed.loop.conversation.messages)
    assert "SUB-PROMPT" in sent  # the parent's own tool call carries the prompt ...
    assert sent.count("SUB-PROMPT") == 1  # ... but the sub-agent's conversation is not re-sent
    assert "SUB-FINAL" in sent  # its report is the parent's tool result
    assert resumed.usage_by_agent == session.usage_by_agent
    # Its step is one of the session's: undo takes it back.
    assert "hi" in (git_repo / "app.py").read_text()
    await resumed.undo()
    assert "hello" in (git_repo / "app.py").read_text()
    await resumed.close()


async def test_the_task_list_is_logged_and_restored_on_resume(git_repo, model_env):
    todos = [
        {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
        {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
    ]
    model_env.script(tool_use("TodoWrite", {"todos": todos}))
    model_env.script(text("listed"))
    session = Session.open(SessionOptions(cwd=git_repo), Scripted())
    await session.run("go")
    await session.close()
    [update] = [e for e in session.history() if isinstance(e, TodoUpdate)]
    assert [(i["content"], i["status"], i["active_form"]) for i in update.items] == [
        ("Read the code", "completed", "Reading the code"),
        ("Fix the bug", "in_progress", "Fixing the bug"),
    ]
    result = results_of(model_env, 1)[0]
    assert "[x] Read the code" in result["content"] and "[~] Fix the bug" in result["content"]
    resumed = Session.open(SessionOptions(cwd=git_repo, resume=session.id), Scripted())
    assert resumed.todos == update.items
    await resumed.close()


def test_cost_lists_each_agent_only_when_there_are_several():
    from tui.engine.session.delegation import usage_by_agent_lines

    one = {"general": {"input_tokens": 10, "output_tokens": 2, "cost_usd": 0.001}}
    assert usage_by_agent_lines(one) == []
    two = {
        **one,
        "backend-dev": {"input_tokens": 1200, "cache_read_input_tokens": 300, "output_tokens": 80, "cost_usd": 0.0031},
    }
    assert usage_by_agent_lines(two) == ["general: 10 in, 2 out, $0.0010", "backend-dev: 1,500 in, 80 out, $0.0031"]


async def test_a_sub_agent_gets_nested_memory_on_its_first_read_shown_under_its_run(git_repo, model_env):
    from tui.engine.session.events import ContextAttached, SubagentEvent
    from tui.presentation.transcript import DelegationEntry, NoteEntry, ToolEntry, fold

    (git_repo / "pkg").mkdir()
    (git_repo / "pkg" / "CLAUDE.md").write_text("Use tabs in pkg.\n")
    (git_repo / "pkg" / "x.py").write_text("X = 1\n")
    agent_file(git_repo, "reader", "tools: Read\n")
    model_env.script(delegate("reader"))
    model_env.script(tool_use("read_file", {"filePath": "pkg/x.py"}))
    model_env.script(tool_use("read_file", {"filePath": "pkg/x.py"}))
    model_env.script(text("read it"))
    model_env.script(tool_use("read_file", {"filePath": "pkg/x.py"}))
    model_env.script(text("done"))
    session = Session.open(SessionOptions(cwd=git_repo), Scripted())
    await session.run("go")
    first, again = results_of(model_env, 2)[0], results_of(model_env, 3)[0]
    assert "Instructions from pkg/CLAUDE.md" in first["content"] and "Use tabs in pkg." in first["content"]
    assert "Instructions from pkg/CLAUDE.md" not in again["content"]  # once per conversation
    # The session agent's own conversation never saw it: its first read attaches it too.
    assert "Instructions from pkg/CLAUDE.md" in results_of(model_env, 5)[0]["content"]
    nested = [e for e in session.history() if isinstance(e, SubagentEvent) and e.event["type"] == "context_attached"]
    assert [e.event["paths"] for e in nested] == [["pkg/CLAUDE.md"]]
    assert [e.paths for e in session.history() if isinstance(e, ContextAttached)] == [["pkg/CLAUDE.md"]]
    [run] = [e.delegation for e in fold(session.history()) if isinstance(e, ToolEntry) and e.delegation]
    assert isinstance(run, DelegationEntry)
    notes = [entry.text for entry in run.entries if isinstance(entry, NoteEntry)]
    assert "Instructions attached for the file just read: pkg/CLAUDE.md" in notes


async def test_a_sub_agents_frontmatter_pre_tool_use_hook_blocks_its_command(git_repo, model_env):
    import sys

    from tui.engine.session.events import HookRan, SubagentEvent

    guard = git_repo / "guard.py"
    guard.write_text(
        "import json, sys\n"
        "call = json.load(sys.stdin)\n"
        "if call['tool_input']['command'].startswith('rm '):\n"
        "    print('the runner may not rm', file=sys.stderr); sys.exit(2)\n"
    )
    hooks = (
        "hooks:\n  PreToolUse:\n    - matcher: Bash\n      hooks:\n"
        f"        - type: command\n          command: {sys.executable} {guard}\n"
        "  Stop:\n    - hooks:\n        - type: command\n          command: echo stopped >> stop.log\n"
    )
    agent_file(git_repo, "runner", "tools: Bash\n" + hooks)
    model_env.script(delegate("runner"))
    model_env.script(tool_use("run_in_terminal", {"command": "rm README.md"}))
    model_env.script(text("could not"))
    model_env.script(tool_use("run_in_terminal", {"command": "rm README.md"}))
    model_env.script(text("done"))
    approver = Scripted(Approval(ApprovalKind.ONCE))
    session = Session.open(SessionOptions(cwd=git_repo), approver)
    assert any("new hook in agent runner: PreToolUse Bash" in w for w in session.warnings)
    await session.run("go")
    blocked = results_of(model_env, 2)[0]
    assert blocked["is_error"] is True and "the runner may not rm" in blocked["content"]
    # Its Stop hook ran when it finished (as SubagentStop), once, not at the session agent's stop.
    assert (git_repo / "stop.log").read_text() == "stopped\n"
    ran = [e.event for e in session.history() if isinstance(e, SubagentEvent) and e.event["type"] == "hook_ran"]
    assert [r["event"] for r in ran] == ["PreToolUse", "SubagentStop"]
    assert [e.event for e in session.history() if isinstance(e, HookRan)] == []
    # The hook is the sub-agent's alone: the session agent's own rm is asked about and runs.
    assert [r.agent for r in approver.requests] == [""]
    assert not (git_repo / "README.md").exists()


async def test_the_sessions_stop_hooks_run_when_the_session_agent_stops_not_the_sub_agent(git_repo, model_env):
    import json

    (git_repo / ".claude").mkdir()
    stop = {"hooks": [{"type": "command", "command": "echo stop >> hooks.log"}]}
    subagent_stop = {"hooks": [{"type": "command", "command": "echo subagent-stop >> hooks.log"}]}
    settings = {"hooks": {"Stop": [stop], "SubagentStop": [subagent_stop]}}
    (git_repo / ".claude" / "settings.json").write_text(json.dumps(settings))
    agent_file(git_repo, "reader", "tools: Read\n")
    model_env.script(delegate("reader"))
    model_env.script(text("read it"))
    model_env.script(text("done"))
    session = Session.open(SessionOptions(cwd=git_repo), Scripted())
    await session.run("go")
    assert (git_repo / "hooks.log").read_text().split() == ["subagent-stop", "stop"]


async def test_subagent_start_hooks_match_the_agent_and_add_context_to_its_prompt(git_repo, model_env):
    import json
    import sys

    script = git_repo / "start_hook.py"
    script.write_text(
        "import json, sys\n"
        "open('start.json', 'w').write(sys.stdin.read())\n"
        "print(json.dumps({'hookSpecificOutput': {'additionalContext': 'The build server is down today.'}}))\n"
    )
    started = {"type": "command", "command": f"{sys.executable} {script}"}
    other = {"type": "command", "command": "touch other-ran"}
    settings = {
        "hooks": {"SubagentStart": [{"matcher": "runner", "hooks": [started]}, {"matcher": "other", "hooks": [other]}]}
    }
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(json.dumps(settings))
    agent_file(git_repo, "runner", "tools: Read\n")
    model_env.script(delegate("runner", prompt="check the build"))
    model_env.script(text("noted"))
    model_env.script(text("done"))
    session = Session.open(SessionOptions(cwd=git_repo), Scripted())
    await session.run("go")
    first = model_env.message_requests[1].body["messages"][0]["content"]
    sent = first if isinstance(first, str) else " ".join(b.get("text", "") for b in first)
    assert "check the build" in sent and "The build server is down today." in sent
    start = json.loads((git_repo / "start.json").read_text())
    assert (start["hook_event_name"], start["agent_type"]) == ("SubagentStart", "runner")
    assert start["agent_id"].startswith("run-")
    assert not (git_repo / "other-ran").exists()
