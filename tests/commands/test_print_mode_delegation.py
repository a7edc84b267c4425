"""`stepwise -p` delegating to a sub-agent: the real SDK against the scripted server, in a temp git repo."""

import json
import shutil
from pathlib import Path

import pytest

from tests.support.fake_anthropic import text, tool_pairing_problems, tool_use
from tui.cli import main
from tui.engine.model.aliases import default_aliases
from tui.engine.session.events import SubagentEnd, SubagentEvent, SubagentStart, ToolCall, ToolResult
from tui.engine.session.log import read_session

SEED = Path("/work/shared/seeds/backend-dev.md")
SKILLS = ("backend-patterns", "api-best-practices", "security-patterns")
EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}


@pytest.fixture
def backend_dev(git_repo):
    """The spec's seed agent in the project's `.claude/agents/`, with its three skills in `.claude/skills/`."""
    agents = git_repo / ".claude" / "agents"
    agents.mkdir(parents=True)
    if SEED.is_file():
        shutil.copy(SEED, agents / "backend-dev.md")
    else:  # a clean clone without the shared seeds: the same frontmatter
        shutil.copy(Path(__file__).parents[2] / "agents" / "backend-dev.md", agents / "backend-dev.md")
    for name in SKILLS:
        folder = git_repo / ".claude" / "skills" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: d\n---\nSKILL-MARKER-{name}\n")
    return agents / "backend-dev.md"


def run_print(capsys, repo, *flags):
    code = main(["-p", "make the greeting shorter", "--cwd", str(repo), "--output-format", "json", *flags])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def script_delegation(server):
    task = tool_use(
        "Task",
        {
            "description": "Shorten the greeting",
            "prompt": "Change 'hello ' to 'hi ' in app.py.",
            "subagent_type": "backend-dev",
        },
    )
    server.script(text("Delegating."), task)
    server.script(text("Editing."), tool_use("replace_string_in_file", EDIT))
    server.script(text("backend-complete: the greeting is shorter."))
    server.script(text("The sub-agent shortened the greeting."))
    return task["id"]


def test_a_task_call_runs_backend_dev_with_its_model_tools_and_prompt(capsys, git_repo, model_env, backend_dev):
    task_id = script_delegation(model_env)
    code, result, err = run_print(capsys, git_repo, "--permission-mode", "acceptEdits")
    assert code == 0, err
    main_request, sub_first, sub_second, main_next = (r.body for r in model_env.message_requests)

    offered = {tool["name"]: tool for tool in main_request["tools"]}
    assert "backend-dev: Backend developer specialist" in offered["run_subagent"]["description"]

    assert sub_first["model"] == default_aliases()["haiku"]
    assert [tool["name"] for tool in sub_first["tools"]] == [
        "create_file", "replace_string_in_file", "read_file", "grep_search", "run_in_terminal"
    ]  # fmt: skip
    system = "".join(block["text"] for block in sub_first["system"])
    assert "You are a backend development specialist" in system
    assert all(f"SKILL-MARKER-{name}" in system for name in SKILLS)
    # A fresh conversation: only the delegated prompt.
    assert [(m["role"], [b["text"] for b in m["content"]]) for m in sub_first["messages"]] == [
        ("user", ["Change 'hello ' to 'hi ' in app.py."])
    ]
    assert sub_second["model"] == default_aliases()["haiku"]

    # acceptEdits in the session lets the sub-agent's edit through the same permission engine.
    assert (git_repo / "app.py").read_text() == "def greet(name):\n    return 'hi ' + name\n"
    assert main_next["model"] != default_aliases()["haiku"]
    assert tool_pairing_problems(main_next["messages"]) == []
    returned = main_next["messages"][-1]["content"][0]
    assert returned["tool_use_id"] == task_id and "is_error" not in returned
    assert returned["content"].startswith("backend-complete: the greeting is shorter.")
    assert "It changed app.py (step 1)" in returned["content"]
    assert result["result"] == "The sub-agent shortened the greeting."
    assert set(result["usage_by_agent"]) == {"general", "backend-dev"}
    assert result["usage_by_agent"]["backend-dev"]["output_tokens"] > 0

    # The log nests the sub-agent's run under the parent's call.
    events = read_session(Path(result["session_path"])).events
    start = next(e for e in events if isinstance(e, SubagentStart))
    assert (start.tool_use_id, start.agent, start.parent_agent) == (task_id, "backend-dev", "general")
    nested = [e for e in events if isinstance(e, SubagentEvent)]
    assert nested and all((e.run_id, e.agent) == (start.run_id, "backend-dev") for e in nested)
    inner_types = [e.event["type"] for e in nested]
    assert inner_types[0] == "user_message" and "edit_applied" in inner_types
    end = next(e for e in events if isinstance(e, SubagentEnd))
    assert (end.reason, end.files, end.steps) == ("end_turn", ["app.py"], [1])
    order = [type(e) for e in events if isinstance(e, ToolCall | SubagentStart | SubagentEnd | ToolResult)]
    assert order == [ToolCall, SubagentStart, SubagentEnd, ToolResult]


def test_in_default_mode_the_sub_agents_edit_is_denied_and_reported(capsys, git_repo, model_env, backend_dev):
    script_delegation(model_env)
    code, result, err = run_print(capsys, git_repo)
    assert code == 0, err
    assert (git_repo / "app.py").read_text() == "def greet(name):\n    return 'hello ' + name\n"
    sub_second = model_env.message_requests[2].body
    denied = sub_second["messages"][-1]["content"][0]
    assert denied["is_error"] is True and "not run" in denied["content"]
    assert [(d["agent"], d["tool"]) for d in result["permission_denials"]] == [
        ("backend-dev", "replace_string_in_file")
    ]
    returned = model_env.message_requests[3].body["messages"][-1]["content"][0]
    assert "It changed no files." in returned["content"] and "Denied 1 call" in returned["content"]


def test_an_unknown_agent_is_an_error_listing_the_agents(capsys, git_repo, model_env, backend_dev):
    model_env.script(tool_use("Agent", {"description": "x", "prompt": "do it", "subagent_type": "frontend"}))
    model_env.script(text("ok"))
    code, _, err = run_print(capsys, git_repo)
    assert code == 0, err
    returned = model_env.message_requests[1].body["messages"][-1]["content"][0]
    assert returned["is_error"] is True
    assert "no agent named 'frontend'" in returned["content"] and "backend-dev" in returned["content"]
