"""Workspace files for the search tools: path arguments, globs, and ignore files.

Listing prefers git (`git ls-files -co --exclude-standard`, which knows every
ignore rule) and falls back to a walk that honours `.gitignore` files and
`.git/info/exclude` the way git does for the common cases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tui.engine.permissions.pathguard import PathError, relative_to_root, resolve_path
from tui.engine.tools.base import ToolContext, ToolInputError
from tui.engine.workspace.gitrun import GitError, run_git
from tui.engine.workspace.globs import glob_regex

GIT_TIMEOUT_S = 60.0


def tool_path(root: Path, raw: str, field: str) -> Path:
    """Resolve a path argument; a bad path becomes a `ToolInputError` naming the field."""
    try:
        return resolve_path(root, raw)
    except PathError as exc:
        raise ToolInputError(f"`{field}`: {exc}") from None


def readable(ctx: ToolContext, tool: str, paths: Iterable[Path]) -> tuple[list[Path], int]:
    """(the paths no deny rule keeps from `tool`, how many were left out)."""
    if ctx.read_denied is None:
        return list(paths), 0
    kept: list[Path] = []
    hidden = 0
    for path in paths:
        if ctx.read_denied(tool, path) is None:
            kept.append(path)
        else:
            hidden += 1
    return kept, hidden


def hidden_note(hidden: int) -> str:
    """The line telling the model that files were left out, or "" when none were."""
    if not hidden:
        return ""
    return f"\n[{hidden} file{'s' if hidden != 1 else ''} left out: a deny rule keeps {'them' if hidden != 1 else 'it'} from being read.]"


def display_path(root: Path, path: Path) -> str:
    """Workspace-relative POSIX path, or the absolute path when outside the workspace."""
    rel = relative_to_root(root, path)
    if rel is None:
        return str(path)
    return rel or "."


# --- listing ----------------------------------------------------------------


def in_git_work_tree(folder: Path) -> bool:
    try:
        done = run_git(["rev-parse", "--is-inside-work-tree"], folder, timeout=GIT_TIMEOUT_S)
    except GitError:
        return False
    return done.ok and done.text().strip() == "true"


def list_files(folder: Path, *, include_ignored: bool = False) -> Iterator[Path]:
    """Every file under `folder` (absolute paths), without ignored files unless asked."""
    if in_git_work_tree(folder):
        yield from _git_files(folder, include_ignored)
    else:
        yield from walk_files(folder, include_ignored=include_ignored)


def _git_files(folder: Path, include_ignored: bool) -> Iterator[Path]:
    args = ["-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others"]
    if not include_ignored:
        args.append("--exclude-standard")
    done = run_git(args, folder, timeout=GIT_TIMEOUT_S)
    seen: set[str] = set()
    for raw in done.out.split(b"\0"):
        name = os.fsdecode(raw)
        if name and name not in seen:
            seen.add(name)
            path = folder / name
            # The index still lists files deleted from the work tree.
            if path.is_file():
                yield path


@dataclass(frozen=True)
class _IgnoreRule:
    base: str
    """Folder of the ignore file, relative to the walk root ('' for the root)."""
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool

    def matches(self, rel: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not rel.startswith(self.base + "/"):
                return False
            rel = rel[len(self.base) + 1 :]
        return self.regex.match(rel) is not None


def _parse_ignore(text: str, base: str) -> list[_IgnoreRule]:
    rules: list[_IgnoreRule] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        # A slash at the start or in the middle anchors the pattern at the ignore file's folder.
        anchored = "/" in line
        pattern = line.lstrip("/") if anchored else "**/" + line
        rules.append(_IgnoreRule(base, glob_regex(pattern), negate, dir_only))
    return rules


def _ignored(rules: list[_IgnoreRule], rel: str, is_dir: bool) -> bool:
    verdict = False
    for rule in rules:
        if rule.matches(rel, is_dir):
            verdict = not rule.negate
    return verdict


def walk_files(folder: Path, *, include_ignored: bool = False) -> Iterator[Path]:
    """Walk `folder` in sorted order, skipping `.git` and (unless asked) ignored paths."""
    rules: list[_IgnoreRule] = []
    if not include_ignored:
        exclude = folder / ".git" / "info" / "exclude"
        if exclude.is_file():
            rules.extend(_parse_ignore(exclude.read_text(errors="replace"), ""))
    yield from _walk(folder, "", rules, include_ignored)


def _walk(folder: Path, rel: str, rules: list[_IgnoreRule], include_ignored: bool) -> Iterator[Path]:
    current = folder / rel if rel else folder
    if not include_ignored:
        ignore_file = current / ".gitignore"
        if ignore_file.is_file():
            rules = rules + _parse_ignore(ignore_file.read_text(errors="replace"), rel)
    try:
        entries = sorted(os.scandir(current), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name == ".git":
            continue
        child = f"{rel}/{entry.name}" if rel else entry.name
        is_dir = entry.is_dir(follow_symlinks=False)
        if not include_ignored and _ignored(rules, child, is_dir):
            continue
        if is_dir:
            yield from _walk(folder, child, rules, include_ignored)
        elif entry.is_file():
            yield Path(entry.path)
