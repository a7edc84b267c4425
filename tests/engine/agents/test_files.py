from pathlib import Path

import pytest

from tui.engine.agents.files import (
    COPILOT_TOOLS,
    AgentFileError,
    canonical_permission_mode,
    load_agent_file,
    parse_agent,
    split_tool_entries,
    tools_for_entry,
)
from tui.engine.model.aliases import display_name_id, first_claude_model, resolve_model
from tui.engine.tools.names import ALL_TOOLS, TOOL_KINDS

EDIT_TOOLS = ("create_file", "replace_string_in_file", "multi_replace_string_in_file")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_clean_file_reads_every_field_and_keeps_unknown_keys(tmp_path):
    path = write(
        tmp_path,
        "reviewer.md",
        "---\n"
        "name: reviewer\n"
        "description: Reviews code\n"
        "tools: Read, Grep, Bash\n"
        "disallowedTools: Bash\n"
        "model: opus\n"
        "permissionMode: plan\n"
        "skills:\n  - style\n  - tests\n"
        "maxTurns: 7\n"
        "color: blue\n"
        "category: quality\n"
        "x-version: 3\n"
        "---\n\nYou review code.\n",
    )
    agent = load_agent_file(path)
    assert agent.name == "reviewer"
    assert agent.description == "Reviews code"
    assert agent.tools == ["Read", "Grep", "Bash"]
    assert agent.disallowed_tools == ["Bash"]
    assert agent.resolved_tools == ("read_file", "grep_search")
    assert agent.model == "opus"
    assert agent.permission_mode == "plan"
    assert agent.skills == ["style", "tests"]
    assert agent.max_turns == 7
    assert agent.color == "blue"
    assert agent.extra == {"category": "quality", "x-version": 3}
    assert agent.system_prompt == "You review code."
    assert agent.source == path
    assert agent.warnings == []


def test_absent_tools_means_all_tools(tmp_path):
    agent = load_agent_file(write(tmp_path, "a.md", "---\nname: a\ndescription: d\n---\nbody"))
    assert agent.tools is None
    assert agent.resolved_tools == ALL_TOOLS


def test_unquoted_colon_and_unindented_multiline_description(tmp_path):
    text = (
        "---\n"
        "name: api-helper\n"
        'description: Use this agent for APIs. Examples: user: "add an endpoint"\n'
        "assistant: I'll use the api-helper agent.\n"
        "Context: the user works on a server\n"
        "tools: Read, Edit\n"
        "model: sonnet\n"
        "---\n"
        "Prompt body\n"
    )
    agent = load_agent_file(write(tmp_path, "api.md", text))
    assert agent.name == "api-helper"
    assert agent.description.startswith('Use this agent for APIs. Examples: user: "add an endpoint"')
    assert "assistant: I'll use the api-helper agent." in agent.description
    assert agent.description.endswith("Context: the user works on a server")
    assert agent.resolved_tools == ("read_file", "replace_string_in_file")
    assert agent.model == "sonnet"
    assert agent.system_prompt == "Prompt body"


def test_backslash_n_escapes_in_plain_description_become_newlines(tmp_path):
    text = "---\nname: escaper\ndescription: First line.\\n\\n<example>Context: something</example>\n---\n"
    agent = load_agent_file(write(tmp_path, "e.md", text))
    assert agent.description == "First line.\n\n<example>Context: something</example>"


def test_crlf_and_bom(tmp_path):
    raw = "\ufeff---\r\nname: crlf\r\ndescription: Windows file\r\ntools: Read\r\n---\r\nLine one\r\nLine two\r\n"
    agent = load_agent_file(write(tmp_path, "crlf.md", raw.encode("utf-8")))
    assert agent.name == "crlf"
    assert agent.description == "Windows file"
    assert agent.system_prompt == "Line one\nLine two"


@pytest.mark.parametrize(
    ("tools_yaml", "expected"),
    [
        ("tools: Read, Grep", ("read_file", "grep_search")),
        ("tools:\n  - Read\n  - Grep", ("read_file", "grep_search")),
        ("tools: [Read, Grep]", ("read_file", "grep_search")),
        ("tools: []", ()),
        ("allowed-tools: Read Grep", ("read_file", "grep_search")),
        ("tools: '*'", ALL_TOOLS),
    ],
)
def test_tools_shapes(tmp_path, tools_yaml, expected):
    agent = load_agent_file(write(tmp_path, "t.md", f"---\nname: t\ndescription: d\n{tools_yaml}\n---\n"))
    assert agent.resolved_tools == expected


