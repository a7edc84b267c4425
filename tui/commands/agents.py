"""`stepwise agents [--json]`: list the agents visible from here, with what each one resolves to."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.engine.agents.discovery import AgentCatalog, discover_agents, project_root
from tui.engine.config.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the sub-command's options (`--agent` keeps a value given before the sub-command)."""
    parser.add_argument("--json", action="store_true", help="print the agents as JSON")
    parser.add_argument(
        "--agent",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="also load this agent file (it wins its name)",
    )


def catalog_report(catalog: AgentCatalog) -> dict[str, Any]:
    """The JSON document: agents, shadowed agents (with `shadowed_by`) and skipped files."""
    return {
        "agents": [catalog.describe(agent) for agent in catalog.agents],
        "shadowed": [
            {**catalog.describe(entry.agent), "shadowed_by": str(entry.shadowed_by)} for entry in catalog.shadowed
        ],
        "skipped": [{"path": str(path), "reason": reason} for path, reason in catalog.skipped],
    }


def _display_path(path: str, cwd: Path) -> str:
    try:
        return str(Path(path).relative_to(cwd))
    except ValueError:
        home = Path.home()
        try:
            return "~/" + str(Path(path).relative_to(home))
        except ValueError:
            return path


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def render_text(report: dict[str, Any], cwd: Path) -> str:
    """A plain-text table of the report."""
    lines: list[str] = []
    rows = [["NAME", "MODEL", "MODE", "TOOLS", "SKILLS", "SOURCE"]]
    for agent in report["agents"]:
        skills = ", ".join(s["name"] + ("" if s["found"] else " (missing)") for s in agent["skills"]) or "-"
        rows.append(
            [
                agent["name"],
                agent["model"]["resolved"],
                agent["permission_mode"],
                str(len(agent["tools"])),
                skills,
                _display_path(agent["source"], cwd),
            ]
        )
    lines.extend(_table(rows))
    for agent in report["agents"]:
        if agent["description"] or agent["warnings"]:
            lines.append("")
            lines.append(f"{agent['name']}: {' '.join(agent['description'].split())}")
            lines.append(f"  tools: {', '.join(agent['tools']) or '(none)'}")
            if agent["delegates_to"]:
                lines.append(f"  can delegate to: {', '.join(agent['delegates_to'])}")
            lines.extend(f"  warning: {warning}" for warning in agent["warnings"])
    if report["shadowed"]:
        lines.append("")
        lines.append("Shadowed (a higher-precedence agent has the same name):")
        lines.extend(
            f"  {entry['name']}  {_display_path(entry['source'], cwd)}  by {_display_path(entry['shadowed_by'], cwd)}"
            for entry in report["shadowed"]
        )
    if report["skipped"]:
        lines.append("")
        lines.append("Skipped files:")
        lines.extend(f"  {_display_path(entry['path'], cwd)}: {entry['reason']}" for entry in report["skipped"])
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """List the agents; returns 1 when an explicit `--agent PATH` could not be loaded."""
    cwd = Path(getattr(args, "cwd", None) or Path.cwd()).resolve()
    agent_arg = getattr(args, "agent", None)
    explicit = Path(agent_arg) if agent_arg else None
    settings = load_settings(project_root(cwd))
    for warning in settings.warnings:
        print(f"stepwise: warning: {warning}", file=sys.stderr)
    catalog = discover_agents(cwd, explicit=explicit, settings=settings)
    report = catalog_report(catalog)
    if getattr(args, "json", False):
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(report, cwd))
    if catalog.explicit_error:
        print(f"stepwise: error: {catalog.explicit_error}", file=sys.stderr)
        return 1
    return 0
