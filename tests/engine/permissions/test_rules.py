"""Permission rules: parsing, command and path matching, loading from settings files, saving."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tui.engine.config.settings import SettingsError, load_settings
from tui.engine.permissions.analysis import analyze
from tui.engine.permissions.rules import (
    Rule,
    RuleSet,
    agent_rules,
    load_rules,
    parse_rule,
    rule_matches,
    save_rule,
    split_rules,
)
from tui.engine.tools.names import EDIT_TOOLS, PATH_READ_TOOLS


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("STEPWISE_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return home


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace.resolve()


# -- parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tool", "pattern"),
    [
        ("Bash", "run_in_terminal", None),
        ("Bash(git status)", "run_in_terminal", "git status"),
        ("run_in_terminal(npm test:*)", "run_in_terminal", "npm test:*"),
        ("  Bash( git * main )  ", "run_in_terminal", "git * main"),
        ('Bash(echo ")")', "run_in_terminal", 'echo ")"'),
        ("Edit(src/**)", "replace_string_in_file", "src/**"),
        ("Write(*.py)", "create_file", "*.py"),
        ("MultiEdit", "multi_replace_string_in_file", None),
        ("read_file(.env)", "read_file", ".env"),
        ("Read(./.env)", "read_file", "./.env"),
        ("Grep(src/**)", "grep_search", "src/**"),
        ("LS", "list_dir", None),
        ("Glob", "file_search", None),
        ("BashOutput", "get_terminal_output", None),
        ("ExitPlanMode", "exit_plan_mode", None),
    ],
)
def test_parse_rule(text: str, tool: str, pattern: str | None) -> None:
    rule = parse_rule(text, "deny", "--deny")
    assert (rule.tool, rule.pattern, rule.behavior, rule.source, rule.text) == (
        tool,
        pattern,
        "deny",
        "--deny",
        text.strip(),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Bash(git status", "unbalanced parentheses"),
        ("Bash git status)", "unbalanced parentheses"),
        ("Bash(a)b", "malformed"),
        ("Frobnicate", "unknown tool 'Frobnicate'"),
        ("NotebookEdit(x.ipynb)", "unknown tool 'NotebookEdit'"),
        ("WebFetch(x.com)", "names a host"),
        ("Bash()", "empty pattern"),
        ("Bash(  )", "empty pattern"),
        ("BashOutput(x)", "takes no pattern"),
        ("exit_plan_mode(x)", "takes no pattern"),
        ("Edit(src/[z-a].py)", "bad pattern"),
        ("Bash(a\nb)", "one line"),
    ],
)
def test_parse_rule_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rule(text)


def test_parse_rule_rejects_unknown_behavior() -> None:
    with pytest.raises(ValueError, match="unknown rule behavior 'maybe'"):
        parse_rule("Bash", "maybe")


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("Edit(x)", EDIT_TOOLS),
        ("Write", EDIT_TOOLS),
        ("MultiEdit", EDIT_TOOLS),
        ("create_file", EDIT_TOOLS),
        ("Read(x)", PATH_READ_TOOLS),
        ("read_file", PATH_READ_TOOLS),
        ("Grep", {"grep_search"}),
        ("LS(x)", {"list_dir"}),
        ("Bash", {"run_in_terminal"}),
        ("BashOutput", {"get_terminal_output"}),
    ],
)
def test_rules_cover_tool_families(text: str, tools: set[str]) -> None:
    assert parse_rule(text).tools == frozenset(tools)


def test_describe_names_the_source() -> None:
    assert parse_rule("Bash", "allow", ".stepwise/settings.yaml").describe() == "Bash in .stepwise/settings.yaml"
    assert parse_rule("Bash", "allow", "--allow").describe() == "Bash from --allow"


# -- command patterns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "command", "matches"),
    [
        ("git status", "git status", True),
        ("git status", "git  status", True),
        ("git status", 'git "status"', True),
        ("git status", "git status -s", False),
        ("git status", "git statuses", False),
        ("npm test:*", "npm test", True),
        ("npm test:*", "npm test -- -x", True),
        ("npm test:*", "npm testing", False),
        ("npm test:*", "npm tes", False),
        ("npm test:*", "pnpm test", False),
        ("git * main", "git push origin main", True),
        ("git * main", "git merge main", True),
        ("git * main", "git push origin main2", False),
        ("git * main", "git main", False),
        ("*", "anything at all", True),
        ("ls *", "ls -la", True),
        ("ls *", "lsof", False),
        ("echo \\*", "echo *", True),
        ("echo \\*", "echo x", False),
        ('echo "a b"', 'echo "a b"', True),
        ("echo 'a b'", 'echo "a b"', True),
        ("git commit:*", 'git commit -m "fix: a && b"', True),
        # As in Claude Code, a trailing ` *` is optional: `Bash(git push *)` also matches `git push`.
        ("git push *", "git push", True),
        ("git push *", "git push origin main", True),
        ("git push *", "git pushy", False),
        ("git * main", "git push main", True),
    ],
)
def test_command_patterns(pattern: str, command: str, matches: bool) -> None:
    (part,) = analyze(command).commands
    assert parse_rule(f"Bash({pattern})").matches_command(part) is matches


def test_bare_rule_matches_every_command() -> None:
    (part,) = analyze("$CMD x").commands
    assert parse_rule("Bash").matches_command(part)


def test_deny_patterns_see_a_program_by_its_file_name_and_allow_patterns_do_not(root: Path) -> None:
    (part,) = analyze("/bin/rm -rf x").commands
    assert not rule_matches(parse_rule("Bash(rm:*)", "allow"), "run_in_terminal", part, root)
    assert rule_matches(parse_rule("Bash(rm:*)", "deny"), "run_in_terminal", part, root)
    assert rule_matches(parse_rule("Bash(rm:*)", "ask"), "run_in_terminal", part, root)


@pytest.mark.parametrize(
    ("pattern", "text", "names"),
    [
        ("timeout 60 npm test:*", "timeout 60 npm", True),
        ("timeout 60 npm test", "timeout 60 npm", True),
        ("timeout:*", "timeout 60 npm", False),
        ("timeout * npm test:*", "timeout 60 npm", False),
        ("timeout 60 npmx:*", "timeout 60 npm", False),
    ],
)
def test_a_rule_names_a_wrapped_program_only_when_it_spells_it_out(pattern: str, text: str, names: bool) -> None:
    assert parse_rule(f"Bash({pattern})").names_literally(text) is names


def test_rule_matches_only_its_tools(root: Path) -> None:
    (part,) = analyze("git status").commands
    assert not rule_matches(parse_rule("Edit"), "run_in_terminal", part, root)
    assert rule_matches(parse_rule("Edit(src/**)"), "create_file", root / "src" / "a.py", root)
    assert not rule_matches(parse_rule("Edit(src/**)"), "read_file", root / "src" / "a.py", root)
    assert not rule_matches(parse_rule("Edit(src/**)"), "create_file", None, root)
    assert rule_matches(parse_rule("Edit"), "create_file", None, root)


# -- path patterns ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "rel", "matches"),
    [
        ("src/**", "src/a.py", True),
        ("src/**", "src/deep/er/a.py", True),
        ("src/**", "lib/src/a.py", False),
        ("src/**", "src", False),
        ("src", "src/a.py", True),
        ("src", "lib/src/a.py", True),
        ("src/", "lib/src/a.py", True),
        ("/src", "lib/src/a.py", False),
        ("/src", "src/a.py", True),
        ("*.py", "a.py", True),
        ("*.py", "deep/dir/a.py", True),
        ("*.py", "a.pyc", False),
        ("/*.py", "deep/a.py", False),
        ("/*.py", "a.py", True),
        ("/build", "build/out.o", True),
        ("/build", "src/build/out.o", False),
        ("./.env", ".env", True),
        ("./.env", "sub/.env", False),
        (".env", "sub/.env", True),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/x/y/a.py", True),
        ("src/**/*.py", "src/x/y/a.txt", False),
        ("**/test_*.py", "tests/engine/test_x.py", True),
        ("**", "anything/here", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file10.txt", False),
        ("file[0-9].txt", "file7.txt", True),
        ("file[!0-9].txt", "file7.txt", False),
        ("file[!0-9].txt", "fileA.txt", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
    ],
)
def test_relative_path_patterns(root: Path, pattern: str, rel: str, matches: bool) -> None:
    assert parse_rule(f"Edit({pattern})").matches_path(root / rel, root) is matches


def test_relative_patterns_never_match_outside_the_workspace(root: Path) -> None:
    assert not parse_rule("Read(**)").matches_path(root.parent / "x", root)
    assert not parse_rule("Read(*.py)").matches_path(Path("/etc/a.py"), root)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("//etc/hosts", "/etc/hosts", True),
        ("//etc/hosts", "/etc/hostsx", False),
        ("//etc/**", "/etc/ssl/certs/x.pem", True),
        ("//etc", "/etc/passwd", True),
        ("//etc/*.conf", "/etc/a.conf", True),
        ("//etc/*.conf", "/etc/sub/a.conf", False),
        ("//etc/hosts", "/var/hosts", False),
    ],
)
def test_absolute_path_patterns(root: Path, pattern: str, path: str, matches: bool) -> None:
    assert parse_rule(f"Read({pattern})").matches_path(Path(path).resolve(), root) is matches


def test_home_path_patterns(root: Path, tmp_path: Path) -> None:
    home = (tmp_path / "user").resolve()
    rule = parse_rule("Read(~/notes/**)")
    assert rule.matches_path(home / "notes" / "a.md", root)
    assert not rule.matches_path(home / "other" / "a.md", root)


def test_absolute_pattern_through_a_symlinked_folder(root: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    rule = parse_rule(f"Read(/{tmp_path}/link/**)")
    assert rule.matches_path((real / "a.txt").resolve(), root)


# -- rule sets -------------------------------------------------------------------


def test_ruleset_match_and_cover(root: Path) -> None:
    rules = RuleSet()
    for text in ("Bash(git status)", "Bash(npm test:*)"):
        rules.add(parse_rule(text, "allow", "--allow"))
    rules.add(parse_rule("Bash(rm:*)", "deny", "--deny"))
    parts = list(analyze("git status && npm test && ls").commands)
    assert rules.match("deny", "run_in_terminal", parts, root) is None
    assert rules.match("allow", "run_in_terminal", parts, root).text == "Bash(git status)"
    covered = rules.cover("allow", "run_in_terminal", parts, root)
    assert [r.text if r else None for r in covered] == ["Bash(git status)", "Bash(npm test:*)", None]
    assert rules.match("deny", "run_in_terminal", list(analyze("ls; rm -rf x").commands), root).text == "Bash(rm:*)"


def test_ruleset_adds_each_rule_once() -> None:
    rules = RuleSet()
    rules.add(parse_rule("Bash", "allow", "a"))
    rules.add(parse_rule("Bash", "allow", "b"))
    assert [r.source for r in rules.allow] == ["a"]


def test_ruleset_rejects_unknown_behavior() -> None:
    with pytest.raises(ValueError, match="unknown rule behavior"):
        RuleSet().rules("sometimes")


# -- loading -------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rules_of(root: Path, **flags: list[str]) -> tuple[RuleSet, list[str]]:
    """The rules of a workspace and every warning reading them gave: the settings' and the rules' own."""
    settings = load_settings(root)
    rules, warnings = load_rules(root, settings, **flags)
    return rules, [*settings.warnings, *warnings]


def texts(rules: list[Rule]) -> list[tuple[str, str]]:
    return [(r.text, r.source) for r in rules]


def test_load_rules_from_every_source(root: Path, isolated_home: Path) -> None:
    write(
        root / ".stepwise" / "settings.yaml",
        "theme: dark\npermissions:\n  allow: ['Bash(npm test:*)']\n  ask: ['Bash(git push:*)']\n  deny: ['Read(./.env)']\n",
    )
    write(root / ".claude" / "settings.json", json.dumps({"permissions": {"allow": ["Bash(make:*)"]}}))
    write(root / ".claude" / "settings.local.json", json.dumps({"permissions": {"deny": ["Bash(curl:*)"]}}))
    write(isolated_home / "settings.yaml", "permissions:\n  allow: [Edit(docs/**)]\n")
    rules, warnings = rules_of(root, cli_allow=["Bash(ls)"], cli_deny=["Bash(rm:*)"])
    assert warnings == []
    user = str(isolated_home / "settings.yaml")
    assert texts(rules.allow) == [
        ("Bash(ls)", "--allow"),
        ("Bash(npm test:*)", ".stepwise/settings.yaml"),
        ("Bash(make:*)", ".claude/settings.json"),
        ("Edit(docs/**)", user),
    ]
    assert texts(rules.ask) == [("Bash(git push:*)", ".stepwise/settings.yaml")]
    assert texts(rules.deny) == [
        ("Bash(rm:*)", "--deny"),
        ("Read(./.env)", ".stepwise/settings.yaml"),
        ("Bash(curl:*)", ".claude/settings.local.json"),
    ]


def test_load_rules_with_no_files(root: Path) -> None:
    rules, warnings = rules_of(root)
    assert (rules.allow, rules.ask, rules.deny, warnings) == ([], [], [], [])


@pytest.mark.parametrize(
    ("relpath", "content", "warning"),
    [
        (".stepwise/settings.yaml", "permissions: [unclosed", ".stepwise/settings.yaml is not valid YAML"),
        (".stepwise/settings.yaml", "- a list", ".stepwise/settings.yaml must be a mapping"),
        (".stepwise/settings.yaml", "permissions: [Bash]", "`permissions` must be a mapping"),
        (".stepwise/settings.yaml", "permissions:\n  allow: 3", "`permissions.allow` must be a list"),
        (".stepwise/settings.yaml", "permissions:\n  deny: [Nope]", "unknown tool 'Nope'"),
        (".stepwise/settings.yaml", "permissions:\n  ask: ['Bash(x']", "unbalanced parentheses"),
        (".stepwise/settings.yaml", "permissions:\n  allow: [{a: 1}]", "a rule is a string"),
        (".claude/settings.json", "{not json", ".claude/settings.json: invalid JSON"),
        (".claude/settings.local.json", '{"permissions": {"allow": ["Bash("]}}', ".claude/settings.local.json"),
    ],
)
def test_broken_files_and_rules_are_warnings(root: Path, relpath: str, content: str, warning: str) -> None:
    write(root / relpath, content)
    write(
        root / ".claude" / ("settings.json" if "local" in relpath else "settings.local.json"),
        json.dumps({"permissions": {"allow": ["Bash(ls)"]}}),
    )
    rules, warnings = rules_of(root)
    assert len(warnings) == 1 and warning in warnings[0], warnings
    assert relpath in warnings[0]
    assert [r.text for r in rules.allow] == ["Bash(ls)"]


def test_unreadable_file_is_a_warning(root: Path) -> None:
    write(root / ".stepwise" / "settings.yaml", "").write_bytes(b"\xff\xfe\x00bad")
    _, warnings = rules_of(root)
    assert len(warnings) == 1 and "cannot read settings file" in warnings[0]


def test_bad_cli_rule_is_a_warning(root: Path) -> None:
    rules, warnings = rules_of(root, cli_allow=["Bash(ls", "Bash(pwd)"])
    assert warnings == ["--allow: allow rule ignored: rule 'Bash(ls' has unbalanced parentheses; write Tool(pattern)"]
    assert [r.text for r in rules.allow] == ["Bash(pwd)"]


def test_claude_only_tools_are_skipped_quietly_in_claude_files(root: Path) -> None:
    write(
        root / ".claude" / "settings.json",
        json.dumps(
            {
                "permissions": {
                    "allow": ["WebFetch(domain:x.com)", "mcp__github__x", "WebSearch", "Task", "Bash(ls)"],
                    "defaultMode": "acceptEdits",
                }
            }
        ),
    )
    rules, warnings = rules_of(root)
    assert warnings == []
    # Web, MCP and delegation rules are stepwise rules too, so they are kept.
    assert [r.text for r in rules.allow] == [
        "WebFetch(domain:x.com)",
        "mcp__github__x",
        "WebSearch",
        "Task",
        "Bash(ls)",
    ]


@pytest.mark.parametrize("text", ["mcp__", "mcp__calc(add)", "mcp__*__add", "mcp____add"])
def test_malformed_mcp_rules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="MCP rule"):
        parse_rule(text)


def test_claude_only_tools_warn_in_stepwise_files(root: Path) -> None:
    write(root / ".stepwise" / "settings.yaml", "permissions:\n  allow: ['NotebookEdit']\n")
    _, warnings = rules_of(root)
    assert len(warnings) == 1 and "unknown tool 'NotebookEdit'" in warnings[0]


def test_single_string_rule_list_is_accepted(root: Path) -> None:
    write(root / ".stepwise" / "settings.yaml", "permissions:\n  allow: Bash(ls)\n")
    rules, warnings = rules_of(root)
    assert warnings == [] and [r.text for r in rules.allow] == ["Bash(ls)"]


# -- saving --------------------------------------------------------------------


def test_save_rule_creates_the_project_file(root: Path) -> None:
    path = save_rule(root, "run_in_terminal(npm test:*)")
    assert path == root / ".stepwise" / "settings.yaml"
    assert yaml.safe_load(path.read_text()) == {"permissions": {"allow": ["run_in_terminal(npm test:*)"]}}
    rules, _ = rules_of(root)
    assert [r.text for r in rules.allow] == ["run_in_terminal(npm test:*)"]


def test_save_rule_keeps_other_content(root: Path) -> None:
    write(
        root / ".stepwise" / "settings.yaml",
        "theme: dark\nmodels:\n  fast: haiku\npermissions:\n  allow: [Bash(ls)]\n  deny: [Bash(rm:*)]\n",
    )
    save_rule(root, "Edit(src/**)")
    save_rule(root, "Bash(curl:*)", behavior="deny")
    data = yaml.safe_load((root / ".stepwise" / "settings.yaml").read_text())
    assert data == {
        "theme": "dark",
        "models": {"fast": "haiku"},
        "permissions": {"allow": ["Bash(ls)", "Edit(src/**)"], "deny": ["Bash(rm:*)", "Bash(curl:*)"]},
    }


def test_save_rule_twice_changes_nothing(root: Path) -> None:
    path = save_rule(root, "Bash(ls)")
    before = path.read_text()
    save_rule(root, " Bash(ls) ")
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("theme: [unclosed", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("permissions: 3\n", "`permissions` is not a mapping"),
        ("permissions:\n  allow: yes\n", "`permissions.allow` is not a list"),
    ],
)
def test_save_rule_refuses_to_clobber_a_broken_file(root: Path, content: str, message: str) -> None:
    path = write(root / ".stepwise" / "settings.yaml", content)
    with pytest.raises(SettingsError, match=message):
        save_rule(root, "Bash(ls)")
    assert path.read_text() == content


@pytest.mark.parametrize(
    ("rule", "behavior", "problem"),
    [
        ("Bash(ls", "allow", "unbalanced parentheses"),
        ("Nope", "allow", "unknown tool"),
        ("Bash", "perhaps", "unknown rule behavior"),
    ],
)
def test_save_rule_validates_first(root: Path, rule: str, behavior: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        save_rule(root, rule, behavior)
    assert not (root / ".stepwise").exists()


def test_saving_a_rule_already_there_leaves_the_file_and_its_comments(root: Path) -> None:
    path = write(root / ".stepwise" / "settings.yaml", "# mine\npermissions:\n  allow: [Bash(ls)]  # keep\n")
    assert save_rule(root, "Bash(ls)") == path
    assert path.read_text() == "# mine\npermissions:\n  allow: [Bash(ls)]  # keep\n"


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("Bash(a:*)", ["Bash(a:*)"]),
        ("run_in_terminal(a:*), run_in_terminal(b, c:*)", ["run_in_terminal(a:*)", "run_in_terminal(b, c:*)"]),
    ],
)
def test_a_suggestion_holds_one_rule_per_part(text: str, rules: list[str]) -> None:
    assert split_rules(text) == rules


def test_saving_several_rules_saves_each(root: Path) -> None:
    path = save_rule(root, "Bash(a:*), Bash(b:*)")
    assert yaml.safe_load(path.read_text())["permissions"]["allow"] == ["Bash(a:*)", "Bash(b:*)"]


def test_agent_patterns_become_rules_named_after_the_agent() -> None:
    rules, warnings = agent_rules("careful", ["Bash(git add:*)"], ["Bash(rm:*)", "Nope(x)"])
    assert [r.text for r in rules.allow] == ["Bash(git add:*)"]
    assert [(r.text, r.source) for r in rules.deny] == [("Bash(rm:*)", "agent careful")]
    assert len(warnings) == 1 and "Nope" in warnings[0]