def test_tool_patterns_split_only_outside_parentheses(tmp_path):
    text = "---\nname: git\ndescription: d\nallowed-tools: Bash(git add:*), Bash(git commit -m:*) Read\n---\n"
    agent = load_agent_file(write(tmp_path, "git.md", text))
    assert agent.tools == ["Bash(git add:*)", "Bash(git commit -m:*)", "Read"]
    assert agent.resolved_tools == ("run_in_terminal", "read_file")
    assert agent.tool_rules == ["Bash(git add:*)", "Bash(git commit -m:*)"]


def test_opencode_tool_map_switches_tools_off(tmp_path):
    text = "---\nname: o\ndescription: d\ntools:\n  write: false\n  edit: false\n  bash: true\n---\n"
    agent = load_agent_file(write(tmp_path, "o.md", text))
    assert "run_in_terminal" in agent.resolved_tools
    assert not set(EDIT_TOOLS) & set(agent.resolved_tools)
    assert agent.warnings == []


def test_split_tool_entries_on_lists_of_comma_strings():
    assert split_tool_entries(["Read, Grep", "Bash(ls -la)"]) == ["Read", "Grep", "Bash(ls -la)"]
    assert split_tool_entries(None) == []


def test_disallowed_pattern_is_a_deny_hint_not_a_removal(tmp_path):
    text = "---\nname: d\ndescription: d\ndisallowedTools: Bash(rm:*), Write\n---\n"
    agent = load_agent_file(write(tmp_path, "d.md", text))
    assert "run_in_terminal" in agent.resolved_tools
    assert "create_file" not in agent.resolved_tools
    assert agent.disallowed_rules == ["Bash(rm:*)"]


def test_unknown_tools_warn_but_do_not_fail(tmp_path):
    text = "---\nname: w\ndescription: d\ntools: Read, NotebookEdit, Task\n---\n"
    agent = load_agent_file(write(tmp_path, "w.md", text))
    assert agent.resolved_tools == ("read_file", "run_subagent")
    assert agent.warnings == ["tools not available in stepwise, ignored: NotebookEdit"]


@pytest.mark.parametrize(
    ("entry", "tool"),
    [
        ("Task", "run_subagent"),
        ("Agent", "run_subagent"),
        ("agent", "run_subagent"),
        ("runSubagent", "run_subagent"),
        ("TodoWrite", "manage_todo_list"),
        ("todo", "manage_todo_list"),
        ("manage_todo_list", "manage_todo_list"),
    ],
)
def test_delegation_and_task_list_entries_grant_their_tools(tmp_path, entry, tool):
    agent = load_agent_file(write(tmp_path, "w.md", f"---\nname: w\ndescription: d\ntools: Read, {entry}\n---\n"))
    assert agent.resolved_tools == ("read_file", tool)
    assert agent.warnings == []


def test_only_an_agent_without_a_tools_list_gets_delegation_unasked(tmp_path):
    every = load_agent_file(write(tmp_path, "all.md", "---\nname: all\ndescription: d\n---\n"))
    listed = load_agent_file(write(tmp_path, "some.md", "---\nname: some\ndescription: d\ntools: Read, Edit\n---\n"))
    barred = load_agent_file(write(tmp_path, "no.md", "---\nname: no\ndescription: d\ndisallowedTools: Task\n---\n"))
    assert "run_subagent" in every.resolved_tools and "manage_todo_list" in every.resolved_tools
    assert "run_subagent" not in listed.resolved_tools
    assert "run_subagent" not in barred.resolved_tools


def test_closing_line_of_many_dashes(tmp_path):
    text = "---\nname: dashes\ndescription: d\n------------------------------\nbody\n"
    agent = load_agent_file(write(tmp_path, "dashes.md", text))
    assert agent.name == "dashes"
    assert agent.system_prompt == "body"


def test_copilot_agent_file(tmp_path):
    text = (
        "---\n"
        "name: API Architect\n"
        "description: 'Designs APIs'\n"
        "tools: ['edit/editFiles', 'search/codebase', 'runCommands', 'read/readFile', 'github/*']\n"
        "model: Claude Sonnet 4.5 (copilot)\n"
        "---\n"
        "Architect prompt\n"
    )
    agent = load_agent_file(write(tmp_path, "api-architect.agent.md", text))
    assert agent.name == "API Architect"
    assert agent.model == "Claude Sonnet 4.5 (copilot)"
    assert set(agent.resolved_tools) == {
        *EDIT_TOOLS,
        "grep_search",
        "file_search",
        "run_in_terminal",
        "get_terminal_output",
        "read_file",
    }
    assert agent.warnings == ["tools not available in stepwise, ignored: github/*"]


