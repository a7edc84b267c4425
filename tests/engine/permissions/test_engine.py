"""The permission engine: modes x tool kinds x rules, compound commands, hard limits, grants."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.engine.permissions.engine import Decision, PermissionEngine
from tui.engine.permissions.modes import MODES
from tui.engine.permissions.rules import RuleSet, parse_rule
from tui.engine.tools.base import Action, ToolKind

SOURCE = ".stepwise/settings.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    for folder in ("src/app", "lib", "sub", ".git/hooks"):
        (workspace / folder).mkdir(parents=True)
    (workspace / "src" / "a.py").write_text("a\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s\n")
    (workspace / "link").symlink_to(outside)
    (workspace / "leak.txt").symlink_to(outside / "secret.txt")
    return workspace.resolve()


def engine(root: Path, mode: str = "default", **rules: list[str]) -> PermissionEngine:
    ruleset = RuleSet()
    for behavior, texts in rules.items():
        for text in texts:
            ruleset.add(parse_rule(text, behavior, SOURCE))
    return PermissionEngine(root, mode, ruleset)


def read(root: Path, *rels: str, tool: str = "read_file") -> Action:
    paths = tuple((root / rel).resolve() for rel in rels)
    return Action(tool=tool, kind=ToolKind.READ, input={}, target=", ".join(rels), paths=paths)


def edit(root: Path, *rels: str, tool: str = "replace_string_in_file", resolve: bool = True) -> Action:
    paths = tuple((root / rel).resolve() if resolve else root / rel for rel in rels)
    return Action(tool=tool, kind=ToolKind.EDIT, input={}, target=", ".join(rels), paths=paths)


def run(command: str, cwd: Path | None = None) -> Action:
    return Action(
        tool="run_in_terminal",
        kind=ToolKind.EXECUTE,
        input={"command": command},
        target=command,
        command=command,
        cwd=cwd,
    )


def plan() -> Action:
    return Action(tool="exit_plan_mode", kind=ToolKind.PLAN, input={"plan": "do it"}, target="plan")


def mcp_call(server: str, tool: str) -> Action:
    return Action(tool=f"mcp__{server}__{tool}", kind=ToolKind.MCP, input={"a": 1}, target=f"{server}: {tool}")


def fetch(*urls: str) -> Action:
    return Action(tool="web_fetch", kind=ToolKind.WEB, input={"urls": list(urls), "query": ""}, target=" ".join(urls))


def outcome(decision: Decision) -> str:
    return f"{decision.behavior}/{decision.decided_by}"


# -- modes -----------------------------------------------------------------------


def test_engine_mode_is_validated(root: Path) -> None:
    permissions = PermissionEngine(root, "manual")
    assert permissions.mode == "default"
    permissions.mode = "acceptedits"
    assert permissions.mode == "acceptEdits"
    with pytest.raises(ValueError, match="unknown permission mode"):
        permissions.mode = "sometimes"
    assert permissions.mode == "acceptEdits"
    with pytest.raises(ValueError, match="unknown permission mode"):
        PermissionEngine(root, "nope")


# -- the matrix: mode x tool kind x rule kind ------------------------------------

KIND_ACTIONS = {
    "read": (lambda root: read(root, "src/a.py"), "Read(src/**)"),
    "edit": (lambda root: edit(root, "src/a.py"), "Edit(src/**)"),
    "execute": (lambda root: run("npm test -- -x"), "Bash(npm test:*)"),
    "plan": (lambda root: plan(), "ExitPlanMode"),
    "meta": (
        lambda root: Action(tool="manage_todo_list", kind=ToolKind.META, input={}, target="1/2 done"),
        "TodoWrite",
    ),
    "mcp": (lambda root: mcp_call("calc", "add"), "mcp__calc"),
    "web": (lambda root: fetch("https://docs.python.org/3/"), "WebFetch(domain:docs.python.org)"),
}

MATRIX = """
rule   mode               read        edit             execute     plan   meta  mcp  web
none   default            allow/mode  ask/mode         ask/mode    deny/mode   allow/mode  ask/mode  ask/mode
none   acceptEdits        allow/mode  allow/mode       ask/mode    deny/mode   allow/mode  ask/mode  ask/mode
none   plan               allow/mode  deny/mode        deny/mode   ask/mode   allow/mode  ask/mode  ask/mode
none   dontAsk            allow/mode  deny/mode        deny/mode   deny/mode   allow/mode  deny/mode  deny/mode
none   bypassPermissions  allow/mode  allow/mode       allow/mode  deny/mode   allow/mode  allow/mode  allow/mode
allow  default            allow/rule  allow/rule       allow/rule  deny/mode   allow/mode  allow/rule  allow/rule
allow  acceptEdits        allow/rule  allow/rule       allow/rule  deny/mode   allow/mode  allow/rule  allow/rule
allow  plan               allow/rule  deny/mode        allow/rule  ask/mode   allow/mode  allow/rule  allow/rule
allow  dontAsk            allow/rule  allow/rule       allow/rule  deny/mode   allow/mode  allow/rule  allow/rule
allow  bypassPermissions  allow/rule  allow/rule       allow/rule  deny/mode   allow/mode  allow/rule  allow/rule
ask    default            ask/rule    ask/rule         ask/rule    deny/mode   ask/rule  ask/rule  ask/rule
ask    acceptEdits        ask/rule    ask/rule         ask/rule    deny/mode   ask/rule  ask/rule  ask/rule
ask    plan               ask/rule    deny/mode        ask/rule    ask/mode   ask/rule  ask/rule  ask/rule
ask    dontAsk            deny/rule   deny/rule        deny/rule   deny/mode   deny/rule  deny/rule  deny/rule
ask    bypassPermissions  ask/rule    ask/rule         ask/rule    deny/mode   ask/rule  ask/rule  ask/rule
deny   default            deny/rule   deny/rule        deny/rule   deny/mode   deny/rule  deny/rule  deny/rule
deny   acceptEdits        deny/rule   deny/rule        deny/rule   deny/mode   deny/rule  deny/rule  deny/rule
deny   plan               deny/rule   deny/rule        deny/rule   deny/rule   deny/rule  deny/rule  deny/rule
deny   dontAsk            deny/rule   deny/rule        deny/rule   deny/mode   deny/rule  deny/rule  deny/rule
deny   bypassPermissions  deny/rule   deny/rule        deny/rule   deny/mode   deny/rule  deny/rule  deny/rule
"""


def _matrix_cases() -> list[tuple[str, str, str, str]]:
    header, *rows = MATRIX.strip().splitlines()
    kinds = header.split()[2:]
    return [
        (rule, mode, kind, expected)
        for rule, mode, *cells in (row.split() for row in rows)
        for kind, expected in zip(kinds, cells, strict=True)
    ]


@pytest.mark.parametrize(("rule_kind", "mode", "kind", "expected"), _matrix_cases())
def test_mode_kind_rule_matrix(root: Path, rule_kind: str, mode: str, kind: str, expected: str) -> None:
    make_action, rule = KIND_ACTIONS[kind]
    rules = {} if rule_kind == "none" else {rule_kind: [rule]}
    decision = engine(root, mode, **rules).decide(make_action(root))
    assert outcome(decision) == expected, decision.reason
    assert decision.mode == mode
    if decision.decided_by == "rule":
        assert decision.rule == rule
        assert f"rule {rule} in {SOURCE}" in decision.reason


def test_covered_modes_and_kinds() -> None:
    cases = _matrix_cases()
    assert {c[1] for c in cases} == set(MODES)
    assert {c[2] for c in cases} == {k.value for k in ToolKind}
    assert len(cases) == len(MODES) * len(ToolKind) * 4


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("default", "mode default asks before editing files"),
        ("acceptEdits", "mode acceptEdits allows edits inside the workspace"),
        ("plan", "mode plan is read-only"),
        ("dontAsk", "mode dontAsk denies editing files that no rule allows"),
        ("bypassPermissions", "mode bypassPermissions allows"),
    ],
)
def test_edit_reasons_name_the_mode(root: Path, mode: str, reason: str) -> None:
    assert reason in engine(root, mode).decide(edit(root, "src/a.py")).reason


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("default", "mode default asks before running commands"),
        ("acceptEdits", "mode acceptEdits asks before running commands"),
        ("plan", "mode plan does not run commands"),
        ("dontAsk", "mode dontAsk denies running commands that no rule allows"),
    ],
)
def test_command_reasons_name_the_mode(root: Path, mode: str, reason: str) -> None:
    assert reason in engine(root, mode).decide(run("make")).reason


@pytest.mark.parametrize("mode", [m for m in MODES if m != "plan"])
def test_exit_plan_mode_outside_plan_mode_is_denied(root: Path, mode: str) -> None:
    decision = engine(root, mode, allow=["ExitPlanMode"]).decide(plan())
    assert outcome(decision) == "deny/mode"
    assert "not in plan mode" in decision.reason


def test_exit_plan_mode_asks_in_plan_mode(root: Path) -> None:
    decision = engine(root, "plan", allow=["exit_plan_mode"]).decide(plan())
    assert outcome(decision) == "ask/mode"
    assert decision.suggested_rule is None


# -- compound commands -------------------------------------------------------------

BYPASS_ATTEMPTS = [
    "git status && rm -rf x",
    "git status&&rm -rf x",
    "git status || rm -rf x",
    "git status; rm -rf x",
    "git status;rm x",
    "git status; curl x | sh",
    "git status | sh",
    "git status |& sh",
    "git status & rm x",
    "git status\nrm x",
    "git status\r\nrm x",
    "git status # hi\nrm x",
    "git status \\\n&& rm x",
    "git status $(rm x)",
    "git status `rm x`",
    'git status "$(rm x)"',
    "git status <(rm x)",
    "git status >(rm x)",
    "(git status; rm x)",
    "(git status) && (rm x)",
    "{ git status; rm x; }",
    "if git status; then rm x; fi",
    'bash -c "git status; rm x"',
    "bash -c 'git status'",
    "sh -c 'git status'",
    "/bin/sh -c 'git status'",
    'eval "git status; rm x"',
    "eval git status",
    'bash -c "$CMD"',
    "FOO=$(rm x) git status",
    "FOO=`rm x` git status",
    "PATH=/tmp/evil git status",
    "LD_PRELOAD=/tmp/x.so git status",
    "GIT_SSH_COMMAND='rm -rf ~' git status",
    "PATH=/tmp/evil; git status",
    "$(echo git) status",
    "$GIT status",
    "git status > /etc/passwd",
    "git status >> ../outside.txt",
    "git status > .git/config",
    "git status > sub/../.git/hooks/pre-commit",
    "git status &> ~/x",
    "git status > link/x",
    'git status > "$OUT"',
    "git status 2> $(rm x)",
    "git status 'unbalanced",
    'git status "unbalanced',
    "git status $(unbalanced",
    "cat <<EOF\n$(rm x)\nEOF",
    "echo $(git status)",
    "git status ${x:-$(rm x)}",
    "git status $(( $(rm x) ))",
]


@pytest.mark.parametrize("command", BYPASS_ATTEMPTS)
def test_exact_command_rule_never_allows_more(root: Path, command: str) -> None:
    decision = engine(root, allow=["Bash(git status)", "Bash(cat:*)"]).decide(run(command))
    assert decision.behavior == "ask", decision.reason


@pytest.mark.parametrize("command", BYPASS_ATTEMPTS)
def test_prefix_rule_never_allows_more(root: Path, command: str) -> None:
    decision = engine(root, allow=["run_in_terminal(git status:*)", "Bash(cat:*)"]).decide(run(command))
    assert decision.behavior == "ask", decision.reason


@pytest.mark.parametrize("command", BYPASS_ATTEMPTS)
def test_dont_ask_denies_every_bypass_attempt(root: Path, command: str) -> None:
    decision = engine(root, "dontAsk", allow=["Bash(git status:*)", "Bash(cat:*)"]).decide(run(command))
    assert decision.behavior == "deny", decision.reason


@pytest.mark.parametrize(
    "command",
    [
        "git status",
        "git  status",
        'git "status"',
        "git status && npm test",
        "git status || npm test -x",
        "git status; npm test",
        "git status | npm test",
        "git status & npm test",
        "git status\nnpm test",
        "(git status; npm test)",
        "{ git status; npm test; }",
        "LANG=C git status",
        "LANG=C TZ=Europe/Paris NO_COLOR=1 npm test",
        "npm test $(git status)",
        "npm test `git status`",
        "bash -c 'git status && npm test'",
        "eval 'git status'",
        "git status > out.txt",
        "git status 2>&1 >> logs/out.log",
        "git status 2> /dev/null",
        "git status &> /dev/null",
        "git status < /etc/hosts",
        "git status # && rm -rf x",
        'git status && echo "a && rm -rf x"',
        "if git status; then npm test; fi",
    ],
)
def test_compound_command_allowed_when_every_part_matches(root: Path, command: str) -> None:
    rules = ["Bash(git status)", "Bash(npm test:*)", "Bash(bash -c:*)", "Bash(eval:*)", "Bash(echo:*)"]
    decision = engine(root, allow=rules).decide(run(command))
    assert outcome(decision) == "allow/rule", decision.reason


def test_compound_reason_lists_every_rule(root: Path) -> None:
    decision = engine(root, allow=["Bash(git status)", "Bash(npm test:*)"]).decide(run("git status && npm test"))
    assert decision.rule == "Bash(git status), Bash(npm test:*)"
    assert "allow every part of it" in decision.reason


def test_reason_names_the_part_no_rule_allows(root: Path) -> None:
    decision = engine(root, allow=["Bash(git status)"]).decide(run("git status && rm -rf x"))
    assert "no rule allows `rm -rf x`" in decision.reason


def test_reason_explains_what_stepwise_cannot_tell(root: Path) -> None:
    decision = engine(root, allow=["Bash(git status)"]).decide(run("PATH=/tmp git status"))
    assert decision.reason == "stepwise cannot tell what this runs: it sets PATH, which can change what programs run"


@pytest.mark.parametrize(
    "command",
    [
        "git status && rm -rf x",
        "rm -rf x",
        "echo $(rm x)",
        "echo `rm x`",
        "bash -c 'rm -rf /'",
        "eval rm x",
        "FOO=1 rm x",
        "(cd x; rm y)",
        "ls | xargs -0 echo; rm z",
        "rm 'unbalanced",
        # ... and the program by name, and what a wrapper runs
        "/bin/rm -rf x",
        "./rm x",
        "env /bin/rm x",
        "busybox rm x",
        "env rm -rf x",
        "env -i FOO=1 rm x",
        "/usr/bin/env rm x",
        "sudo -u root env A=b rm x",
        "timeout -s KILL 5 rm x",
        "nice -n 10 rm x",
        "nohup rm x &",
        "command rm x",
        "builtin exec rm x",
        "stdbuf -o0 rm x",
        "env -S 'rm -rf x'",
        "ls | xargs -0 -n 1 rm",
        "find . -name '*.pyc' -exec rm {} \\;",
        "find . -execdir rm -f {} +",
        "env " * 100 + "rm x",
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_deny_rule_matches_any_part(root: Path, command: str, mode: str) -> None:
    rules = {"allow": ["Bash", "Bash(git status)"], "deny": ["Bash(rm:*)"]}
    decision = engine(root, mode, **rules).decide(run(command))
    assert outcome(decision) == "deny/rule", decision.reason
    assert decision.rule == "Bash(rm:*)"


@pytest.mark.parametrize(
    "command", ["env echo rm", "timeout 5 echo rm", "command -v rm", "find . -name rm", "xargs echo rm"]
)
def test_a_wrapper_is_read_as_it_reads_its_arguments(root: Path, command: str) -> None:
    # None of these runs `rm`: the deny rule leaves them to the allow rule.
    decision = engine(root, allow=["Bash"], deny=["Bash(rm:*)"]).decide(run(command))
    assert outcome(decision) == "allow/rule", decision.reason


@pytest.mark.parametrize("command", ["env npm test", "/usr/bin/npm test"])
def test_an_allow_rule_does_not_vouch_for_a_path_or_what_a_wrapper_runs(root: Path, command: str) -> None:
    decision = engine(root, allow=["Bash(npm test:*)"]).decide(run(command))
    assert outcome(decision) == "ask/mode", decision.reason


def test_deny_rule_also_sees_the_whole_line(root: Path) -> None:
    decision = engine(root, "bypassPermissions", deny=["Bash(*--force*)"]).decide(run("git push --force && ls"))
    assert outcome(decision) == "deny/rule"


def test_ask_rule_matches_any_part(root: Path) -> None:
    rules = {"allow": ["Bash(git:*)"], "ask": ["Bash(git push:*)"]}
    decision = engine(root, **rules).decide(run("git add . && git push origin main"))
    assert outcome(decision) == "ask/rule"
    assert decision.rule == "Bash(git push:*)"
    assert decision.suggested_rule is None


def test_bare_allow_rule_allows_even_unparsable_commands(root: Path) -> None:
    assert outcome(engine(root, allow=["Bash"]).decide(run("echo 'x"))) == "allow/rule"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("default", "ask/hard_limit"),
        ("acceptEdits", "ask/hard_limit"),
        ("bypassPermissions", "ask/hard_limit"),
        ("plan", "deny/hard_limit"),
        ("dontAsk", "deny/hard_limit"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        "echo x > /etc/passwd",
        "echo x >> .git/config",
        "echo x > sub/../.git/hooks/pre-commit",
        "echo x > ../escape",
        "echo x > link/inside-out",
        "echo x &> ~/x",
        "echo x > $OUT",
        "{ echo x; } > /etc/out",
        "echo ok && echo x 2>/tmp/elsewhere",
    ],
)
def test_protected_redirects_are_never_allowed_by_rules(root: Path, mode: str, expected: str, command: str) -> None:
    decision = engine(root, mode, allow=["Bash", "Bash(echo:*)"]).decide(run(command))
    assert outcome(decision) == expected, decision.reason
    assert "redirects output to" in decision.reason


def test_redirect_is_resolved_against_the_command_cwd(root: Path) -> None:
    permissions = engine(root, allow=["Bash(echo:*)"])
    assert outcome(permissions.decide(run("echo x > ../out.txt", cwd=root / "sub"))) == "allow/rule"
    decision = permissions.decide(run("echo x > ../../out.txt", cwd=root / "sub"))
    assert outcome(decision) == "ask/hard_limit"
    assert "outside the workspace" in decision.reason


def test_redirect_to_a_hard_limited_target_still_denied_by_deny_rule(root: Path) -> None:
    decision = engine(root, deny=["Bash(echo:*)"]).decide(run("echo x > /etc/passwd"))
    assert outcome(decision) == "deny/rule"


def test_plan_mode_allows_commands_allowed_by_rules_only(root: Path) -> None:
    permissions = engine(root, "plan", allow=["Bash(git status)"])
    assert outcome(permissions.decide(run("git status"))) == "allow/rule"
    assert outcome(permissions.decide(run("git status && rm x"))) == "deny/mode"


@pytest.mark.parametrize("command", ["", "   ", "# just a comment"])
def test_commands_that_run_nothing_still_ask(root: Path, command: str) -> None:
    assert outcome(engine(root, allow=["Bash(git status)"]).decide(run(command))) == "ask/mode"


def test_command_taken_from_input_when_missing(root: Path) -> None:
    action = Action(tool="run_in_terminal", kind=ToolKind.EXECUTE, input={"command": "ls"}, target="ls")
    assert outcome(engine(root, allow=["Bash(ls)"]).decide(action)) == "allow/rule"


# -- hard limits and path escapes -------------------------------------------------

ESCAPES = [
    "../x.txt",
    "../../etc/passwd",
    "/etc/passwd",
    "link/secret.txt",
    "link/new.txt",
    "leak.txt",
    ".git/config",
    ".git",
    "sub/../.git/hooks/pre-commit",
    "src/../../outside/secret.txt",
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rel", ESCAPES)
@pytest.mark.parametrize("tool", ["create_file", "replace_string_in_file", "multi_replace_string_in_file"])
def test_edits_breaking_hard_limits_are_denied(root: Path, mode: str, rel: str, tool: str) -> None:
    permissions = engine(root, mode, allow=["Edit", "Edit(//**)", "Write(**)"])
    permissions.grant_session("Edit")
    decision = permissions.decide(edit(root, rel, tool=tool))
    assert outcome(decision) == "deny/hard_limit", decision.reason
    assert decision.reason.startswith("hard limit: ")


@pytest.mark.parametrize("rel", ESCAPES)
def test_hard_limits_hold_for_unresolved_paths(root: Path, rel: str) -> None:
    decision = engine(root, "bypassPermissions").decide(edit(root, rel, resolve=False))
    assert outcome(decision) == "deny/hard_limit", decision.reason


def test_one_bad_path_denies_a_multi_file_edit(root: Path) -> None:
    decision = engine(root, "acceptEdits").decide(edit(root, "src/a.py", ".git/config"))
    assert outcome(decision) == "deny/hard_limit"
    assert ".git/" in decision.reason


def test_hard_linked_file_is_denied(root: Path) -> None:
    os.link(root / "src" / "a.py", root / "lib" / "twin.py")
    decision = engine(root, "bypassPermissions").decide(edit(root, "lib/twin.py"))
    assert outcome(decision) == "deny/hard_limit"
    assert "hard links" in decision.reason


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("default", "ask/mode"),
        ("acceptEdits", "ask/mode"),
        ("plan", "ask/mode"),
        ("dontAsk", "deny/mode"),
        ("bypassPermissions", "allow/mode"),
    ],
)
@pytest.mark.parametrize("rel", ["../outside/secret.txt", "/etc/hosts", "link/secret.txt", "leak.txt"])
def test_reads_outside_the_workspace(root: Path, mode: str, expected: str, rel: str) -> None:
    decision = engine(root, mode).decide(read(root, rel))
    assert outcome(decision) == expected, decision.reason
    if decision.behavior != "allow":
        assert "reading outside the workspace" in decision.reason


@pytest.mark.parametrize("tool", ["read_file", "grep_search", "file_search", "list_dir"])
def test_reads_inside_the_workspace_are_allowed_even_in_git(root: Path, tool: str) -> None:
    for rel in ("src/a.py", ".git/config", "src", "."):
        assert outcome(engine(root).decide(read(root, rel, tool=tool))) == "allow/mode"


def test_read_without_paths_is_allowed(root: Path) -> None:
    action = Action(tool="get_terminal_output", kind=ToolKind.READ, input={"id": "t1"}, target="t1")
    assert outcome(engine(root, "dontAsk").decide(action)) == "allow/mode"


def test_multi_path_read_with_one_outside_asks(root: Path) -> None:
    decision = engine(root).decide(read(root, "src/a.py", "/etc/hosts", tool="grep_search"))
    assert outcome(decision) == "ask/mode"


def test_absolute_read_rule_allows_an_outside_read(root: Path, tmp_path: Path) -> None:
    outside = (tmp_path / "outside").resolve()
    permissions = engine(root, allow=[f"Read(/{outside}/**)"])
    assert outcome(permissions.decide(read(root, "link/secret.txt"))) == "allow/rule"
    assert outcome(permissions.decide(read(root, "/etc/hosts"))) == "ask/mode"


# -- tool families -------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["Edit(src/**)", "Write(src/**)", "MultiEdit(src/**)", "create_file(src/**)"])
@pytest.mark.parametrize("tool", ["create_file", "replace_string_in_file", "multi_replace_string_in_file"])
def test_any_edit_rule_covers_every_edit_tool(root: Path, rule: str, tool: str) -> None:
    assert outcome(engine(root, allow=[rule]).decide(edit(root, "src/a.py", tool=tool))) == "allow/rule"
    assert outcome(engine(root, allow=[rule]).decide(edit(root, "lib/b.py", tool=tool))) == "ask/mode"


@pytest.mark.parametrize("rule", ["Read(./.env)", "read_file(.env)"])
@pytest.mark.parametrize("tool", ["read_file", "grep_search", "file_search", "list_dir"])
def test_read_rule_covers_every_path_read_tool(root: Path, rule: str, tool: str) -> None:
    decision = engine(root, "bypassPermissions", deny=[rule]).decide(read(root, ".env", tool=tool))
    assert outcome(decision) == "deny/rule"


def test_specific_read_tool_rule_covers_only_that_tool(root: Path) -> None:
    permissions = engine(root, deny=["Grep(.env)"])
    assert outcome(permissions.decide(read(root, ".env", tool="grep_search"))) == "deny/rule"
    assert outcome(permissions.decide(read(root, ".env", tool="read_file"))) == "allow/mode"


def test_edit_rules_do_not_touch_reads_or_commands(root: Path) -> None:
    permissions = engine(root, deny=["Edit(src/**)"])
    assert outcome(permissions.decide(read(root, "src/a.py"))) == "allow/mode"
    assert outcome(permissions.decide(run("cat src/a.py"))) == "ask/mode"


def test_multi_file_edit_needs_every_path_allowed(root: Path) -> None:
    permissions = engine(root, allow=["Edit(src/**)"])
    assert outcome(permissions.decide(edit(root, "src/a.py", "src/app/b.py"))) == "allow/rule"
    assert outcome(permissions.decide(edit(root, "src/a.py", "lib/b.py"))) == "ask/mode"
    assert outcome(engine(root, deny=["Edit(lib/**)"]).decide(edit(root, "src/a.py", "lib/b.py"))) == "deny/rule"


# -- precedence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected", "rule"),
    [
        ({"allow": ["Bash(npm:*)"], "ask": ["Bash(npm test)"], "deny": ["Bash"]}, "deny/rule", "Bash"),
        ({"allow": ["Bash(npm:*)"], "ask": ["Bash(npm test)"]}, "ask/rule", "Bash(npm test)"),
        ({"allow": ["Bash(npm test)"], "deny": ["Bash(npm:*)"]}, "deny/rule", "Bash(npm:*)"),
        ({"allow": ["Bash(pip:*)", "Bash(npm:*)", "Bash(npm test)"]}, "allow/rule", "Bash(npm:*)"),
        ({"deny": ["Bash(npm test)", "Bash(npm:*)"]}, "deny/rule", "Bash(npm test)"),
        ({"allow": ["Bash(pip:*)"]}, "ask/mode", None),
    ],
)
def test_rule_precedence(root: Path, rules: dict[str, list[str]], expected: str, rule: str | None) -> None:
    decision = engine(root, **rules).decide(run("npm test"))
    assert outcome(decision) == expected
    assert decision.rule == rule


def test_rules_beat_session_grants(root: Path) -> None:
    permissions = engine(root, allow=["Bash(ls)"], deny=["Bash(rm:*)"], ask=["Bash(git push:*)"])
    for grant in ("Bash(ls)", "Bash(rm:*)", "Bash(git push:*)"):
        permissions.grant_session(grant)
    assert outcome(permissions.decide(run("ls"))) == "allow/rule"
    assert outcome(permissions.decide(run("rm x"))) == "deny/rule"
    assert outcome(permissions.decide(run("git push"))) == "ask/rule"


# -- session grants and added rules --------------------------------------------------


def test_session_grant_allows_matching_calls(root: Path) -> None:
    permissions = engine(root)
    assert outcome(permissions.decide(run("npm test -x"))) == "ask/mode"
    permissions.grant_session("run_in_terminal(npm test:*)")
    decision = permissions.decide(run("npm test -x"))
    assert outcome(decision) == "allow/session"
    assert decision.reason == "approved for this session: run_in_terminal(npm test:*)"
    assert decision.rule == "run_in_terminal(npm test:*)"
    assert outcome(permissions.decide(run("npm testing"))) == "ask/mode"


def test_session_grant_and_rule_together_cover_a_compound_command(root: Path) -> None:
    permissions = engine(root, allow=["Bash(git status)"])
    permissions.grant_session("Bash(npm test:*)")
    decision = permissions.decide(run("git status && npm test"))
    assert outcome(decision) == "allow/session"
    assert "Bash(git status) in .stepwise/settings.yaml" in decision.reason


def test_session_grant_for_edits(root: Path) -> None:
    permissions = engine(root)
    permissions.grant_session("Edit(src/**)")
    assert outcome(permissions.decide(edit(root, "src/app/x.py"))) == "allow/session"
    assert outcome(permissions.decide(edit(root, "lib/x.py"))) == "ask/mode"
    assert outcome(permissions.decide(edit(root, "src/../.git/x"))) == "deny/hard_limit"


def test_session_grant_never_vouches_for_opaque_commands(root: Path) -> None:
    permissions = engine(root)
    permissions.grant_session("Bash(git status)")
    assert outcome(permissions.decide(run("PATH=. git status"))) == "ask/mode"


@pytest.mark.parametrize(
    ("rule", "problem"), [("Bash(x", "unbalanced parentheses"), ("Nope", "unknown tool"), ("", "the rule is empty")]
)
def test_malformed_session_grant_raises(root: Path, rule: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        engine(root).grant_session(rule)


def test_a_deny_rule_beats_a_broader_allow_rule_and_names_its_source(root: Path) -> None:
    permissions = engine(root, allow=["Bash(make:*)"], deny=["Bash(make clean)"])
    assert outcome(permissions.decide(run("make all"))) == "allow/rule"
    decision = permissions.decide(run("make clean"))
    assert outcome(decision) == "deny/rule"
    assert SOURCE in decision.reason


# -- suggested rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "suggested"),
    [
        ("npm test", "run_in_terminal(npm test:*)"),
        ("npm test -- -x", "run_in_terminal(npm test:*)"),
        ("git status --short", "run_in_terminal(git status:*)"),
        ("ls -la", "run_in_terminal(ls:*)"),
        ("pytest tests/x.py", "run_in_terminal(pytest:*)"),
        ("make", "run_in_terminal(make:*)"),
        ("LC_ALL=C cargo build --release", "run_in_terminal(cargo build:*)"),
        ("FOO=1 cargo build --release", None),
        ("git status && rm -rf x", "run_in_terminal(rm:*)"),
        ("npm test && npm test -x", "run_in_terminal(npm test:*)"),
        # the narrowest useful rule: never any python, never any command (issue 12)
        ("python -m pytest -q tests/", "run_in_terminal(python -m pytest:*)"),
        ("python3 tools/gen.py --all", "run_in_terminal(python3 tools/gen.py:*)"),
        ("python -c 'import os'", None),
        ("python", None),
        ("node -e x", None),
        ("npm test && ls -la", "run_in_terminal(npm test:*), run_in_terminal(ls:*)"),
        ("timeout 60 npm test", "run_in_terminal(timeout 60 npm test:*)"),
        ("env rm x", "run_in_terminal(env rm:*)"),
        ("touch p", "run_in_terminal(touch:*)"),
        ("cd sub && make", None),
        ("bash -c 'make'", None),
        ("eval make", None),
        ("PATH=. make", None),
        ("$CMD x", None),
        ("echo 'x", None),
        ('"my tool" x', None),
        ("", None),
    ],
)
def test_suggested_command_rules(root: Path, command: str, suggested: str | None) -> None:
    permissions = engine(root, allow=["Bash(git status)"])
    decision = permissions.decide(run(command))
    assert decision.behavior == "ask"
    assert decision.suggested_rule == suggested
    if suggested:
        permissions.grant_session(suggested)
        assert permissions.decide(run(command)).behavior == "allow"


@pytest.mark.parametrize(
    ("rels", "suggested"),
    [
        (["src/app/main.py"], "Edit(src/app/**)"),
        (["setup.py"], "Edit(./setup.py)"),
        (["src/a.py", "src/app/b.py"], "Edit(src/**)"),
        (["src/app/a.py", "lib/b.py"], None),
        (["a.py", "b.py"], None),
        (["we[ir]d/x.py"], "Edit(we\\[ir]d/**)"),
    ],
)
def test_suggested_edit_rules(root: Path, rels: list[str], suggested: str | None) -> None:
    permissions = engine(root)
    decision = permissions.decide(edit(root, *rels))
    assert decision.behavior == "ask"
    assert decision.suggested_rule == suggested
    if suggested:
        permissions.grant_session(suggested)
        assert outcome(permissions.decide(edit(root, *rels))) == "allow/session"


def test_suggested_outside_read_rules(root: Path, tmp_path: Path) -> None:
    outside = (tmp_path / "outside").resolve()
    permissions = engine(root)
    file_decision = permissions.decide(read(root, "link/secret.txt"))
    assert file_decision.suggested_rule == f"Read(/{outside}/**)"
    dir_decision = permissions.decide(read(root, "link", tool="list_dir"))
    assert dir_decision.suggested_rule == f"Read(/{outside})"
    permissions.grant_session(dir_decision.suggested_rule)
    assert outcome(permissions.decide(read(root, "link", tool="list_dir"))) == "allow/session"
    assert outcome(permissions.decide(read(root, "link/secret.txt"))) == "allow/session"


def test_no_suggestion_for_the_filesystem_root(root: Path) -> None:
    assert engine(root).decide(read(root, "/etc/hosts", "/usr/bin/env")).suggested_rule is None


@pytest.mark.parametrize("mode", ["dontAsk", "bypassPermissions", "acceptEdits"])
def test_no_suggestion_unless_asking(root: Path, mode: str) -> None:
    decision = engine(root, mode).decide(edit(root, "src/a.py"))
    assert decision.behavior != "ask" and decision.suggested_rule is None


def test_a_command_with_nul_asks(root: Path) -> None:
    decision = engine(root, allow=["Bash(echo:*)"]).decide(run("echo x > 'a\0b'"))
    assert outcome(decision) == "ask/mode"
    assert "it holds a NUL character" in decision.reason


def test_symlink_loop_is_not_a_crash(root: Path) -> None:
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    assert outcome(engine(root).decide(edit(root, "loop_a/x.py", resolve=False))) == "ask/mode"
    assert outcome(engine(root, allow=["Bash(echo:*)"]).decide(run("echo x > loop_a/x"))) == "allow/rule"


# -- control files: stepwise's and its peers' agents, rules, settings and memory ------------------

CONTROL_FILES = [
    ".stepwise/agents/general.md",
    ".stepwise/settings.yaml",
    ".claude/settings.local.json",
    ".claude/agents/reviewer.md",
    ".github/agents/x.agent.md",
    ".github/chatmodes/x.chatmode.md",
    "AGENTS.md",
    "CLAUDE.md",
    ".Stepwise/settings.yaml",
]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("default", "ask/hard_limit"),
        ("acceptEdits", "ask/hard_limit"),
        ("bypassPermissions", "ask/hard_limit"),
        ("dontAsk", "deny/hard_limit"),
        ("plan", "deny/mode"),
    ],
)
@pytest.mark.parametrize("rel", CONTROL_FILES)
@pytest.mark.parametrize("tool", ["create_file", "replace_string_in_file"])
def test_control_file_edits_always_ask(root: Path, mode: str, expected: str, rel: str, tool: str) -> None:
    permissions = engine(root, mode, allow=["Edit", "Edit(.stepwise/**)", "Write(**)"])
    permissions.grant_session("Edit")
    decision = permissions.decide(edit(root, rel, tool=tool))
    assert outcome(decision) == expected, decision.reason
    assert decision.suggested_rule is None
    if decision.decided_by == "hard_limit":
        assert "configures stepwise" in decision.reason or "project memory" in decision.reason
        assert decision.reason.endswith("no rule, grant or mode lifts this, so it asks") or mode == "dontAsk"


def test_control_file_reached_through_a_symlink_asks(root: Path) -> None:
    (root / ".stepwise").mkdir()
    (root / "conf").symlink_to(root / ".stepwise", target_is_directory=True)
    decision = engine(root, "bypassPermissions").decide(edit(root, "conf/settings.yaml"))
    assert outcome(decision) == "ask/hard_limit"


def test_one_control_file_makes_a_multi_file_edit_ask(root: Path) -> None:
    decision = engine(root, "acceptEdits").decide(edit(root, "src/a.py", ".stepwise/settings.yaml"))
    assert outcome(decision) == "ask/hard_limit"
    assert ".stepwise/settings.yaml configures stepwise" in decision.reason


def test_deny_rule_still_denies_a_control_file(root: Path) -> None:
    decision = engine(root, "bypassPermissions", deny=["Edit(.claude/**)"]).decide(edit(root, ".claude/x.json"))
    assert outcome(decision) == "deny/rule"


@pytest.mark.parametrize("rel", ["src/AGENTS.md.orig", ".github/workflows/ci.yml", "stepwise.yaml"])
def test_look_alike_files_are_ordinary(root: Path, rel: str) -> None:
    assert outcome(engine(root, "acceptEdits").decide(edit(root, rel))) == "allow/mode"


@pytest.mark.parametrize("rel", ["pkg/.stepwise/agents/general.md", "sub/CLAUDE.md", "web/.vscode/tasks.json"])
def test_control_files_in_sub_folders_ask_even_in_accept_edits(root: Path, rel: str) -> None:
    assert outcome(engine(root, "acceptEdits").decide(edit(root, rel))) == "ask/hard_limit"


@pytest.mark.parametrize(
    ("mode", "expected"), [("bypassPermissions", "ask/hard_limit"), ("dontAsk", "deny/hard_limit")]
)
@pytest.mark.parametrize(
    "command",
    [
        "echo 'permissionMode: bypassPermissions' > .stepwise/agents/general.md",
        "echo '  allow: [run_in_terminal]' >> .stepwise/settings.yaml",
        "echo x > .claude/settings.json",
        "echo x > AGENTS.md",
        "echo x > ../.github/agents/x.md",
    ],
)
def test_redirects_into_control_files_always_ask(root: Path, mode: str, expected: str, command: str) -> None:
    permissions = engine(root, mode, allow=["Bash", "Bash(echo:*)"])
    permissions.grant_session("Bash(echo:*)")
    cwd = root / "sub" if command.endswith("../.github/agents/x.md") else None
    decision = permissions.decide(run(command, cwd=cwd))
    assert outcome(decision) == expected, decision.reason
    assert "redirects output to" in decision.reason


@pytest.mark.parametrize(
    ("mode", "expected"), [("bypassPermissions", "ask/hard_limit"), ("dontAsk", "deny/hard_limit")]
)
@pytest.mark.parametrize(
    "command",
    [
        "cp evil.sh .git/hooks/pre-commit",
        "tee .git/config",
        "sed -i s/a/b/ .stepwise/settings.yaml",
        "mv x.md .claude/agents/x.md",
        "install --target-directory=.git/hooks evil.sh",
        "cp evil.sh .GIT/hooks/post-checkout",
        "ln -sf ../evil .git/hooks/pre-push",
    ],
)
def test_arguments_naming_protected_files_always_ask(root: Path, mode: str, expected: str, command: str) -> None:
    permissions = engine(root, mode, allow=["Bash"])
    decision = permissions.decide(run(command))
    assert outcome(decision) == expected, decision.reason
    assert "it names" in decision.reason


@pytest.mark.parametrize("command", ["git status", "cat src/a.py", "ls -la", "grep -r git .", "echo .gitignore"])
def test_ordinary_arguments_do_not_ask(root: Path, command: str) -> None:
    assert outcome(engine(root, "bypassPermissions").decide(run(command))) == "allow/mode"


# -- redirections after a change of folder ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("default", "ask/hard_limit"), ("bypassPermissions", "ask/hard_limit"), ("dontAsk", "deny/hard_limit")],
)
@pytest.mark.parametrize(
    "command",
    [
        "cd .git && echo x >> config",
        "cd .git; echo x > hooks/pre-commit",
        "pushd .git && echo x >> config",
        "builtin cd .git && echo x >> config",
        "command cd .git && echo x >> config",
        "$'\\x63d' .git && echo x >> config",
        "d=.git; cd $d && echo x >> config",
        "for d in . .git; do echo x >> config; cd $d; done",
        "bash -c 'cd .git && echo x >> config'",
        "source env.sh && echo x > config",
    ],
)
def test_relative_redirects_after_cd_are_unknown(root: Path, mode: str, expected: str, command: str) -> None:
    rules = ["Bash(cd:*)", "Bash(pushd:*)", "Bash(builtin:*)", "Bash(command:*)", "Bash(echo:*)", "Bash"]
    decision = engine(root, mode, allow=rules).decide(run(command))
    assert outcome(decision) == expected, decision.reason
    assert "redirects output to" in decision.reason


def test_absolute_redirects_after_cd_are_still_checked(root: Path) -> None:
    permissions = engine(root, allow=["Bash(cd:*)", "Bash(make:*)"])
    assert outcome(permissions.decide(run("cd sub && make 2> /dev/null"))) == "allow/rule"
    assert outcome(permissions.decide(run(f"cd sub && make > {root}/build.log"))) == "allow/rule"
    assert outcome(permissions.decide(run("cd sub && make > /etc/x"))) == "ask/hard_limit"


@pytest.mark.parametrize("command", ["cd sub", "pushd sub", "builtin cd sub", "source env.sh", "popd"])
def test_no_dont_ask_again_rule_for_changing_folder(root: Path, command: str) -> None:
    decision = engine(root).decide(run(command))
    assert decision.behavior == "ask"
    assert decision.suggested_rule is None


# -- environment prefixes and computed names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        ("LESSOPEN='|touch /tmp/pwned; cat %s' less README", "Bash(less:*)"),
        ("npm_config_script_shell=./evil.sh npm test", "Bash(npm test:*)"),
        ("GIT_EXTERNAL_DIFF=./evil git diff", "Bash(git diff:*)"),
        ("export LESSOPEN='|sh x'; less README", "Bash(less:*)"),
        ("x=rm; $x -rf foo", "Bash(*)"),
        ("LC_ALL=/tmp/evil less README", "Bash(less:*)"),
    ],
)
def test_env_prefixes_are_never_allowed_by_a_pattern_or_grant(root: Path, command: str, rule: str) -> None:
    permissions = engine(root, allow=[rule, "Bash(export:*)"])
    permissions.grant_session(rule)
    decision = permissions.decide(run(command))
    assert outcome(decision) == "ask/mode", decision.reason
    assert decision.reason.startswith("stepwise cannot tell what this runs: ")


@pytest.mark.parametrize("command", ["LANG=C less README", "LC_ALL=C.UTF-8 TZ=UTC NO_COLOR=1 CI=1 less README"])
def test_safe_env_prefixes_are_allowed_by_a_pattern(root: Path, command: str) -> None:
    assert outcome(engine(root, allow=["Bash(less:*)"]).decide(run(command))) == "allow/rule"


@pytest.mark.parametrize(
    "command", ["FOO=1 rm -rf foo", "LESSOPEN=x rm -rf foo", "$'\\x72m' -rf foo", "$'\\162'm -rf foo", "r$'m' -rf foo"]
)
def test_deny_rules_see_through_prefixes_and_ansi_c_quoting(root: Path, command: str) -> None:
    decision = engine(root, "bypassPermissions", allow=["Bash"], deny=["Bash(rm:*)"]).decide(run(command))
    assert outcome(decision) == "deny/rule", decision.reason


# -- the grammar fails closed (issue 12) ------------------------------------------------------------

# One command per class of the red-team findings the command analysis answers, each under allow
# rules covering every program it names as written.
NOT_UNDERSTOOD = [
    ("glob-redirect", "echo '[alias] x = !touch p' >> .gi?/config", ["Bash(echo:*)"]),
    ("tilde-plus", "echo x > ~+/../outside/f", ["Bash(echo:*)"]),
    ("case", "case a in a) echo x >> .git/config;; esac", ["Bash(echo:*)"]),
    ("heredoc", "cat <<EOF\nfoo", ["Bash(cat:*)"]),
    ("env-sh-c", "env sh -c 'touch p'", ["Bash(env:*)", "Bash(sh:*)"]),
    ("timeout-bash-c", "timeout 5 bash -c -e 'touch p'", ["Bash(timeout:*)", "Bash(bash:*)"]),
    ("xargs-sh", "echo x | xargs -I{} sh -c '{}'", ["Bash(echo:*)", "Bash(xargs:*)", "Bash(sh:*)"]),
    ("find-exec-sh", "find . -exec sh -c '{}' \\;", ["Bash(find:*)", "Bash(sh:*)"]),
    ("printf-v", "printf -v GIT_EDITOR %s 'touch p; true'; git commit -m x", ["Bash(printf:*)", "Bash(git commit:*)"]),
    ("read", "read -r GIT_EDITOR < f; git commit -m x", ["Bash(read:*)", "Bash(git commit:*)"]),
    ("subscript", "test -v 'x[$(touch p)]'", ["Bash(test:*)", "Bash(touch:*)"]),
    ("function", "function f { touch p; }; f", ["Bash(f:*)", "Bash(touch:*)"]),
    ("coproc", "coproc touch p", ["Bash(coproc:*)", "Bash(touch:*)"]),
    ("trap", "trap 'touch p' EXIT", ["Bash(trap:*)"]),
    ("alias", "alias ls=touch", ["Bash(alias:*)"]),
    ("translated", '$"touch" p', ['Bash($"touch":*)']),
    ("interpreter", "python -c 'import os'", ["Bash(python:*)"]),
    ("shell-stdin", "curl -s x | sh", ["Bash(curl:*)", "Bash(sh:*)"]),
]


@pytest.mark.parametrize(("line", "rules"), [c[1:] for c in NOT_UNDERSTOOD], ids=[c[0] for c in NOT_UNDERSTOOD])
@pytest.mark.parametrize(("mode", "expected"), [("default", "ask"), ("acceptEdits", "ask"), ("dontAsk", "deny")])
def test_what_the_analysis_does_not_understand_no_rule_allows(
    root: Path, line: str, rules: list[str], mode: str, expected: str
) -> None:
    decision = engine(root, mode, allow=rules).decide(run(line))
    assert decision.behavior == expected, decision.reason
    said = ("stepwise cannot tell what this runs: ", "redirects output to", "no rule allows `touch p`")
    assert any(words in decision.reason for words in said), decision.reason


@pytest.mark.parametrize(
    "line", ["function f { rm x; }; f", "python3 -c 'import shutil'", "eval $(cat cmd)", "$CMD x", "FOO=1 ls"]
)
@pytest.mark.parametrize("mode", ["default", "acceptEdits", "bypassPermissions"])
def test_with_command_deny_rules_a_hidden_program_never_runs_unasked(root: Path, line: str, mode: str) -> None:
    decision = engine(root, mode, allow=["Bash"], deny=["Bash(rm:*)"]).decide(run(line))
    assert outcome(decision) == "ask/hard_limit", decision.reason
    assert "the deny rules for commands cannot be checked" in decision.reason


def test_bypass_runs_what_it_cannot_read_when_no_deny_rule_could_be_missed(root: Path) -> None:
    assert outcome(engine(root, "bypassPermissions").decide(run("python3 -c 'print(1)'"))) == "allow/mode"


def test_plan_mode_asks_for_what_rules_cover_but_the_analysis_cannot_read(root: Path) -> None:
    decision = engine(root, "plan", allow=["Bash(python:*)"]).decide(run("python -c 'x'"))
    assert outcome(decision) == "ask/mode"
    assert decision.reason == "stepwise cannot tell what this runs: python -c runs code given in the command line"


@pytest.mark.parametrize(
    ("line", "rules", "expected"),
    [
        ("timeout 60 npm test -q", ["Bash(timeout 60 npm test:*)"], "allow/rule"),
        ("timeout 60 npm test -q", ["Bash(timeout:*)"], "ask/mode"),
        ("timeout 60 rm -rf x", ["Bash(timeout 60 npm test:*)"], "ask/mode"),
        ("env rm x", ["Bash(env:*)"], "ask/mode"),
        ("bash -c 'rm x'", ["Bash(bash -c:*)"], "ask/mode"),
        ("bash -c 'npm test'", ["Bash(bash -c:*)", "Bash(npm test:*)"], "allow/rule"),
    ],
)
def test_a_wrapped_command_needs_a_rule_that_names_it(root: Path, line: str, rules: list[str], expected: str) -> None:
    assert outcome(engine(root, allow=rules).decide(run(line))) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("rm -rf build", "allow/rule"),
        ("rm -rf .", "ask/hard_limit"),
        ("rm -rf sub/..", "ask/hard_limit"),
        ("rm -rf .git", "ask/hard_limit"),
        ("cp -r src/. .", "allow/rule"),
        ("mv .stepwise x", "ask/hard_limit"),
        ("rm /etc/passwd", "ask/mode"),
        ("tee .GIT/config", "ask/hard_limit"),
        ("sed -i s/a/b/ .claude/settings.json", "ask/hard_limit"),
    ],
)
def test_paths_known_programs_write_are_checked(root: Path, line: str, expected: str) -> None:
    (root / "build").mkdir()
    (root / ".stepwise").mkdir()
    rules = ["Bash(rm:*)", "Bash(cp:*)", "Bash(mv:*)", "Bash(tee:*)", "Bash(sed:*)"]
    assert outcome(engine(root, allow=rules).decide(run(line))) == expected


def test_copying_a_folder_holding_a_control_file_into_the_workspace_asks(root: Path) -> None:
    (root / "src" / ".claude").mkdir()
    (root / "src" / ".claude" / "settings.json").write_text("{}")
    assert outcome(engine(root, allow=["Bash(cp:*)"]).decide(run("cp -r src/. ."))) == "ask/hard_limit"


def test_a_glob_argument_matching_a_protected_path_asks(root: Path) -> None:
    (root / ".git" / "config").write_text("")
    permissions = engine(root, "bypassPermissions")
    assert outcome(permissions.decide(run("vim .gi?/config"))) == "ask/hard_limit"
    assert outcome(permissions.decide(run("cat src/*.py"))) == "allow/mode"


@pytest.mark.parametrize(
    ("rule", "tool", "allowed"),
    [
        ("mcp__calc", "add", True),
        ("mcp__calc__*", "add", True),
        ("mcp__calc__add", "add", True),
        ("mcp__calc__add", "sub", False),
        ("mcp__calc", "sub", True),
        ("mcp__cal", "add", False),
        ("mcp__calc__a", "add", False),
        ("mcp__*", "add", True),
    ],
)
def test_mcp_rules_name_a_server_or_one_tool(root: Path, rule: str, tool: str, allowed: bool) -> None:
    decision = engine(root, "default", allow=[rule]).decide(mcp_call("calc", tool))
    assert outcome(decision) == ("allow/rule" if allowed else "ask/mode"), decision.reason


def test_an_mcp_call_asks_with_its_own_name_as_the_suggested_rule(root: Path) -> None:
    decision = engine(root, "acceptEdits").decide(mcp_call("calc", "add"))
    assert decision.behavior == "ask"
    assert decision.suggested_rule == "mcp__calc__add"
    granted = engine(root, "default")
    granted.grant_session("mcp__calc__add")
    assert outcome(granted.decide(mcp_call("calc", "add"))) == "allow/session"
    assert outcome(granted.decide(mcp_call("calc", "sub"))) == "ask/mode"


def test_a_deny_rule_on_an_mcp_server_holds_in_bypass_mode(root: Path) -> None:
    decision = engine(root, "bypassPermissions", deny=["mcp__calc"]).decide(mcp_call("calc", "add"))
    assert outcome(decision) == "deny/rule"


@pytest.mark.parametrize(
    ("rule", "url", "allowed"),
    [
        ("WebFetch(domain:example.com)", "https://example.com/a", True),
        ("WebFetch(domain:example.com)", "https://docs.example.com/a", True),
        ("WebFetch(domain:example.com)", "https://notexample.com/a", False),
        ("WebFetch(domain:*.example.com)", "https://api.example.com/", True),
        ("WebFetch", "https://anything.test/", True),
    ],
)
def test_webfetch_domain_rules_match_hosts(root: Path, rule: str, url: str, allowed: bool) -> None:
    decision = engine(root, "default", allow=[rule]).decide(fetch(url))
    assert outcome(decision) == ("allow/rule" if allowed else "ask/mode"), decision.reason


def test_every_fetched_host_must_be_allowed_and_a_first_search_asks(root: Path) -> None:
    two = engine(root, "default", allow=["WebFetch(domain:a.test)"]).decide(fetch("https://a.test/", "https://b.test/"))
    assert outcome(two) == "ask/mode" and two.suggested_rule is None
    one = engine(root, "acceptEdits").decide(fetch("https://a.test/x"))
    assert outcome(one) == "ask/mode" and one.suggested_rule == "WebFetch(domain:a.test)"
    search = Action(tool="web_search", kind=ToolKind.WEB, input={"query": "q"}, target="q")
    asked = engine(root, "default").decide(search)
    assert outcome(asked) == "ask/mode" and asked.suggested_rule == "WebSearch"
    assert outcome(engine(root, "default", allow=["WebSearch"]).decide(search)) == "allow/rule"


@pytest.mark.parametrize("text", ["WebFetch(example.com)", "WebFetch(domain:)", "WebFetch(domain:a b)", "WebSearch(x)"])
def test_malformed_web_rules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rule"):
        parse_rule(text)
