"""`@path` mentions in the prompt: the workspace's files, and their content attached on send."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MAX_LISTED_FILES = 20_000
MAX_ATTACHED_BYTES = 256 * 1024
"""A mentioned file larger than this is not attached (it would flood the context)."""
_SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"})
_MENTION = re.compile(r"(?:^|(?<=\s))@(\S+)")


def list_files(root: Path) -> list[str]:
    """Workspace-relative POSIX paths: `git ls-files` (tracked and untracked, not ignored) or a walk."""
    try:
        done = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return _walk(root)
    names = [name for name in done.stdout.decode("utf-8", "replace").split("\0") if name]
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


def mentioned_paths(text: str) -> list[str]:
    """The `@path` tokens of a prompt, in order, without duplicates."""
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        seen.setdefault(match.group(1).rstrip(".,;:!?)"), None)
    return list(seen)


@dataclass
class Attachments:
    """What `@path` mentions attach, and why some could not be."""

    files: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_attachments(text: str, root: Path) -> Attachments:
    """Read every file mentioned with `@path` in `text` (inside `root` only).

    A mention that is not a readable text file in the workspace is reported in
    `problems` and left as plain text.
    """
    # Imported when a prompt is sent: the engine's file modules are not needed for the first frame.
    from tui.engine.permissions.pathguard import PathError, relative_to_root, resolve_path
    from tui.engine.workspace.fileio import FileRefused, read_text

    result = Attachments()
    for raw in mentioned_paths(text):
        try:
            path = resolve_path(root, raw)
        except PathError as exc:
            result.problems.append(f"@{raw}: {exc}")
            continue
        rel = relative_to_root(root, path)
        if rel is None:
            result.problems.append(f"@{raw}: outside the workspace, not attached")
            continue
        if not path.is_file():
            continue  # an @handle or an e-mail-like word, not a file
        try:
            content = read_text(path, max_bytes=MAX_ATTACHED_BYTES).text
        except (FileRefused, OSError) as exc:
            result.problems.append(f"@{raw}: {exc}")
            continue
        result.files.append({"path": rel, "content": content})
    return result
