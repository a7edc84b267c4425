"""Resolving tool paths against the workspace, and the hard limits on writes.

The hard limits hold whatever the mode or the rules say: nothing is written
outside the workspace (after resolving `..` and symlinks) and nothing inside
`.git/`. The permission engine reports them as decisions; the file writer
checks them again just before touching disk.

Control files (stepwise's and its peers' agents, rules, settings, MCP servers,
editor tasks, and the memory files fed into the system prompt) are not a hard
limit: the user may approve an edit to them, but the permission engine always
asks first. They count at any depth (`pkg/.stepwise/agents/x.md`,
`sub/CLAUDE.md`): a session started in `pkg/` reads `pkg/.stepwise/`, and
peers read nested memory files.

The same set, plus `.git/config`, `.git/hooks` and `.git/info`, is what the
command sandbox keeps read-only (`protected_command_paths`).

Additional directories (`permissions.additionalDirectories`) are more roots
beside the workspace, with the same limits in each: a path inside one is
judged relative to it (its own `.git/`, its own control files), and the
sandbox keeps the same paths read-only there. `extra` names them, resolved.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.engine.agents.memory import MEMORY_FILES
from tui.engine.errors import StepwiseError

CONTROL_FOLDERS: tuple[tuple[str, ...], ...] = (
    (".stepwise",),
    (".claude",),
    (".github", "agents"),
    (".github", "chatmodes"),
    (".github", "instructions"),
    (".github", "prompts"),
)
"""Folders (at any depth) whose files configure an agent: everything inside them is a control file."""

MEMORY_CONTROL_FILES: tuple[str, ...] = (*MEMORY_FILES, "CLAUDE.local.md")
"""Memory files fed into an agent's system prompt (stepwise's and its peers'), at any depth."""

CONTROL_FILES: tuple[tuple[str, ...], ...] = (
    *((name,) for name in MEMORY_CONTROL_FILES),
    (".mcp.json",),
    (".github", "copilot-instructions.md"),
    (".vscode", "tasks.json"),
)
"""Files (at any depth) that configure an agent or run commands: MCP servers, editor tasks, instructions."""

GIT_CONTROL_PATHS: tuple[str, ...] = ("config", "hooks", "info")
"""Inside a git folder: what git obeys or executes (config, hooks, excludes and attributes)."""

_MEMORY_NAMES = frozenset(name.casefold() for name in MEMORY_CONTROL_FILES)
_FOLDERS = tuple(tuple(part.casefold() for part in folder) for folder in CONTROL_FOLDERS)
_FILES = tuple(tuple(part.casefold() for part in file) for file in CONTROL_FILES)


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


def root_of(root: Path, path: Path, extra: Sequence[Path] = ()) -> Path | None:
    """The root holding `path`: the workspace, else the first additional directory holding it, else None."""
    for candidate in (root, *extra):
        if relative_to_root(candidate, path) is not None:
            return candidate
    return None


def in_additional_directory(root: Path, path: Path, extra: Sequence[Path] = ()) -> Path | None:
    """The additional directory holding `path` when the workspace does not, else None."""
    found = root_of(root, path, extra)
    return None if found is None or found == root else found


def write_violation(root: Path, path: Path, extra: Sequence[Path] = ()) -> str | None:
    """Why writing `path` breaks a hard limit, or None when it is allowed.

    `path` must come from `resolve_path`. Hard links are refused too: writing
    through one would change a file that may live outside the workspace. A
    path in an additional directory (`extra`) is judged against that folder.
    """
    holder = root_of(root, path, extra)
    if holder is None:
        also = f" or its additional directories ({', '.join(map(str, extra))})" if extra else ""
        return f"{path} is outside the workspace {root.resolve()}{also}"
    rel = relative_to_root(holder, path)
    assert rel is not None
    if _in_a_git_folder(root, holder, path, rel):
        return f"{_shown(root, holder, rel, path)} is inside .git/, which stepwise never writes"
    # Checked again at write time: a folder or file swapped for a symlink since the path was resolved.
    try:
        real = path.resolve(strict=False)
    except (OSError, RuntimeError):
        real = path
    if real != path:
        return f"{_shown(root, holder, rel, path)} now leads to {real} through a symlink created after the edit was proposed"
    try:
        st = path.lstat()
    except OSError:
        return None
    if path.is_file() and st.st_nlink > 1:
        return f"{_shown(root, holder, rel, path)} has {st.st_nlink} hard links; writing it could change a file outside the workspace"
    return None