def test_copilot_chatmode_uses_file_stem_without_warning(tmp_path):
    text = "---\ndescription: Plan first\ntools: ['codebase', 'search']\n---\nPlan.\n"
    agent = load_agent_file(write(tmp_path, "planner.chatmode.md", text))
    assert agent.name == "planner"
    assert agent.warnings == []
    assert set(agent.resolved_tools) == {"grep_search", "file_search", "list_dir"}


def test_claude_file_without_name_uses_stem_with_warning(tmp_path):
    agent = load_agent_file(write(tmp_path, "nameless.md", "---\ndescription: d\n---\n"))
    assert agent.name == "nameless"
    assert "no `name`" in agent.warnings[0]


def test_copilot_star_means_all_tools():
    assert tools_for_entry("*") == (ALL_TOOLS, None)
    assert tools_for_entry("editFiles") == (EDIT_TOOLS, None)
    assert tools_for_entry("Bash(npm run test:*)") == (("run_in_terminal",), "npm run test:*")
    assert tools_for_entry("bash") == (("run_in_terminal",), None)
    assert tools_for_entry("mcp__github__create_issue") == ((), None)


@pytest.mark.parametrize(
    ("value", "mode", "warns"),
    [
        (None, "default", False),
        ("manual", "default", False),
        ("acceptEdits", "acceptEdits", False),
        ("bypasspermissions", "bypassPermissions", False),
        ("dontAsk", "dontAsk", False),
        ("plan", "plan", False),
        ("auto", "default", True),
        ("yolo", "default", True),
    ],
)
def test_permission_modes(value, mode, warns):
    canonical, warning = canonical_permission_mode(value)
    assert canonical == mode
    assert (warning is not None) == warns


def test_bad_max_turns_warns(tmp_path):
    agent = load_agent_file(write(tmp_path, "m.md", "---\nname: m\ndescription: d\nmaxTurns: lots\n---\n"))
    assert agent.max_turns is None
    assert "maxTurns" in agent.warnings[0]


def test_markdown_without_frontmatter_is_not_an_agent(tmp_path):
    assert load_agent_file(write(tmp_path, "README.md", "# Agents\n\nSome notes.\n")) is None
    assert parse_agent("", tmp_path / "empty.md") is None


def test_a_copilot_file_without_a_header_is_an_agent_named_after_the_file(tmp_path):
    # As in public repositories: a chat mode that is only its instructions (Copilot's header is optional).
    text = "# Code Reviewer Chatmode\n\n## Role\nYou are a meticulous code reviewer.\n"
    agent = load_agent_file(write(tmp_path, "code-reviewer.chatmode.md", text))
    assert agent is not None
    assert (agent.name, agent.description, agent.tools, agent.warnings) == ("code-reviewer", "", None, [])
    assert agent.system_prompt.startswith("# Code Reviewer Chatmode")
    assert load_agent_file(write(tmp_path, "reviewer.agent.md", "Review the diff.\n")).name == "reviewer"
    assert load_agent_file(write(tmp_path, "empty.agent.md", "\n")) is None
    # A Claude Code agent file still needs its frontmatter.
    assert load_agent_file(write(tmp_path, "notes.md", text)) is None


def test_unclosed_frontmatter_is_an_error(tmp_path):
    with pytest.raises(AgentFileError, match="never closed"):
        load_agent_file(write(tmp_path, "open.md", "---\nname: open\ndescription: d\n"))


def test_frontmatter_that_is_not_a_mapping_is_an_error(tmp_path):
    with pytest.raises(AgentFileError, match="not a mapping"):
        load_agent_file(write(tmp_path, "list.md", "---\n- just\n- a list\n---\n"))


def test_unreadable_bytes_and_folders_are_errors_not_crashes(tmp_path):
    with pytest.raises(AgentFileError, match="not UTF-8"):
        load_agent_file(write(tmp_path, "bin.md", b"---\nname: \xff\xfe\n---\n"))
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(AgentFileError, match="folder"):
        load_agent_file(tmp_path / "folder.md")
    with pytest.raises(AgentFileError, match="cannot be read"):
        load_agent_file(tmp_path / "missing.md")


# --- Copilot names, display names and layouts seen in public files ---------------


