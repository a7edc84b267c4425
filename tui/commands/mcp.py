"""`stepwise mcp list` / `stepwise mcp get NAME`: the MCP servers found, their trust, status and tools.

Trusted servers are started to list their tools, then stopped; an untrusted
project server is never started here (approve it in the app first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tui.engine.exec.terminal_text import sanitize_terminal_text
from tui.engine.mcp.report import render_get, render_list


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the sub-command's arguments."""
    parser.add_argument("action", choices=("list", "get"), help="list every server, or show one")
    parser.add_argument("name", nargs="?", help="the server to show (for get)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--mcp-config", action="append", default=[], type=Path, metavar="FILE", help="also load servers from FILE"
    )
    parser.add_argument("--agent", metavar="NAME|PATH", help="include this agent's own servers")


def _manager(args: argparse.Namespace) -> Any:
    from tui.engine.agents.discovery import discover_agents, project_root
    from tui.engine.config.settings import load_settings
    from tui.engine.mcp.setup import open_manager

    root = project_root(args.cwd)
    settings = load_settings(root)
    agent = None
    if args.agent:
        try:
            agent = discover_agents(args.cwd, settings=settings).find(args.agent)
        except LookupError as exc:
            print(f"stepwise: {exc}", file=sys.stderr)
    return open_manager(root, agent=agent, cli_files=args.mcp_config, settings=settings)


async def _probe(manager: Any) -> None:
    """Start the trusted servers, wait for each to be ready or failed, and stop them (keeping those states)."""
    manager.start()
    try:
        await manager.wait_ready()
    finally:
        seen = {name: status.state for name, status in manager.statuses.items()}
        await manager.close()
        for name, status in manager.statuses.items():
            status.state = seen[name]


def run(args: argparse.Namespace) -> int:
    """List or show servers; 1 when `get` names no server."""
    manager = _manager(args)
    for warning in manager.warnings:
        print(f"stepwise: warning: {warning}", file=sys.stderr)
    if args.action == "get":
        if not args.name or args.name not in manager.statuses:
            known = ", ".join(manager.statuses) or "none"
            print(f"stepwise: no MCP server named {args.name!r} (servers: {known})", file=sys.stderr)
            return 1
        manager.statuses = {args.name: manager.statuses[args.name]}
    asyncio.run(_probe(manager))
    statuses = list(manager.statuses.values())
    if args.json:
        documents = [status.describe() for status in statuses]
        print(
            json.dumps(documents[0] if args.action == "get" else {"servers": documents}, indent=2, ensure_ascii=False)
        )
    elif args.action == "get":
        print(sanitize_terminal_text(render_get(statuses[0].describe())))
    else:
        print(sanitize_terminal_text(render_list(statuses)))
    return 0