def _shown(root: Path, holder: Path, rel: str, path: Path) -> str:
    """How a message names `path`: workspace-relative, or absolute in an additional directory."""
    return rel if holder == root else str(path)


def protected_reason(root: Path, path: Path, extra: Sequence[Path] = ()) -> str | None:
    """Why `path` inside the workspace (or an additional directory) must never change without the
    user's say (in `.git/`, or a control file), or None. Paths outside them are not judged here."""
    holder = root_of(root, path, extra)
    if holder is None:
        return None
    rel = relative_to_root(holder, path)
    assert rel is not None
    if _in_a_git_folder(root, holder, path, rel):
        return f"{_shown(root, holder, rel, path)} is inside .git/"
    return control_file_reason(root, path, extra)


def _in_a_git_folder(root: Path, holder: Path, path: Path, rel: str) -> bool:
    """Whether `path` (inside `holder`, the workspace `root` or an additional directory) is in a git
    folder: `holder`'s own, or the workspace's wherever it lives (a separate git dir may lie inside
    an additional directory under another name)."""
    if _inside_git(holder, path, rel):
        return True
    return holder != root and any(relative_to_root(g, path) is not None for g in git_dirs(root.resolve()))


def _inside_git(root: Path, path: Path, rel: str) -> bool:
    """Whether `path` is `.git` or inside it, also spelled in another case (`.GIT/config` is the same
    folder on a case-insensitive filesystem), reached under another name of the real git folder, or
    inside the folder a `.git` file points to (`--separate-git-dir`, worktrees)."""
    if ".git" in (part.casefold() for part in rel.split("/")):
        return True
    real_root = root.resolve()
    for git_dir in git_dirs(real_root):
        if relative_to_root(git_dir, path) is not None:
            return True
    git_dir = real_root / ".git"
    if not git_dir.is_dir():
        return False
    for folder in (path, *path.parents):
        if folder == real_root or relative_to_root(root, folder) is None:
            return False
        try:
            if os.path.samefile(folder, git_dir):
                return True
        except OSError:
            continue  # not created yet
    return False


def git_dirs(root: Path) -> list[Path]:
    """The workspace's git folders, resolved: `.git` itself, or the folder a `.git` file names and
    its common folder (a worktree's config and hooks live there). Empty when there is none."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return [dot_git.resolve()]
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace") if dot_git.is_file() else ""
    except OSError:
        return []
    if not text.startswith("gitdir:"):
        return []
    found = [(root / text[len("gitdir:") :].strip()).resolve()]
    try:
        common = (found[0] / "commondir").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        common = ""
    if common:
        common_dir = (found[0] / common).resolve()
        if common_dir not in found:
            found.append(common_dir)
    return found


def control_file_reason(root: Path, path: Path, extra: Sequence[Path] = ()) -> str | None:
    """Why `path` (from `resolve_path`) configures stepwise or a peer agent, or None when it does not.

    Checked at any depth. Parts are compared case-insensitively: on a
    case-insensitive filesystem `.STEPWISE/settings.yaml` is the settings file.
    """
    holder = root_of(root, path, extra) or root
    rel = relative_to_root(holder, path)
    if rel is None or rel == ".":
        return None
    parts = tuple(part.casefold() for part in rel.split("/"))
    rel = _shown(root, holder, rel, path)
    if parts[-1] in _MEMORY_NAMES:
        return f"{rel} is project memory added to the system prompt"
    if any(parts[-len(file) :] == file for file in _FILES):
        return f"{rel} configures stepwise or a peer agent (MCP servers, tasks, instructions)"
    for folder in _FOLDERS:
        for start in range(len(parts) - len(folder) + 1):
            if parts[start : start + len(folder)] == folder:
                return f"{rel} configures stepwise or a peer agent (agents, rules, settings)"
    return None


@dataclass(frozen=True)
class ProtectedPaths:
    """What a command must not change in the workspace: for the sandbox's read-only binds and the guard."""

    read_only: tuple[Path, ...]
    """Existing control files and folders (at any depth), each git folder's config, hooks and info, the
    `core.hooksPath` folder, and config files git reads from inside the workspace; resolved, sorted."""
    git_dirs: tuple[Path, ...]
    """The workspace's own git folders (`git_dirs`): writable but for what `read_only` names."""
    missing_folders: tuple[Path, ...] = ()
    """Folders git would obey once created (a `core.hooksPath` that does not exist yet) in the workspace."""


