from __future__ import annotations

import json

import pytest

from tui.engine.tools.base import ToolInputError
from tui.engine.tools.names import ALIASES, TOOL_KINDS
from tui.engine.tools.registry import ALIAS_SCHEMAS, TOOLS, UnknownTool, resolve, schemas


def test_registry_matches_the_names_module():
    assert set(TOOLS) == set(TOOL_KINDS)
    assert all(tool.kind == TOOL_KINDS[name] and tool.name == name for name, tool in TOOLS.items())
    assert set(ALIAS_SCHEMAS) == set(ALIASES)


def test_schemas_are_well_formed_and_unique():
    defs = schemas([*TOOLS, "Bash", "Read", "nope"])
    assert [d["name"] for d in defs] == list(TOOLS)
    for d in defs:
        json.dumps(d)
        schema = d["input_schema"]
        assert schema["type"] == "object" and len(d["description"]) > 40
        assert set(schema["required"]) <= set(schema["properties"])
    assert "overwrite" not in json.dumps(schemas(["create_file"]))
    assert schemas(["Bash"])[0]["name"] == "run_in_terminal"


@pytest.mark.parametrize(
    ("name", "args", "canonical", "expected"),
    [
        ("Read", {"file_path": "a", "offset": 3, "limit": 5}, "read_file", {"filePath": "a", "offset": 3, "limit": 5}),
        (
            "Write",
            {"file_path": "a", "content": "x"},
            "create_file",
            {"filePath": "a", "content": "x", "overwrite": True},
        ),
        (
            "Edit",
            {"file_path": "a", "old_string": "x", "new_string": "y", "replace_all": True},
            "replace_string_in_file",
            {"filePath": "a", "oldString": "x", "newString": "y", "replaceAll": True},
        ),
        (
            "Bash",
            {"command": "ls", "timeout": 1000, "description": "list", "run_in_background": False},
            "run_in_terminal",
            {"command": "ls", "timeout": 1000, "explanation": "list", "isBackground": False},
        ),
        ("BashOutput", {"bash_id": "term-1"}, "get_terminal_output", {"id": "term-1"}),
        (
            "Grep",
            {"pattern": "x", "path": "src", "glob": "*.py", "output_mode": "content", "-i": True, "head_limit": 5},
            "grep_search",
            {
                "query": "x",
                "isRegexp": True,
                "caseSensitive": False,
                "outputMode": "content",
                "includePattern": "*.py",
                "path": "src",
                "maxResults": 5,
            },
        ),
        (
            "Grep",
            {"pattern": "x", "type": "py"},
            "grep_search",
            {
                "query": "x",
                "isRegexp": True,
                "caseSensitive": True,
                "outputMode": "files_with_matches",
                "includePattern": "*.py",
            },
        ),
        ("Glob", {"pattern": "*.md"}, "file_search", {"query": "*.md"}),
        ("LS", {"path": "."}, "list_dir", {"path": "."}),
        ("ExitPlanMode", {"plan": "p"}, "exit_plan_mode", {"plan": "p"}),
        (
            "TodoWrite",
            {"todos": [{"content": "Run tests", "status": "in_progress", "activeForm": "Running tests"}]},
            "manage_todo_list",
            {
                "operation": "write",
                "todoList": [{"title": "Run tests", "status": "in_progress", "activeForm": "Running tests"}],
            },
        ),
        ("todo", {"operation": "read"}, "manage_todo_list", {"operation": "read"}),
        (
            "Task",
            {"description": "d", "prompt": "p", "subagent_type": "backend-dev"},
            "run_subagent",
            {"agentName": "backend-dev", "description": "d", "prompt": "p"},
        ),
        ("Agent", {"prompt": "p"}, "run_subagent", {"agentName": "", "description": "", "prompt": "p"}),
        (
            "runSubagent",
            {"description": "d", "prompt": "p", "agentName": "api"},
            "run_subagent",
            {"agentName": "api", "description": "d", "prompt": "p"},
        ),
    ],
)
def test_alias_mapping(name, args, canonical, expected):
    tool, mapped = resolve(name, args)
    assert tool.name == canonical and mapped == expected


def test_canonical_call_passes_through_without_internal_flags():
    tool, args = resolve("grep_search", {"query": "x", "isRegexp": False, "caseSensitive": True, "extra": 1})
    assert tool.name == "grep_search" and args == {"query": "x", "isRegexp": False, "extra": 1}


def test_unknown_tool_lists_the_tools():
    with pytest.raises(UnknownTool) as err:
        resolve("delete_everything", {})
    assert "no tool named 'delete_everything'" in str(err.value) and "read_file" in str(err.value)


@pytest.mark.parametrize("args", [None, [], "filePath", 3])
def test_non_object_input(args):
    with pytest.raises(ToolInputError, match="must be a JSON object"):
        resolve("read_file", args)
    with pytest.raises(ToolInputError, match="Read: the tool input must be a JSON object"):
        resolve("Read", args)


def test_huge_arrays_are_refused():
    edits = [{"old_string": str(i), "new_string": "x"} for i in range(500)]
    with pytest.raises(ToolInputError, match=r"MultiEdit: `edits` has 500 items; at most 200 are allowed"):
        resolve("MultiEdit", {"file_path": "a", "edits": edits})
