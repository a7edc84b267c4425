from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.engine.permissions.pathguard import (
    PathError,
    control_file_reason,
    git_dirs,
    relative_to_root,
    resolve_path,
    write_violation,
)


def test_resolve_relative_absolute_and_dotdot(tmp_path):
    root = tmp_path.resolve()
    assert resolve_path(root, "src/a.py") == root / "src" / "a.py"
    assert resolve_path(root, str(root / "x")) == root / "x"
    assert resolve_path(root, "src/../../escape") == root.parent / "escape"


def test_resolve_follows_symlinks_of_missing_files_parents(tmp_path, tmp_path_factory):
    root = tmp_path.resolve()
    outside = tmp_path_factory.mktemp("outside").resolve()
    (root / "link").symlink_to(outside)
    assert resolve_path(root, "link/new.txt") == outside / "new.txt"


def test_resolve_expands_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_path(Path("/"), "~/f") == tmp_path.resolve() / "f"


@pytest.mark.parametrize("raw", ["", "   ", "a\x00b", "a\nb", "a\x7fb", None, 3])
def test_bad_paths(tmp_path, raw):
    with pytest.raises(PathError):
        resolve_path(tmp_path, raw)


def test_relative_to_root(tmp_path):
    root = tmp_path.resolve()
    assert relative_to_root(root, root / "a" / "b") == "a/b"
    assert relative_to_root(root, root.parent) is None


def test_write_violations(tmp_path, tmp_path_factory):
    root = tmp_path.resolve()
    assert write_violation(root, root / "ok.txt") is None
    assert "outside the workspace" in write_violation(root, tmp_path_factory.mktemp("o") / "x")
    assert "inside .git/" in write_violation(root, root / ".git" / "HEAD")
    assert "inside .git/" in write_violation(root, root / "sub" / ".git" / "config")
    assert write_violation(root, root / ".github" / "workflow.yml") is None
    (root / "a.txt").write_text("x")
    os.link(root / "a.txt", root / "b.txt")
    assert "2 hard links" in write_violation(root, root / "a.txt")


def test_symlink_escape_is_a_violation(tmp_path, tmp_path_factory):
    root = tmp_path.resolve()
    outside = tmp_path_factory.mktemp("outside").resolve()
    (root / "link").symlink_to(outside)
    assert "outside the workspace" in write_violation(root, resolve_path(root, "link/x.txt"))


@pytest.mark.parametrize("rel", [".GIT/config", ".Git/hooks/pre-commit", "sub/.gIt/HEAD", ".GIT"])
def test_git_check_ignores_case(tmp_path, rel):
    assert "inside .git/" in write_violation(tmp_path.resolve(), tmp_path.resolve() / rel)


def test_git_check_catches_another_name_for_the_real_git_folder(tmp_path, monkeypatch):
    root = tmp_path.resolve()
    (root / ".git").mkdir()
    (root / "GIT~1").mkdir()
    real_samefile = os.path.samefile

    def short_names(a, b):
        # Windows gives `.git` the short name `GIT~1`: two names, one folder.
        if Path(a).name == "GIT~1" and Path(b) == root / ".git":
            return True
        return real_samefile(a, b)

    monkeypatch.setattr(os.path, "samefile", short_names)
    assert "inside .git/" in write_violation(root, root / "GIT~1" / "config")
    assert write_violation(root, root / "src" / "config") is None


@pytest.mark.parametrize(
    "rel",
    [
        ".stepwise/settings.yaml",
        ".stepwise/agents/general.md",
        ".stepwise",
        ".STEPWISE/settings.yaml",
        ".claude/settings.json",
        ".claude/agents/x.md",
        ".github/agents/x.agent.md",
        ".github/chatmodes/x.chatmode.md",
        "AGENTS.md",
        "CLAUDE.md",
        "agents.md",
        "CLAUDE.local.md",
        ".mcp.json",
        ".vscode/tasks.json",
        ".github/copilot-instructions.md",
        ".github/instructions/py.instructions.md",
        ".github/prompts/x.prompt.md",
        # At any depth: a session started in pkg/ reads pkg/.stepwise/, peers read nested memory.
        "pkg/.stepwise/agents/general.md",
        "pkg/.claude/settings.json",
        "sub/CLAUDE.md",
        "src/AGENTS.md",
        "docs/deep/CLAUDE.local.md",
        "web/.github/agents/x.agent.md",
        "web/.vscode/tasks.json",
        "web/.mcp.json",
    ],
)
def test_control_files(tmp_path, rel):
    root = tmp_path.resolve()
    reason = control_file_reason(root, root / rel)
    assert reason and reason.startswith(rel)


@pytest.mark.parametrize(
    "rel",
    [
        ".github/workflows/ci.yml",
        "stepwise/settings.yaml",
        "README.md",
        "docs/AGENTS.md.bak",
        ".vscode/settings.json",
        "claude/x.md",
        "mcp.json",
    ],
)
def test_ordinary_files_are_not_control_files(tmp_path, rel):
    root = tmp_path.resolve()
    assert control_file_reason(root, root / rel) is None


def test_control_files_are_inside_the_workspace_only(tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("o").resolve()
    assert control_file_reason(tmp_path.resolve(), outside / ".stepwise" / "settings.yaml") is None


def test_the_git_folder_a_git_file_points_to_is_inside_git(tmp_path):
    root = (tmp_path / "work").resolve()
    store = root / "store"  # `git init --separate-git-dir store` inside the work tree
    (store / "hooks").mkdir(parents=True)
    (root / ".git").write_text("gitdir: store\n")
    assert "inside .git/" in write_violation(root, root / "store" / "hooks" / "pre-commit")
    assert "inside .git/" in write_violation(root, root / "store" / "config")
    assert write_violation(root, root / "src" / "a.py") is None


def test_a_worktree_git_file_protects_its_common_folder(tmp_path):
    root = (tmp_path / "wt").resolve()
    main_git = tmp_path.resolve() / "main" / ".git"
    (main_git / "worktrees" / "wt").mkdir(parents=True)
    (main_git / "worktrees" / "wt" / "commondir").write_text("../..\n")
    root.mkdir()
    (root / ".git").write_text(f"gitdir: {main_git / 'worktrees' / 'wt'}\n")
    assert git_dirs(root) == [main_git / "worktrees" / "wt", main_git]
