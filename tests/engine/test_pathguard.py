from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.engine.pathguard import PathError, relative_to_root, resolve_path, write_violation


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
