"""Every tool by canonical name, and the Claude Code aliases with their argument mapping.

`resolve` turns what the model sent (a canonical name or an alias such as
`Bash`, with that tool's argument names) into the canonical tool and canonical
arguments. Alias input is first checked against the alias's own schema, so an
error names the fields the model actually used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.engine.errors import StepwiseError
from tui.engine.tools._schema import check_args, describe, public_only
from tui.engine.tools.base import Tool, ToolInputError
from tui.engine.tools.create_file import CreateFile
from tui.engine.tools.exit_plan_mode import ExitPlanMode
from tui.engine.tools.file_search import FileSearch
from tui.engine.tools.get_terminal_output import GetTerminalOutput
from tui.engine.tools.grep_search import GrepSearch
from tui.engine.tools.list_dir import ListDir
from tui.engine.tools.multi_replace import MultiReplace
from tui.engine.tools.names import ALIASES
from tui.engine.tools.read_file import ReadFile
from tui.engine.tools.replace_string import ReplaceString
from tui.engine.tools.run_in_terminal import RunInTerminal
from tui.engine.tools.run_subagent import RunSubagent
from tui.engine.tools.skill import Skill
from tui.engine.tools.todo import ManageTodoList
from tui.engine.tools.web import WebFetchTool, WebSearch

TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        ReadFile(),
        GrepSearch(),
        FileSearch(),
        ListDir(),
        GetTerminalOutput(),
        CreateFile(),
        ReplaceString(),
        MultiReplace(),
        RunInTerminal(),
        ExitPlanMode(),
        Skill(),
        ManageTodoList(),
        RunSubagent(),
        WebSearch(),
        WebFetchTool(),
    )
}
"""Canonical name -> the tool."""


class UnknownTool(StepwiseError, LookupError):
    """The model called a tool that does not exist."""


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}
_EDIT_ITEM = _obj(["old_string", "new_string"], old_string=_STR, new_string=_STR, replace_all=_BOOL)

ALIAS_SCHEMAS: dict[str, dict[str, Any]] = {
    "Read": _obj(["file_path"], file_path=_STR, offset=_INT, limit=_INT),
    "Write": _obj(["file_path", "content"], file_path=_STR, content=_STR),
    "Edit": _obj(
        ["file_path", "old_string", "new_string"],
        file_path=_STR,
        old_string=_STR,
        new_string=_STR,
        replace_all=_BOOL,
    ),
    "MultiEdit": _obj(["file_path", "edits"], file_path=_STR, edits={"type": "array", "items": _EDIT_ITEM}),
    "Bash": _obj(["command"], command=_STR, timeout=_INT, description=_STR, run_in_background=_BOOL),
    "BashOutput": _obj(["bash_id"], bash_id=_STR),
    "Grep": _obj(
        ["pattern"],
        pattern=_STR,
        path=_STR,
        glob=_STR,
        type=_STR,
        output_mode={"type": "string", "enum": ["content", "files_with_matches", "count"]},
        head_limit=_INT,
        **{"-i": _BOOL},
    ),
    "Glob": _obj(["pattern"], pattern=_STR, path=_STR),
    "LS": _obj(["path"], path=_STR),
    "ExitPlanMode": _obj(["plan"], plan=_STR),
    "TodoWrite": _obj(
        ["todos"],
        todos={
            "type": "array",
            "items": _obj(
                ["content", "status"],
                content=_STR,
                status={"type": "string", "enum": ["pending", "in_progress", "completed"]},
                activeForm=_STR,
            ),
        },
    ),
    "todo": ManageTodoList.input_schema,
    "Task": _obj(["prompt"], description=_STR, prompt=_STR, subagent_type=_STR),
    "Agent": _obj(["prompt"], description=_STR, prompt=_STR, subagent_type=_STR),
    "runSubagent": _obj(["prompt"], description=_STR, prompt=_STR, agentName=_STR),
    "agent": _obj(["prompt"], description=_STR, prompt=_STR, agentName=_STR),
    "WebSearch": _obj(
        ["query"],
        query=_STR,
        allowed_domains={"type": "array", "items": _STR},
        blocked_domains={"type": "array", "items": _STR},
    ),
    "WebFetch": _obj(["url"], url=_STR, prompt=_STR),
}
"""The Claude Code input shapes the aliases accept (validated before mapping)."""


def _renamed(mapping: dict[str, str], **fixed: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A mapper renaming the alias's arguments (others are dropped) and adding `fixed` ones."""

    def mapper(args: dict[str, Any]) -> dict[str, Any]:
        out = {new: args[old] for old, new in mapping.items() if args.get(old) is not None}
        out.update(fixed)
        return out

    return mapper


