"""MCP end to end: a real MCPServer (the SDK's FastMCP) over stdio and streamable HTTP, the real SDK
client, `stepwise mcp list/get`, and print mode against the scripted API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fake_anthropic import text, tool_use
from tests.support.mcp_servers import HttpServer, stdio_entry, write_server
from tui.cli import main
from tui.engine.mcp.config import load_mcp_configs
from tui.engine.mcp.trust import TrustStore
from tui.engine.session.events import ToolCall
from tui.engine.session.log import read_session


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    return write_server(tmp_path)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "server-ran.txt"


def write_config(path: Path, **servers: dict) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def run_print(capsys, repo: Path, *flags: str) -> tuple[int, dict, str]:
    code = main(["-p", "add 2 and 3", "--cwd", str(repo), "--output-format", "json", *flags])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def offered(request) -> dict[str, dict]:
    return {tool["name"]: tool for tool in request.body.get("tools", [])}


def script_add(model_env) -> None:
    model_env.script(tool_use("mcp__calc__add", {"a": 2, "b": 3}))
    model_env.script(text("The sum is 5."))


def last_tool_result(model_env) -> dict:
    return next(b for b in model_env.message_requests[-1].body["messages"][-1]["content"] if b["type"] == "tool_result")


def test_mcp_list_and_get_show_a_stdio_server_and_its_tools(capsys, git_repo, server_file, marker, tmp_path):
    config = write_config(tmp_path / "servers.json", calc=stdio_entry(server_file, marker))
    assert main(["mcp", "list", "--cwd", str(git_repo), "--mcp-config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "calc" in listing and "ready" in listing and str(config) in listing
    assert main(["mcp", "get", "calc", "--json", "--cwd", str(git_repo), "--mcp-config", str(config)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "ready" and shown["trusted"] is True
    add = next(tool for tool in shown["tools"] if tool["name"] == "mcp__calc__add")
    assert add["input_schema"]["properties"].keys() == {"a", "b"}
    assert main(["mcp", "get", "nope", "--cwd", str(git_repo)]) == 1


def test_print_mode_offers_the_tool_and_denies_it_in_default_mode(
    capsys, git_repo, model_env, server_file, marker, tmp_path
):
    config = write_config(tmp_path / "servers.json", calc=stdio_entry(server_file, marker))
    script_add(model_env)
    code, result, _ = run_print(capsys, git_repo, "--mcp-config", str(config))
    assert code == 0
    add = offered(model_env.message_requests[0])["mcp__calc__add"]
    assert add["input_schema"]["type"] == "object"
    assert add["input_schema"]["required"] == ["a", "b"]
    assert add["description"] == "Add two whole numbers."
    assert [d["tool"] for d in result["permission_denials"]] == ["mcp__calc__add"]
    sent = last_tool_result(model_env)
    assert sent["is_error"] is True and "not run" in sent["content"]


def test_an_allow_rule_runs_the_tool_and_its_result_reaches_the_model(
    capsys, git_repo, model_env, server_file, marker, tmp_path
):
    config = write_config(tmp_path / "servers.json", calc=stdio_entry(server_file, marker))
    script_add(model_env)
    code, result, _ = run_print(capsys, git_repo, "--mcp-config", str(config), "--allow", "mcp__calc__add")
    assert code == 0 and result["permission_denials"] == []
    sent = last_tool_result(model_env)
    assert sent["content"] == "5" and "is_error" not in sent
    record = read_session(Path(result["session_path"]))
    call = next(e for e in record.events if isinstance(e, ToolCall))
    assert call.name == "mcp__calc__add" and call.target == "calc: add"


def test_a_trusted_project_server_starts_from_mcp_json(capsys, git_repo, model_env, server_file, marker):
    write_config(git_repo / ".mcp.json", calc=stdio_entry(server_file, marker))
    configs = load_mcp_configs(git_repo)
    TrustStore(git_repo).approve(configs.servers["calc"])
    script_add(model_env)
    code, _, _ = run_print(capsys, git_repo, "--allow", "mcp__calc")
    assert code == 0
    assert last_tool_result(model_env)["content"] == "5"


def test_an_untrusted_project_server_never_runs_in_print_mode(capsys, git_repo, model_env, server_file, marker):
    write_config(git_repo / ".mcp.json", calc=stdio_entry(server_file, marker))
    model_env.script(text("No tools."))
    code, _, err = run_print(capsys, git_repo, "--allow", "mcp__calc")
    assert code == 0
    assert "MCP server calc" in err and "not started" in err
    assert "mcp__calc__add" not in offered(model_env.message_requests[0])
    assert not marker.exists()


def test_claude_codes_approval_in_the_users_settings_is_honoured(
    capsys, git_repo, model_env, server_file, marker, stepwise_home
):
    write_config(git_repo / ".mcp.json", calc=stdio_entry(server_file, marker))
    claude = stepwise_home.parent / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text(json.dumps({"enabledMcpjsonServers": ["calc"]}))
    script_add(model_env)
    code, _, _ = run_print(capsys, git_repo, "--allow", "mcp__calc__*")
    assert code == 0
    assert last_tool_result(model_env)["content"] == "5"


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_an_http_server_works_like_stdio(capsys, git_repo, model_env, server_file, marker, tmp_path, transport):
    server = HttpServer(server_file, marker, transport)
    try:
        config = write_config(tmp_path / "servers.json", calc={"type": transport, "url": server.url})
        script_add(model_env)
        code, _, _ = run_print(capsys, git_repo, "--mcp-config", str(config), "--allow", "mcp__calc")
    finally:
        server.stop()
    assert code == 0
    assert "mcp__calc__add" in offered(model_env.message_requests[0])
    assert last_tool_result(model_env)["content"] == "5"


def test_a_server_that_cannot_start_is_reported_and_the_run_goes_on(capsys, git_repo, model_env, tmp_path):
    config = write_config(tmp_path / "servers.json", gone={"command": str(tmp_path / "no-such-server")})
    model_env.script(text("Fine without it."))
    code, result, err = run_print(capsys, git_repo, "--mcp-config", str(config))
    assert code == 0 and result["result"] == "Fine without it."
    assert "MCP server gone" in err and "No such file or directory" in err


def test_mcp_calls_are_recorded_verified_and_exported(capsys, git_repo, model_env, server_file, marker, tmp_path):
    config = write_config(tmp_path / "servers.json", calc=stdio_entry(server_file, marker))
    note = git_repo / "note.txt"
    model_env.script(tool_use("mcp__calc__write_note", {"path": str(note), "text": "from the server\n"}))
    model_env.script(text("Wrote it."))
    code, result, _ = run_print(capsys, git_repo, "--mcp-config", str(config), "--allow", "mcp__calc")
    assert code == 0 and note.read_text() == "from the server\n"
    session = result["session_path"]
    record = read_session(Path(session))
    assert [e.label for e in record.events if e.type == "checkpoint"][-1].startswith("mcp__calc__write_note")
    assert main(["replay", session, "--verify"]) == 0
    capsys.readouterr()
    assert main(["export", session, "--format", "md"]) == 0
    exported = capsys.readouterr().out
    assert "mcp__calc__write_note: calc: write_note" in exported and "written" in exported


def test_results_are_bounded_text_and_errors_stay_errors(capsys, git_repo, model_env, server_file, marker, tmp_path):
    config = write_config(tmp_path / "servers.json", calc=stdio_entry(server_file, marker))
    model_env.script(tool_use("mcp__calc__picture", {}), tool_use("mcp__calc__fail", {}))
    model_env.script(text("ok"))
    code, _, _ = run_print(capsys, git_repo, "--mcp-config", str(config), "--allow", "mcp__calc")
    assert code == 0
    picture, fail = [
        b for b in model_env.message_requests[-1].body["messages"][-1]["content"] if b["type"] == "tool_result"
    ]
    assert (
        picture["content"]
        == "here it is\n[image: image/png, 5 bytes, not shown]\n[resource link: file:///tmp/x.txt (x)]"
    )
    assert fail["is_error"] is True and "Error executing tool fail" in fail["content"]
