"""Connections to MCP servers on the official `mcp` SDK: one per server for the session's life.

`McpManager.start()` starts every trusted server in the background (its own
asyncio task, which owns the SDK `Client` and its transport) and returns at
once: the prompt never waits for a server. Each server goes `starting` ->
`ready` (its tools listed) or `failed` (the OS error, the timeout, or the
server's last stderr lines). Listeners hear every change, so the app's status
bar and print mode can follow.

A call on a server that crashed or closed the connection fails with a clear
error; the next call restarts the server once. A second crash leaves it
failed for the rest of the session.

Server stderr goes to `$STEPWISE_HOME/logs/mcp/<server>.log`, never to the
terminal the app draws on.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from tui.engine.config.home import stepwise_home
from tui.engine.mcp.config import McpConfigSet, McpServerConfig
from tui.engine.mcp.names import api_name
from tui.engine.mcp.tools import McpTool, McpToolInfo, bounded, repair_schema, result_text
from tui.engine.mcp.trust import TrustDecision, TrustStore
from tui.engine.tools.base import ToolOutput

State = Literal["untrusted", "disabled", "starting", "ready", "failed", "stopped"]

DEFAULT_STARTUP_TIMEOUT_S = 30.0
DEFAULT_CALL_TIMEOUT_S = 120.0
MAX_TOOLS_PAGES = 50
_LOG_TAIL_CHARS = 600


@dataclass
class ServerStatus:
    """What `stepwise mcp list`, `/mcp` and the status bar show about one server."""

    config: McpServerConfig
    trust: TrustDecision
    state: State
    error: str = ""
    tools: list[McpToolInfo] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Tools not offered, with why (a schema the API would refuse)."""

    def describe(self) -> dict[str, Any]:
        data = self.config.describe()
        data.update(
            trusted=self.trust.trusted,
            trust=self.trust.reason,
            status=self.state,
            launch=self.config.launch_line(),
        )
        if self.error:
            data["error"] = self.error
        data["tools"] = [
            {
                "name": tool.name,
                "server_tool": tool.tool,
                **({"shortened_from": tool.full_name} if tool.name != tool.full_name else {}),
                **({"schema_note": tool.note} if tool.note else {}),
                "description": tool.description,
                "input_schema": tool.input_schema,
            }
            for tool in self.tools
        ]
        if self.skipped:
            data["skipped_tools"] = list(self.skipped)
        return data


