"""`permissions.additionalDirectories`: more roots beside the workspace, with the same hard limits in each."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tui.engine.permissions.engine import ADDITIONAL_EDIT, PermissionEngine
from tui.engine.permissions.pathguard import protected_command_paths, write_violation
from tui.engine.permissions.rules import RuleSet, parse_rule
from tui.engine.tools.base import Action, ToolKind


@pytest.fixture
def places(tmp_path):
    """(workspace, additional directory, a folder outside both); the additional directory is a git repo."""
    root = tmp_path / "repo"
    extra = tmp_path / "shared"
    outside = tmp_path / "outside"
    for folder in (root, extra, outside):
        folder.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=extra, check=True)
    (extra / "notes.md").write_text("shared notes\n")
    (extra / ".env").write_text("SECRET=1\n")
    (extra / ".claude").mkdir()
    (extra / ".claude" / "settings.json").write_text("{}")
    (extra / "CLAUDE.md").write_text("memory\n")
    (outside / "x.txt").write_text("x\n")
    return root.resolve(), extra.resolve(), outside.resolve()


def engine(places, mode="default", rules=()):
    root, extra, _ = places
    ruleset = RuleSet()
    for behavior, text in rules:
        ruleset.add(parse_rule(text, behavior, "test"))
    return PermissionEngine(root, mode=mode, rules=ruleset, extra_roots=(extra,))


def read(path: Path) -> Action:
    return Action(tool="read_file", kind=ToolKind.READ, input={}, target=str(path), paths=(path,))


def edit(path: Path) -> Action:
    return Action(tool="replace_string_in_file", kind=ToolKind.EDIT, input={}, target=str(path), paths=(path,))


def command(line: str, cwd: Path) -> Action:
    return Action(tool="run_in_terminal", kind=ToolKind.EXECUTE, input={"command": line}, target=line, cwd=cwd)


def test_reads_in_an_additional_directory_are_allowed_and_reads_outside_still_ask(places):
    _, extra, outside = places
    decide = engine(places).decide
    assert decide(read(extra / "notes.md")).behavior == "allow"
    assert decide(read(outside / "x.txt")).behavior == "ask"


def test_an_edit_there_asks_even_in_accept_edits_naming_its_absolute_path(places):
    root, extra, _ = places
    decision = engine(places, "acceptEdits").decide(edit(extra / "notes.md"))
    assert decision.behavior == "ask"
    assert str(extra / "notes.md") in decision.reason and ADDITIONAL_EDIT in decision.reason
    assert decision.suggested_rule == f"Edit(/{extra}/notes.md)"
    # A workspace edit is still allowed by the mode.
    assert engine(places, "acceptEdits").decide(edit(root / "app.py")).behavior == "allow"


def test_rules_and_modes_for_edits_there(places):
    _, extra, _ = places
    target = edit(extra / "notes.md")
    assert engine(places, "acceptEdits", [("allow", f"Edit(/{extra}/**)")]).decide(target).behavior == "allow"
    # A relative allow pattern is the workspace's: it does not reach into the additional directory.
    assert engine(places, "acceptEdits", [("allow", "Edit(**)")]).decide(target).behavior == "ask"
    assert engine(places, "bypassPermissions").decide(target).behavior == "allow"
    assert engine(places, "plan").decide(target).behavior == "deny"
    assert engine(places, "dontAsk").decide(target).behavior == "deny"


def test_the_hard_limits_hold_inside_an_additional_directory(places):
    _, extra, _ = places
    bypass = engine(places, "bypassPermissions")
    git_config = bypass.decide(edit(extra / ".git" / "config"))
    assert git_config.behavior == "deny" and "inside .git/" in git_config.reason
    control = bypass.decide(edit(extra / ".claude" / "settings.json"))
    assert control.behavior == "ask" and "configures stepwise or a peer agent" in control.reason
    memory = bypass.decide(edit(extra / "CLAUDE.md"))
    assert memory.behavior == "ask" and "project memory" in memory.reason


def test_symlinks_and_dot_dot_cannot_escape_an_additional_directory(places):
    root, extra, outside = places
    (extra / "escape").symlink_to(outside)
    (extra / "git-link").symlink_to(extra / ".git")
    bypass = engine(places, "bypassPermissions")
    for raw in (extra / "escape" / "x.txt", extra / ".." / "outside" / "x.txt"):
        decision = bypass.decide(edit(Path(os.path.realpath(raw))))
        assert decision.behavior == "deny" and "outside the workspace" in decision.reason, raw
        assert str(extra) in decision.reason  # the message names the additional directories too
    through_link = bypass.decide(edit((extra / "git-link" / "hooks" / "pre-commit").resolve()))
    assert through_link.behavior == "deny" and "inside .git/" in through_link.reason
    # The write-time check gives the same answer.
    assert write_violation(root, extra / "notes.md", (extra,)) is None
    assert "outside the workspace" in (write_violation(root, outside / "x.txt", (extra,)) or "")


def test_read_deny_rules_hold_in_an_additional_directory(places):
    _, extra, _ = places
    denying = engine(places, rules=[("deny", "Read(**/.env)")])
    assert denying.decide(read(extra / ".env")).behavior == "deny"
    assert denying.read_denied("grep_search", extra / ".env") is not None
    assert denying.read_denied("grep_search", extra / "notes.md") is None


def test_commands_writing_there_are_judged_like_workspace_writes(places):
    root, extra, outside = places
    accept = engine(places, "acceptEdits", [("allow", "Bash(echo:*)")])
    assert accept.decide(command(f"echo x > {extra}/out.txt", root)).behavior == "allow"
    hook = accept.decide(command(f"echo x > {extra}/.git/hooks/pre-commit", root))
    assert hook.behavior == "ask" and "inside .git/" in hook.reason
    control = accept.decide(command(f"echo x > {extra}/CLAUDE.md", root))
    assert control.behavior == "ask" and "project memory" in control.reason
    assert accept.decide(command(f"echo x > {outside}/out.txt", root)).behavior == "ask"
    removed = engine(places, "bypassPermissions").decide(command(f"rm -rf {extra}", root))
    assert removed.behavior == "ask" and "additional directory" in removed.reason


def test_protected_command_paths_cover_each_additional_directory(places):
    root, extra, _ = places
    found = protected_command_paths(root, (extra,)).read_only
    for path in (extra / ".git" / "config", extra / ".git" / "hooks", extra / ".claude", extra / "CLAUDE.md"):
        assert path in found, path
    assert extra / "notes.md" not in found
