"""MCP servers in the app, in a real terminal (tmux): trusting a project server, then a call that asks."""

import json
import sys

import pytest

from tests.support.fake_anthropic import cited, server_tool_use, text, tool_use, web_search_result
from tests.support.mcp_servers import stdio_entry, write_server
from tests.support.tmux import Tmux

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")


def test_a_project_server_is_trusted_once_and_its_first_call_asks(git_repo, fake_anthropic, api_terminal_env, tmp_path):
    marker = tmp_path / "server-ran.txt"
    entry = stdio_entry(write_server(tmp_path), marker)
    (git_repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"calc": entry}}))
    fake_anthropic.script(tool_use("mcp__calc__add", {"a": 2, "b": 3}))
    fake_anthropic.script(text("The sum is five."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("Start the MCP server calc?")
        # The command line wraps in the pane: read it with the pane's borders and line ends taken out.
        term.wait_for(lambda screen: "calc_server.py" in "".join(line.strip("│▏ ") for line in screen.splitlines()))
        term.wait_for("runs:")
        assert not marker.exists()
        term.send("y")
        term.wait_for("MCP 1 ready")
        assert marker.exists()
        term.type("add two and three")
        term.send("Enter")
        screen = term.wait_for("Call the MCP tool add of server calc?")
        assert "server: calc" in screen and '"a": 2' in screen and '"b": 3' in screen
        term.send("y")
        term.wait_for("The sum is five.")
        result = fake_anthropic.message_requests[-1].body["messages"][-1]["content"][0]
        assert result["type"] == "tool_result" and result["content"] == "5"
    finally:
        term.close()
    trust = json.loads((tmp_path / "home" / "stepwise" / "mcp-trust.json").read_text())
    assert list(trust["projects"][str(git_repo)]) == ["calc"]


def test_a_web_search_asks_showing_its_query(git_repo, fake_anthropic, api_terminal_env):
    source = ("Pilot docs", "https://textual.textualize.io/guide/testing/")
    fake_anthropic.script(tool_use("web_search", {"query": "textual pilot testing"}))
    search = server_tool_use("web_search", {"query": "textual pilot testing"})
    fake_anthropic.script(search, web_search_result(search["id"], [source]), cited("Use app.run_test().", source))
    fake_anthropic.script(text("Search done."))
    env = api_terminal_env
    term = Tmux(f"{sys.executable} -m tui.cli", cwd=git_repo, env=env)
    try:
        term.wait_for("ready")
        term.type("how do I test a Textual app")
        term.send("Enter")
        term.wait_for("Search the web for: textual pilot testing?")
        assert len(fake_anthropic.message_requests) == 1, "nothing is searched before approval"
        term.send("y")
        term.wait_for("Search done.")
    finally:
        term.close()
    sub = fake_anthropic.message_requests[1].body
    assert sub["tools"][0]["type"] == "web_search_20250305"
    result = fake_anthropic.message_requests[2].body["messages"][-1]["content"][0]
    assert result["content"].endswith(f"- {source[0]} <{source[1]}>")
