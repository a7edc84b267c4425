"""How MCP servers are described to the user: `stepwise mcp list/get`, `/mcp` and the status bar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.engine.mcp.client import ServerStatus


def summary(statuses: Iterable[ServerStatus]) -> str:
    """`MCP 2 ready, 1 starting` for the status bar (empty without servers)."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.state] = counts.get(status.state, 0) + 1
    order = ("ready", "starting", "failed", "untrusted")
    parts = [f"{counts[state]} {state}" for state in order if counts.get(state)]
    return f"MCP {', '.join(parts)}" if parts else ""


def _row(status: ServerStatus) -> list[str]:
    return [
        status.config.name,
        status.state,
        "yes" if status.trust.trusted else "no",
        status.config.transport,
        str(len(status.tools)),
        status.config.source,
    ]


def render_list(statuses: list[ServerStatus]) -> str:
    """A table of the servers, then one line per problem (the error, or what an untrusted one would run)."""
    if not statuses:
        return "No MCP servers configured (.mcp.json, mcpServers in settings.yaml, --mcp-config, agent files)."
    rows = [["NAME", "STATUS", "TRUSTED", "TRANSPORT", "TOOLS", "SOURCE"], *(_row(s) for s in statuses)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    for status in statuses:
        if status.error:
            lines.append(f"{status.config.name}: {status.error}")
        elif not status.trust.trusted:
            lines.append(f"{status.config.name}: {status.trust.reason} (it would run: {status.config.launch_line()})")
    return "\n".join(lines)


def render_get(data: dict[str, Any]) -> str:
    """One server in detail (from `ServerStatus.describe()`), with each tool and how it was renamed."""
    lines = [f"{data['name']}", f"  status:    {data['status']}", f"  trusted:   {data['trust']}"]
    lines += [f"  source:    {data['source']} ({data['scope']})", f"  runs:      {data['launch']}"]
    if data.get("error"):
        lines.append(f"  error:     {data['error']}")
    if data["tools"]:
        lines.append("  tools:")
        for tool in data["tools"]:
            renamed = f" (shortened from {tool['shortened_from']})" if tool.get("shortened_from") else ""
            lines.append(f"    {tool['name']}{renamed}")
            if tool["description"]:
                lines.append(f"      {' '.join(tool['description'].split())[:200]}")
            if tool.get("schema_note"):
                lines.append(f"      schema: {tool['schema_note']}")
    for skipped in data.get("skipped_tools", []):
        lines.append(f"  skipped: {skipped}")
    return "\n".join(lines)