def _multi_edit(args: dict[str, Any]) -> dict[str, Any]:
    replacements = [
        {
            "filePath": args["file_path"],
            "oldString": edit["old_string"],
            "newString": edit["new_string"],
            "replaceAll": bool(edit.get("replace_all")),
        }
        for edit in args["edits"]
    ]
    return {"explanation": "", "replacements": replacements}


def _grep(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": args["pattern"],
        "isRegexp": True,
        "caseSensitive": not args.get("-i"),
        # Claude Code's Grep lists matching files unless asked for content.
        "outputMode": args.get("output_mode") or "files_with_matches",
    }
    include = args.get("glob") or (f"*.{args['type']}" if args.get("type") else None)
    if include:
        out["includePattern"] = include
    if args.get("path"):
        out["path"] = args["path"]
    if args.get("head_limit"):
        out["maxResults"] = args["head_limit"]
    return out


def _todo_write(args: dict[str, Any]) -> dict[str, Any]:
    items = [
        {"title": todo["content"], "status": todo["status"], "activeForm": todo.get("activeForm") or ""}
        for todo in args["todos"]
    ]
    return {"operation": "write", "todoList": items}


def _delegation(agent_key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Claude Code's `subagent_type` / Copilot's `agentName` (optional in both)."""

    def mapper(args: dict[str, Any]) -> dict[str, Any]:
        return {
            "agentName": args.get(agent_key) or "",
            "description": args.get("description") or "",
            "prompt": args["prompt"],
        }

    return mapper


_MAPPERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Read": _renamed({"file_path": "filePath", "offset": "offset", "limit": "limit"}),
    "Write": _renamed({"file_path": "filePath", "content": "content"}, overwrite=True),
    "Edit": _renamed(
        {"file_path": "filePath", "old_string": "oldString", "new_string": "newString", "replace_all": "replaceAll"}
    ),
    "MultiEdit": _multi_edit,
    "Bash": _renamed(
        {"command": "command", "timeout": "timeout", "description": "explanation", "run_in_background": "isBackground"}
    ),
    "BashOutput": _renamed({"bash_id": "id"}),
    "Grep": _grep,
    "Glob": _renamed({"pattern": "query", "path": "path"}),
    "LS": _renamed({"path": "path"}),
    "ExitPlanMode": _renamed({"plan": "plan"}),
    "TodoWrite": _todo_write,
    "todo": dict,
    "Task": _delegation("subagent_type"),
    "Agent": _delegation("subagent_type"),
    "runSubagent": _delegation("agentName"),
    "agent": _delegation("agentName"),
    # The domains a search may reach come from the user's rules, not from the model.
    "WebSearch": _renamed({"query": "query"}),
    "WebFetch": lambda args: {"urls": [args["url"]], "query": args.get("prompt") or ""},
}


def resolve(name: str, args: Any) -> tuple[Tool, dict[str, Any]]:
    """The tool a call names and its canonical arguments.

    Raises:
        UnknownTool: no tool or alias has this name (the message lists the tools).
        ToolInputError: `args` is not an object, or does not fit the alias's schema.
    """
    if name in TOOLS:
        tool = TOOLS[name]
        if not isinstance(args, dict):
            raise ToolInputError(f"the input of {name} must be a JSON object, got {describe(args)}")
        # Alias-only flags (such as Write's overwrite) are not part of the canonical tool's contract.
        internal = getattr(tool, "internal_schema", tool.input_schema)
        return tool, public_only(args, tool.input_schema, internal)
    if name in ALIASES:
        try:
            check_args(args, ALIAS_SCHEMAS[name])
        except ToolInputError as exc:
            raise ToolInputError(f"{name}: {exc}") from None
        return TOOLS[ALIASES[name]], _MAPPERS[name](args)
    raise UnknownTool(f"there is no tool named {name!r}; the tools are: {', '.join(TOOLS)}")


def schemas(names: list[str]) -> list[dict[str, Any]]:
    """The definitions sent to the model for `names` (canonical or alias; unknown names skipped).

    Each tool appears once, under its canonical name, in the order given.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name in names:
        canonical = name if name in TOOLS else ALIASES.get(name)
        if canonical and canonical not in seen:
            seen.add(canonical)
            out.append(TOOLS[canonical].schema())
    return out
