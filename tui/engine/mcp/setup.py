"""A session's MCP servers: built from the configuration, filtered by the agent, resolved by name.

`open_manager` reads every source (`tui.engine.mcp.config`) and the trust
store; `McpToolset` gives the loop the tools of the ready servers that the
agent may use, and resolves the names the model calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine.mcp.client import DEFAULT_CALL_TIMEOUT_S, DEFAULT_STARTUP_TIMEOUT_S, McpManager, ServerStatus
from tui.engine.mcp.config import load_mcp_configs
from tui.engine.mcp.names import TRUST_REQUEST_PREFIX, covers, is_mcp_name
from tui.engine.mcp.tools import McpTool
from tui.engine.mcp.trust import TrustStore
from tui.engine.permissions.pathguard import relative_to_root
from tui.engine.session.approval import ApprovalRequest
from tui.engine.tools.kinds import ToolKind

if TYPE_CHECKING:
    from tui.engine.agents.files import Agent
    from tui.engine.config.settings import Settings

AGENT_KEYS = ("mcpServers", "mcp-servers")
"""Frontmatter keys declaring servers for one agent (Claude Code, Copilot)."""


def agent_servers(agent: Agent | None) -> Any:
    """The agent's own `mcpServers` value, or None."""
    if agent is None:
        return None
    for key in AGENT_KEYS:
        if agent.extra.get(key) is not None:
            return agent.extra[key]
    return None


def agent_allows(agent: Agent | None, full_name: str) -> bool:
    """Whether the agent may use the MCP tool `full_name`: every one when it has no `tools` list,
    otherwise only those an `mcp__...` (or `*`) entry names; `disallowedTools` entries remove them."""
    if agent is None:
        return True
    if any(covers(entry, full_name) for entry in agent.disallowed_tools):
        return False
    if agent.tools is None:
        return True
    return any(entry.strip() == "*" or covers(entry.strip(), full_name) for entry in agent.tools)


def _number(settings: Settings | None, key: str, default: float, warnings: list[str]) -> float:
    value = settings.raw.get(key) if settings is not None else None
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        warnings.append(f"settings: `{key}` must be a positive number of seconds, got {value!r}; using {default:g}")
        return default
    return float(value)


def open_manager(
    root: Path,
    *,
    agent: Agent | None = None,
    cli_files: Iterable[Path] = (),
    settings: Settings | None = None,
) -> McpManager:
    """Every MCP server of this workspace (nothing is started yet)."""
    in_project = agent is not None and relative_to_root(root, agent.source.resolve()) is not None
    label = f"agent {agent.name} ({agent.source})" if agent is not None else ""
    configs = load_mcp_configs(
        root,
        cli_files=cli_files,
        agent_servers=agent_servers(agent),
        agent_label=label,
        agent_in_project=in_project,
        settings=settings,
    )
    trust = TrustStore(root, configs.warnings)
    return McpManager(
        configs,
        trust,
        startup_timeout_s=_number(settings, "mcp_startup_timeout_s", DEFAULT_STARTUP_TIMEOUT_S, configs.warnings),
        call_timeout_s=_number(settings, "mcp_timeout_s", DEFAULT_CALL_TIMEOUT_S, configs.warnings),
    )


class McpToolset:
    """The MCP tools one agent is offered, by the name the model calls them."""

    def __init__(self, manager: McpManager, agent: Agent | None) -> None:
        """Tools appear as their servers become ready (`refresh`)."""
        self.manager = manager
        self.agent = agent
        self.tools: dict[str, McpTool] = {}

    def refresh(self) -> list[dict[str, Any]]:
        """The schemas to offer now (the ready servers' tools the agent may use)."""
        self.tools = {tool.name: tool for tool in self.manager.tools() if agent_allows(self.agent, tool.info.full_name)}
        return [tool.schema() for tool in self.tools.values()]

    def find(self, name: str) -> McpTool | None:
        """The tool the model called by `name` (its API name, or its full name when that differs)."""
        if not is_mcp_name(name):
            return None
        found = self.tools.get(name)
        if found is None:
            found = next((tool for tool in self.tools.values() if tool.info.full_name == name), None)
        return found


def trust_request(status: ServerStatus) -> ApprovalRequest:
    """The question asked before a project server first starts: exactly what it would run or reach."""
    config = status.config
    return ApprovalRequest(
        tool_use_id=f"{TRUST_REQUEST_PREFIX}{config.name}",
        tool=f"MCP server {config.name}",
        kind=ToolKind.MCP,
        target=config.launch_line(),
        input=config.describe(),
        reason=status.trust.reason,
        explanation=f"declared in {config.source}; approving starts it now and remembers it for this project "
        "(a changed entry asks again)",
    )