def protected_command_paths(root: Path, extra: Sequence[Path] = ()) -> ProtectedPaths:
    """Walk the workspace, and each additional directory, for everything a command must not change
    (see `ProtectedPaths`): the same paths are protected in each of them.

    Symlinks are not followed; a control file that is a symlink protects its target when that is
    inside the folder walked. Folders that are protected as a whole are not walked into.
    """
    found = [_protected_in(folder.resolve()) for folder in (root, *extra)]
    if len(found) == 1:
        return found[0]
    merged = _outermost({path for one in found for path in one.read_only})
    return ProtectedPaths(
        read_only=tuple(sorted(merged)),
        git_dirs=tuple(dict.fromkeys(path for one in found for path in one.git_dirs)),
        missing_folders=tuple(dict.fromkeys(path for one in found for path in one.missing_folders)),
    )


def _outermost(found: set[Path]) -> list[Path]:
    """`found` without the paths inside another one of them (a path inside a protected folder adds nothing)."""
    ordered = sorted(found, key=lambda p: (len(p.parts), str(p)))
    kept: list[Path] = []
    for path in ordered:
        if not any(path != k and relative_to_root(k, path) is not None for k in kept):
            kept.append(path)
    return kept


def _protected_in(root: Path) -> ProtectedPaths:
    found: set[Path] = set()
    own_git = git_dirs(root)
    for git_dir in own_git:
        found.update(git_dir / name for name in GIT_CONTROL_PATHS if (git_dir / name).exists())
    configs, hooks = _git_config_paths(root)
    found.update(path for path in [*configs, *hooks] if path.exists())
    missing = tuple(path for path in hooks if not path.exists())
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.casefold() == ".git":
                if entry.is_dir(follow_symlinks=False):
                    found.update(path / name for name in GIT_CONTROL_PATHS if (path / name).exists())
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if control_file_reason(root, path) is not None:
                found.add(path)
                if entry.is_symlink():
                    target = path.resolve()
                    if relative_to_root(root, target) is not None and target.exists():
                        found.add(target)
            elif is_dir:
                stack.append(path)
    kept = _outermost(found)
    return ProtectedPaths(read_only=tuple(sorted(kept)), git_dirs=tuple(own_git), missing_folders=missing)


def _git_config_paths(root: Path) -> tuple[list[Path], list[Path]]:
    """(the config files git reads, the `core.hooksPath` folder), those inside the workspace."""
    import subprocess

    configs: list[Path] = []
    hooks_paths: list[Path] = []
    try:
        done = subprocess.run(
            ["git", "config", "--list", "--show-origin", "-z"],
            cwd=root,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return configs, hooks_paths
    fields = done.stdout.split(b"\0")
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = os.fsdecode(entry).partition("\n")
        origin_text = os.fsdecode(origin)
        if origin_text.startswith("file:"):
            config = (root / origin_text[len("file:") :]).resolve()
            if relative_to_root(root, config) is not None:
                configs.append(config)
        if key.casefold() == "core.hookspath" and value:
            hooks = (root / os.path.expanduser(value)).resolve()
            if relative_to_root(root, hooks) is not None:
                hooks_paths.append(hooks)
    return configs, hooks_paths
