"""`@path` mentions in a prompt: the files they name, read and attached to the user's message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_ATTACHED_BYTES = 256 * 1024
"""A mentioned file larger than this is not attached (it would flood the context)."""
_MENTION = re.compile(r"(?:^|(?<=\s))@(\S+)")


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
    # Imported when a prompt is sent: the file modules are not needed for the app's first frame.
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
            content = read_text(path, max_bytes=MAX_ATTACHED_BYTES, purpose="attach").text
        except (FileRefused, OSError) as exc:
            result.problems.append(f"@{raw}: {exc}")
            continue
        result.files.append({"path": rel, "content": content})
    return result
