"""The connection manager against a real MCPServer over stdio: crashes, restarts, timeouts."""

import sys

from tests.support.mcp_servers import stdio_entry, write_server
from tui.engine.mcp.client import McpManager
from tui.engine.mcp.config import McpConfigSet, parse_entry
from tui.engine.mcp.trust import TrustStore


def manager(tmp_path, **entries) -> McpManager:
    configs = McpConfigSet()
    for name, entry in entries.items():
        configs.add(parse_entry(name, entry, scope="cli", source="test"))
    return McpManager(configs, TrustStore(tmp_path))


async def test_a_crashed_server_fails_its_call_and_is_restarted_once(tmp_path, homes):
    server = write_server(tmp_path)
    mcp = manager(tmp_path, calc=stdio_entry(server, tmp_path / "ran"))
    seen: list[str] = []
    mcp.subscribe(lambda status: seen.append(status.state))
    mcp.start()
    await mcp.wait_ready()
    try:
        assert (await mcp.call("calc", "add", {"a": 1, "b": 2})).content == "3"
        crashed = await mcp.call("calc", "crash", {})
        assert crashed.is_error and "crashed or closed the connection" in crashed.content
        assert "restarted on the next call" in crashed.content
        assert (await mcp.call("calc", "add", {"a": 2, "b": 2})).content == "4"
        again = await mcp.call("calc", "crash", {})
        assert again.is_error and "not restarted a second time" in again.content
        after = await mcp.call("calc", "add", {"a": 1, "b": 1})
        assert after.is_error and "not running" in after.content
    finally:
        await mcp.close()
    assert seen[:2] == ["starting", "ready"] and seen.count("ready") == 2


async def test_a_server_that_never_answers_times_out_with_its_output(tmp_path, homes):
    script = tmp_path / "silent.py"
    script.write_text("import sys, time\nprint('booting slowly', file=sys.stderr, flush=True)\ntime.sleep(60)\n")
    mcp = manager(tmp_path, slow={"command": sys.executable, "args": [str(script)]})
    mcp.startup_timeout_s = 3
    mcp.start()
    await mcp.wait_ready()
    await mcp.close()
    error = mcp.statuses["slow"].error
    assert "did not start within 3 s" in error and "booting slowly" in error
