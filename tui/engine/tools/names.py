"""Tool names: the canonical (Copilot) names, their kinds, their groups, and the Claude Code aliases.

Pure data, so that the permission rules and the agent loader can name tools
without importing the tool implementations.
"""

from __future__ import annotations

from tui.engine.tools.kinds import ToolKind

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
    "Skill": ToolKind.READ,
    "manage_todo_list": ToolKind.META,
    "run_subagent": ToolKind.META,
    "web_search": ToolKind.WEB,
    "web_fetch": ToolKind.WEB,
}
"""Every canonical tool and its kind."""

EDIT_TOOLS: tuple[str, ...] = tuple(name for name, kind in TOOL_KINDS.items() if kind is ToolKind.EDIT)
"""Tools that write files: one `Edit(...)` rule covers them all, as does Copilot's `edit`."""
RUN_TOOLS: tuple[str, ...] = ("run_in_terminal", "get_terminal_output")
"""Running commands and reading their output (Copilot's `runCommands`, `terminal`, ...)."""
PATH_READ_TOOLS: tuple[str, ...] = ("read_file", "grep_search", "file_search", "list_dir")
"""Read tools that take paths: one `Read(...)` rule covers them all."""
WEB_TOOLS: tuple[str, ...] = ("web_search", "web_fetch")
"""The web, through the API's server-side tools (Copilot's `web`, `fetch`)."""
SEARCH_TOOLS: tuple[str, ...] = ("grep_search", "file_search")
"""Searching the workspace by content or name (Copilot's `codebase`, `usages`, ...)."""

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
    "TodoWrite": "manage_todo_list",
    "todo": "manage_todo_list",
    "Task": "run_subagent",
    "Agent": "run_subagent",
    "runSubagent": "run_subagent",
    "agent": "run_subagent",
    "WebSearch": "web_search",
    "WebFetch": "web_fetch",
}
"""Claude Code (and Copilot) names accepted for the canonical tools."""

DELEGATION_TOOL = "run_subagent"
"""The tool that runs a sub-agent; never offered to a sub-agent (delegation is one level deep)."""

ALL_TOOLS: tuple[str, ...] = tuple(name for name in TOOL_KINDS if name != "exit_plan_mode")
"""What an agent gets when its `tools` field is absent (`exit_plan_mode` is added in plan mode)."""


def canonical_name(name: str) -> str | None:
    """The canonical name for a tool name or alias, or None when unknown."""
    if name in TOOL_KINDS:
        return name
    return ALIASES.get(name)
