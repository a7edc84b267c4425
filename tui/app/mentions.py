"""`@path` mentions in the prompt: completing them from the workspace's files (attaching is the engine's)."""

from __future__ import annotations

import os
from pathlib import Path

from tui.engine.workspace.gitrun import GitError, run_git

MAX_LISTED_FILES = 20_000
_SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"})


def list_files(root: Path) -> list[str]:
    """Workspace-relative POSIX paths: `git ls-files` (tracked and untracked, not ignored) or a walk."""
    try:
        done = run_git(["ls-files", "--cached", "--others", "--exclude-standard", "-z"], root, timeout=10).check()
    except GitError:
        return _walk(root)
    names = [name for name in done.text("replace").split("\0") if name]
    return sorted(set(names))[:MAX_LISTED_FILES]


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        base = Path(folder).relative_to(root)
        for name in sorted(files):
            found.append((base / name).as_posix())
            if len(found) >= MAX_LISTED_FILES:
                return found
    return found


def match_files(files: list[str], query: str, limit: int = 20) -> list[str]:
    """Files whose path contains `query` (case-insensitive), file names that start with it first."""
    needle = query.lower()
    hits = [path for path in files if needle in path.lower()]
    hits.sort(key=lambda path: (not Path(path).name.lower().startswith(needle), len(path), path))
    return hits[:limit]
