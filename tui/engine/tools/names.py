"""Tool names: the canonical (Copilot) names, their kinds, and the Claude Code aliases.

Pure data, so that the permission rules and the agent loader can name tools
without importing the tool implementations.
"""

from __future__ import annotations

from tui.engine.tools.base import ToolKind

TOOL_KINDS: dict[str, ToolKind] = {
    "read_file": ToolKind.READ,
    "grep_search": ToolKind.READ,
    "file_search": ToolKind.READ,
    "list_dir": ToolKind.READ,
    "get_terminal_output": ToolKind.READ,
    "create_file": ToolKind.EDIT,
    "replace_string_in_file": ToolKind.EDIT,
    "multi_replace_string_in_file": ToolKind.EDIT,
    "run_in_terminal": ToolKind.EXECUTE,
    "exit_plan_mode": ToolKind.PLAN,
}
"""Every canonical tool and its kind."""

ALIASES: dict[str, str] = {
    "Read": "read_file",
    "Write": "create_file",
    "Edit": "replace_string_in_file",
    "MultiEdit": "multi_replace_string_in_file",
    "Bash": "run_in_terminal",
    "BashOutput": "get_terminal_output",
    "Grep": "grep_search",
    "Glob": "file_search",
    "LS": "list_dir",
    "ExitPlanMode": "exit_plan_mode",
}
"""Claude Code names accepted for the canonical tools."""

ALL_TOOLS: tuple[str, ...] = tuple(name for name in TOOL_KINDS if name != "exit_plan_mode")
"""What an agent gets when its `tools` field is absent (`exit_plan_mode` is added in plan mode)."""


def canonical_name(name: str) -> str | None:
    """The canonical name for a tool name or alias, or None when unknown."""
    if name in TOOL_KINDS:
        return name
    return ALIASES.get(name)
