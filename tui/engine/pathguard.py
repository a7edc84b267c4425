"""Resolving tool paths against the workspace, and the hard limits on writes.

The hard limits hold whatever the mode or the rules say: nothing is written
outside the workspace (after resolving `..` and symlinks) and nothing inside
`.git/`. The permission engine reports them as decisions; the file writer
checks them again just before touching disk.
"""

from __future__ import annotations

import os
from pathlib import Path


class PathError(ValueError):
    """A path the model sent cannot be used (empty, NUL byte, control characters)."""


def resolve_path(root: Path, raw: str) -> Path:
    """The absolute path a tool argument names: absolute, or relative to `root`.

    Symlinks are resolved (also in a missing file's existing parents), so the
    result is where a write would really land.

    Raises:
        PathError: the path is empty or holds NUL or control characters.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise PathError("the path is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise PathError(f"the path {raw!r} contains control characters")
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = root / path
    return path.resolve(strict=False)


def relative_to_root(root: Path, path: Path) -> str | None:
    """`path` relative to `root` as a POSIX string, or None when it is outside."""
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def write_violation(root: Path, path: Path) -> str | None:
    """Why writing `path` breaks a hard limit, or None when it is allowed.

    `path` must come from `resolve_path`. Hard links are refused too: writing
    through one would change a file that may live outside the workspace.
    """
    rel = relative_to_root(root, path)
    if rel is None:
        return f"{path} is outside the workspace {root.resolve()}"
    parts = rel.split("/")
    if ".git" in parts or rel == ".git":
        return f"{rel} is inside .git/, which stepwise never writes"
    # Checked again at write time: a folder or file swapped for a symlink since the path was resolved.
    try:
        real = path.resolve(strict=False)
    except (OSError, RuntimeError):
        real = path
    if real != path:
        return f"{rel} now leads to {real} through a symlink created after the edit was proposed"
    try:
        st = path.lstat()
    except OSError:
        return None
    if path.is_file() and st.st_nlink > 1:
        return f"{rel} has {st.st_nlink} hard links; writing it could change a file outside the workspace"
    return None