class _Connection:
    """One server's connection task and its client."""

    def __init__(self, manager: McpManager, status: ServerStatus) -> None:
        """Not connected until `start()`."""
        self.manager = manager
        self.status = status
        self.client: Any = None
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self.restarts = 0
        self._log: TextIO | None = None
        self._timed_out = False
        self._watchdog: asyncio.Task[None] | None = None
        self.crashed = False

    @property
    def config(self) -> McpServerConfig:
        return self.status.config

    def start(self) -> None:
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._timed_out = False
        self.client = None
        self.manager._set(self.status, "starting")
        self.task = asyncio.create_task(self._serve(), name=f"mcp-{self.config.name}")
        self._watchdog = asyncio.create_task(self._watch(self.task), name=f"mcp-{self.config.name}-watchdog")

    async def _watch(self, task: asyncio.Task[None]) -> None:
        """Cancel a start that takes too long (the connection task itself has no deadline once ready)."""
        try:
            await asyncio.wait_for(self.ready.wait(), self.manager.startup_timeout_s)
        except TimeoutError:
            self._timed_out = True
            task.cancel()

    async def _serve(self) -> None:
        try:
            async with self._client() as client:
                tools = await _list_tools(client)
                self.client = client
                self._offer(tools)
                self.manager._set(self.status, "ready")
                self.ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            if not self._timed_out:
                raise
            self._fail(f"did not start within {self.manager.startup_timeout_s:g} s{self._stderr_tail()}")
        except Exception as exc:  # noqa: BLE001 - a broken server must not end the session
            self._fail(f"{_describe_error(exc)}{self._stderr_tail()}")
        finally:
            self.client = None
            self.ready.set()
            if self._log is not None:
                self._log.close()
                self._log = None

    def _client(self) -> Any:
        from mcp import Client, StdioServerParameters

        config = self.config
        if config.transport == "stdio":
            from mcp.client.stdio import stdio_client

            params = StdioServerParameters(
                command=config.command, args=list(config.args), env=dict(config.env) or None, cwd=config.cwd
            )
            transport: Any = stdio_client(params, errlog=self._open_log())
        elif config.transport == "http":
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = httpx2.AsyncClient(headers=dict(config.headers), timeout=httpx2.Timeout(30.0, read=300.0))
            transport = _owning(http, streamable_http_client(config.url, http_client=http))
        else:
            from mcp.client.sse import sse_client

            transport = sse_client(config.url, headers=dict(config.headers) or None)
        return Client(transport, read_timeout_seconds=self.manager.call_timeout_s, mode="auto")

    def _open_log(self) -> TextIO:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._log = (folder / f"{_safe(self.config.name)}.log").open("a", encoding="utf-8")
        return self._log

    def _stderr_tail(self) -> str:
        if self.config.transport != "stdio":
            return ""
        if self._log is not None:
            self._log.flush()
        try:
            text = (log_dir() / f"{_safe(self.config.name)}.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        tail = bounded(text[-_LOG_TAIL_CHARS:].strip(), _LOG_TAIL_CHARS)
        return f"; its last output: {tail}" if tail else ""

    def _offer(self, tools: list[Any]) -> None:
        offered, skipped = [], []
        for tool in tools:
            schema, note = repair_schema(tool.input_schema)
            if schema is None:
                skipped.append(f"{tool.name}: {note}")
                continue
            annotations = getattr(tool, "annotations", None)
            offered.append(
                McpToolInfo(
                    server=self.config.name,
                    tool=tool.name,
                    name=api_name(self.config.name, tool.name),
                    description=tool.description or "",
                    input_schema=schema,
                    read_only_hint=getattr(annotations, "read_only_hint", None),
                    note=note,
                )
            )
        self.status.tools = offered
        self.status.skipped = skipped

    def _fail(self, message: str) -> None:
        if self.status.state != "stopped":
            self.status.error = message
            self.manager._set(self.status, "failed")

    async def stop(self) -> None:
        await self._end_task()
        self.manager._set(self.status, "stopped")

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolOutput:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        name = self.config.name
        if self.crashed and self.restarts == 0:
            self.restarts += 1
            self.crashed = False
            await self._end_task()
            self.start()
        await self.ready.wait()
        if self.client is None or self.status.state != "ready":
            return ToolOutput(f"Error: the MCP server {name} is not running: {self.status.error}", is_error=True)
        try:
            result = await self.client.call_tool(tool, arguments, read_timeout_seconds=self.manager.call_timeout_s)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                timeout = self.manager.call_timeout_s
                return ToolOutput(f"Error: the MCP server {name} did not answer within {timeout:g} s", is_error=True)
            if exc.code == CONNECTION_CLOSED:
                await asyncio.sleep(0)  # let the process exit be seen, so its stderr is complete
                self._crashed()
                return ToolOutput(f"Error: {self.status.error}", is_error=True)
            return ToolOutput(f"Error: the MCP server {name} refused the call: {exc.message}", is_error=True)
        except Exception as exc:  # noqa: BLE001 - a transport failure fails this call, not the session
            self._crashed(_describe_error(exc))
            return ToolOutput(f"Error: {self.status.error}", is_error=True)
        text = bounded(result_text(result.content, result.structured_content))
        return ToolOutput(text or "(no output)", is_error=bool(result.is_error))

    def _crashed(self, detail: str = "") -> None:
        again = "" if self.restarts == 0 else " again; it is not restarted a second time"
        retry = " (it is restarted on the next call)" if self.restarts == 0 else ""
        why = f": {detail}" if detail else ""
        self.crashed = True
        self.status.error = f"the MCP server {self.config.name} crashed or closed the connection{why}{again}{retry}"
        self.manager._set(self.status, "failed")
        self._stop.set()

    async def _end_task(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


class McpManager:
    """Every configured server of a session: trust, connections, tools and status."""

    def __init__(
        self,
        configs: McpConfigSet,
        trust: TrustStore,
        *,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    ) -> None:
        """Nothing starts here: `start()` launches the trusted servers."""
        self.configs = configs
        self.trust = trust
        self.startup_timeout_s = startup_timeout_s
        self.call_timeout_s = call_timeout_s
        self.statuses: dict[str, ServerStatus] = {}
        for name, config in configs.servers.items():
            decision = trust.decide(config)
            state: State = "disabled" if decision.disabled else ("stopped" if decision.trusted else "untrusted")
            self.statuses[name] = ServerStatus(config=config, trust=decision, state=state)
        self._connections: dict[str, _Connection] = {}
        self._listeners: list[Callable[[ServerStatus], None]] = []

    @property
    def warnings(self) -> list[str]:
        return self.configs.warnings

    def subscribe(self, listener: Callable[[ServerStatus], None]) -> None:
        self._listeners.append(listener)

    def _set(self, status: ServerStatus, state: State) -> None:
        status.state = state
        for listener in self._listeners:
            listener(status)

    def untrusted(self) -> list[ServerStatus]:
        return [s for s in self.statuses.values() if s.state == "untrusted"]

    def start(self) -> None:
        """Start every trusted server that is not running yet, in the background."""
        for name, status in self.statuses.items():
            if status.trust.trusted and name not in self._connections:
                connection = _Connection(self, status)
                self._connections[name] = connection
                connection.start()

    def approve(self, name: str, remember: bool = True) -> None:
        """Trust a project server (remembered for this project) and start it.

        Raises:
            OSError: the approval could not be saved (the server still starts for this session).
        """
        status = self.statuses[name]
        status.trust = TrustDecision(True, "approved by you for this project")
        try:
            if remember:
                self.trust.approve(status.config)
        finally:
            self.start()

    async def wait_ready(self) -> None:
        """Wait until every started server is ready or failed."""
        await asyncio.gather(*(c.ready.wait() for c in self._connections.values()))

    def tools(self) -> list[McpTool]:
        """The tools of every ready server."""
        return [
            McpTool(info, self.call)
            for status in self.statuses.values()
            if status.state == "ready"
            for info in status.tools
        ]

    async def call(self, server: str, tool: str, arguments: dict[str, Any]) -> ToolOutput:
        connection = self._connections.get(server)
        if connection is None:
            return ToolOutput(f"Error: the MCP server {server} is not running", is_error=True)
        return await connection.call(tool, arguments)

    async def close(self) -> None:
        await asyncio.gather(*(c.stop() for c in self._connections.values()))


def log_dir() -> Path:
    return stepwise_home() / "logs" / "mcp"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "server"


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        inner = exc.exceptions[0] if exc.exceptions else exc
        return _describe_error(inner)
    if isinstance(exc, OSError):
        return f"could not start: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}"


@contextlib.asynccontextmanager
async def _owning(http: Any, transport: Any) -> Any:
    """Enter `transport`, and close the HTTP client it was given afterwards."""
    async with http, transport as streams:
        yield streams


async def _list_tools(client: Any) -> list[Any]:
    tools: list[Any] = []
    cursor = None
    for _ in range(MAX_TOOLS_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
