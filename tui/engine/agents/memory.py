"""Project memory: `AGENTS.md` and `CLAUDE.md` at the repository root, added to the system prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MEMORY_FILES: tuple[str, ...] = ("AGENTS.md", "CLAUDE.md")

MAX_MEMORY_CHARS = 50_000
"""Longer files are cut: they would crowd out the conversation on every request."""


@dataclass(frozen=True)
class MemoryFile:
    path: Path
    text: str
    truncated: bool = False


def memory_files(root: Path, warnings: list[str] | None = None) -> list[MemoryFile]:
    """The memory files present at `root`, in `MEMORY_FILES` order.

    A file that is a link to another one already read (a common `CLAUDE.md ->
    AGENTS.md` setup) is read once. Unreadable files are left out, with a note in
    `warnings` when given.
    """
    found: list[MemoryFile] = []
    seen: set[Path] = set()
    for name in MEMORY_FILES:
        path = root / name
        if not path.is_file() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").strip()
        except (OSError, UnicodeDecodeError) as exc:
            if warnings is not None:
                warnings.append(f"cannot read {path}: {exc}; left out of the context")
            continue
        if not text:
            continue
        truncated = len(text) > MAX_MEMORY_CHARS
        found.append(MemoryFile(path, text[:MAX_MEMORY_CHARS], truncated))
    return found


def memory_sections(root: Path, warnings: list[str] | None = None) -> list[str]:
    """One system-prompt section per memory file."""
    sections = []
    for memory in memory_files(root, warnings):
        note = f"\n\n[{memory.path.name} was cut at {MAX_MEMORY_CHARS:,} characters]" if memory.truncated else ""
        sections.append(f"## Project instructions ({memory.path.name})\n\n{memory.text}{note}")
    return sections