COPILOT_EXPECTED = {
    "edit": {"create_file", "replace_string_in_file", "multi_replace_string_in_file"},
    "editFiles": {"create_file", "replace_string_in_file", "multi_replace_string_in_file"},
    "createFile": {"create_file"},
    "read": {"read_file"},
    "readFile": {"read_file"},
    "search": {"grep_search", "file_search", "list_dir"},
    "codebase": {"grep_search", "file_search"},
    "findTestFiles": {"grep_search", "file_search"},
    "usages": {"grep_search", "file_search"},
    "textSearch": {"grep_search"},
    "fileSearch": {"file_search"},
    "listDirectory": {"list_dir"},
    "runCommands": {"run_in_terminal", "get_terminal_output"},
    "runInTerminal": {"run_in_terminal", "get_terminal_output"},
    "runTests": {"run_in_terminal", "get_terminal_output"},
    "execute": {"run_in_terminal", "get_terminal_output"},
    "terminal": {"run_in_terminal", "get_terminal_output"},
    "getTerminalOutput": {"get_terminal_output"},
    "terminalLastCommand": {"get_terminal_output"},
    "terminalSelection": {"get_terminal_output"},
    "fetch": {"web_fetch"},
    "webSearch": {"web_search"},
    "web": {"web_search", "web_fetch"},
    "todos": {"manage_todo_list"},
    "todo": {"manage_todo_list"},
    "agent": {"run_subagent"},
    "runSubagent": {"run_subagent"},
}


def test_every_copilot_entry_has_an_expectation():
    assert {name.lower() for name in COPILOT_EXPECTED} == set(COPILOT_TOOLS)


@pytest.mark.parametrize(("entry", "expected"), sorted(COPILOT_EXPECTED.items()))
def test_copilot_tool_name_maps_to_the_tools_it_means(entry, expected):
    available = {name for name in expected if name in TOOL_KINDS}
    for written in (entry, f"vscode/{entry}", entry.lower()):
        tools, pattern = tools_for_entry(written)
        assert set(tools) == available and pattern is None


def test_quoted_entries_with_spaces_stay_whole():
    assert split_tool_entries(["Microsoft Docs", "search"]) == ["Microsoft Docs", "search"]
    assert split_tool_entries("'Microsoft Docs', search, Bash(git log:*)") == [
        "Microsoft Docs",
        "search",
        "Bash(git log:*)",
    ]


def test_an_agent_left_with_no_tools_is_warned_about(tmp_path):
    agent = parse_agent("---\nname: a\ndescription: d\ntools: ['Microsoft Docs']\n---\nbody\n", tmp_path / "a.md")
    assert agent.resolved_tools == ()
    assert any("no tools left" in warning for warning in agent.warnings)


def test_uniformly_indented_frontmatter_is_read(tmp_path):
    text = "    ---\n    name: indented\n    description: pasted from a code block\n    tools: Read\n    ---\nBody\n"
    agent = parse_agent(text, tmp_path / "a.md")
    assert (agent.name, agent.description, agent.resolved_tools) == (
        "indented",
        "pasted from a code block",
        ("read_file",),
    )


@pytest.mark.parametrize(
    ("written", "model_id"),
    [
        ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
        ("Claude Opus 4.7", "claude-opus-4-7"),
        ("Claude Haiku 4.5 (copilot)", "claude-haiku-4-5"),
        ("GPT-4.1", None),
    ],
)
def test_display_names_become_ids(written, model_id):
    assert display_name_id(written) == model_id


def test_a_known_display_name_resolves_to_its_id_and_an_unknown_one_to_its_family():
    assert resolve_model("Claude Opus 4.7 (copilot)").resolved == "claude-opus-4-7"
    unknown = resolve_model("Claude Opus 9.9")
    assert unknown.resolved == resolve_model("opus").resolved
    assert unknown.warning and "claude-opus-9-9" in unknown.warning


def test_a_model_list_takes_its_first_claude_entry():
    assert first_claude_model(["GPT-4.1", "Claude Sonnet 4.5 (copilot)", "opus"]) == "Claude Sonnet 4.5 (copilot)"
    assert first_claude_model(["GPT-4.1"]) == "GPT-4.1"
    assert first_claude_model("  sonnet ") == "sonnet"


@pytest.mark.parametrize(
    "name_yaml",
    ['"two\\nlines"', '"tab\\there"', '"esc\\e[31m"', "|\n  block\n  name"],
)
def test_a_name_with_a_line_break_or_control_character_is_never_accepted(tmp_path, name_yaml):
    path = write(tmp_path, "a.md", f"---\nname: {name_yaml}\ndescription: fine\n---\nbody\n")
    with pytest.raises(AgentFileError, match="line break or a control character"):
        load_agent_file(path)


def test_a_description_opened_by_a_quote_still_reads_as_text(tmp_path):
    path = write(tmp_path, "a.md", '---\nname: q\ndescription: "Careful" reviewer: use after edits\n---\nbody\n')
    agent = load_agent_file(path)
    assert (agent.name, agent.description) == ("q", '"Careful" reviewer: use after edits')
