"""Resolving tool paths against the workspace, and the hard limits on writes.

The hard limits hold whatever the mode or the rules say: nothing is written
outside the workspace (after resolving `..` and symlinks) and nothing inside
`.git/`. The permission engine reports them as decisions; the file writer
checks them again just before touching disk.

Control files (stepwise's and its peers' agents, rules and settings, and the
memory files fed into the system prompt) are not a hard limit: the user may
approve an edit to them, but the permission engine always asks first.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.engine.agents.memory import MEMORY_FILES
from tui.engine.errors import StepwiseError

CONTROL_FOLDERS: tuple[tuple[str, ...], ...] = (
    (".stepwise",),
    (".claude",),
    (".github", "agents"),
    (".github", "chatmodes"),
)
"""Workspace folders whose files configure an agent: everything inside them is a control file."""

_CONTROL_ROOT_FILES = frozenset(name.casefold() for name in MEMORY_FILES)


class PathError(StepwiseError, ValueError):
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
    if _inside_git(root, path, rel):
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


def protected_reason(root: Path, path: Path) -> str | None:
    """Why `path` inside the workspace must never change without the user's say (in `.git/`, or a
    control file), or None. Paths outside the workspace are not judged here."""
    rel = relative_to_root(root, path)
    if rel is None:
        return None
    if _inside_git(root, path, rel):
        return f"{rel} is inside .git/"
    return control_file_reason(root, path)


def _inside_git(root: Path, path: Path, rel: str) -> bool:
    """Whether `path` is `.git` or inside it, also spelled in another case (`.GIT/config` is the same
    folder on a case-insensitive filesystem) or reached under another name of the real git folder."""
    if ".git" in (part.casefold() for part in rel.split("/")):
        return True
    git_dir = root.resolve() / ".git"
    if not git_dir.is_dir():
        return False
    for folder in (path, *path.parents):
        if folder == root.resolve() or relative_to_root(root, folder) is None:
            return False
        try:
            if os.path.samefile(folder, git_dir):
                return True
        except OSError:
            continue  # not created yet
    return False


def control_file_reason(root: Path, path: Path) -> str | None:
    """Why `path` (from `resolve_path`) configures stepwise or a peer agent, or None when it does not.

    Parts are compared case-insensitively: on a case-insensitive filesystem
    `.STEPWISE/settings.yaml` is the settings file.
    """
    rel = relative_to_root(root, path)
    if rel is None:
        return None
    parts = tuple(part.casefold() for part in rel.split("/"))
    if len(parts) == 1 and parts[0] in _CONTROL_ROOT_FILES:
        return f"{rel} is project memory added to the system prompt"
    for folder in CONTROL_FOLDERS:
        if parts[: len(folder)] == folder:
            return f"{rel} configures stepwise or a peer agent (agents, rules, settings)"
    return None
