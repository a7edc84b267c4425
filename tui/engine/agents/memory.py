"""Memory and instructions: the Markdown files Claude Code and Copilot users keep for their agents.

Loaded at the start of a session, lowest precedence first (a later file wins, so
it comes later in the system prompt, as in Claude Code):

1. the user's `~/.claude/CLAUDE.md`;
2. the project's `AGENTS.md`, `CLAUDE.md` and `.claude/CLAUDE.md` in every folder from
   the repository root down to the working folder, each folder's `CLAUDE.local.md` after them;
3. `.github/copilot-instructions.md`.

`@path` imports are expanded after the file that names them: relative to that file,
`~` expanded, at most `MAX_IMPORT_DEPTH` levels, never inside code spans or fences.
A project file may import only files inside the repository or under `~/.claude/`
(a cloned repository must not be able to send `@~/.ssh/id_rsa` to the model); the
user's own file may import from the home folder too.

Attached later, when the agent first reads or edits a file they apply to (see
`Memory.attach_for`): `CLAUDE.md`/`AGENTS.md` in sub-folders below the working folder,
and `.github/instructions/*.instructions.md` whose `applyTo` globs match the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui.engine.workspace.globs import glob_matches, normalize_glob

MEMORY_FILES: tuple[str, ...] = ("AGENTS.md", "CLAUDE.md", "CLAUDE.local.md")
"""Memory file names at any depth (control files for the permission engine, too)."""

_FOLDER_FILES: tuple[str, ...] = ("AGENTS.md", "CLAUDE.md", ".claude/CLAUDE.md", "CLAUDE.local.md")
"""Read in each folder from the root down, in this order."""

COPILOT_INSTRUCTIONS = ".github/copilot-instructions.md"
INSTRUCTIONS_DIR = ".github/instructions"
INSTRUCTIONS_SUFFIX = ".instructions.md"

MAX_MEMORY_CHARS = 50_000
"""Longer files are cut: they would crowd out the conversation on every request."""

MAX_IMPORT_DEPTH = 5
"""Claude Code's limit for `@path` imports of imports."""

Scope = Literal["user", "project", "local", "imported", "copilot", "nested", "instructions"]

_SCOPE_WORDS: dict[Scope, str] = {
    "user": "your instructions for every project",
    "project": "project instructions",
    "local": "your local project instructions",
    "imported": "imported",
    "copilot": "Copilot instructions",
    "nested": "instructions for this folder",
    "instructions": "instructions for matching files",
}

_IMPORT = re.compile(r"(?<![\w@`/])@((?:~|\.{1,2})?/?[\w.\-/~]*[\w\-/])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")


@dataclass(frozen=True)
class MemoryFile:
    path: Path
    scope: Scope
    text: str
    truncated: bool = False
    imported_by: Path | None = None
    apply_to: tuple[str, ...] = ()
    """For `.instructions.md`: the globs of the files it applies to."""

    def section(self, root: Path) -> str:
        shown = display_path(self.path, root)
        what = _what(self, root)
        note = f"\n\n[{shown} was cut at {MAX_MEMORY_CHARS:,} characters]" if self.truncated else ""
        return f"## Instructions from {shown} ({what})\n\n{self.text}{note}"


def _what(memory: MemoryFile, root: Path) -> str:
    if memory.imported_by is not None:
        return f"imported by {display_path(memory.imported_by, root)}"
    if memory.apply_to:
        return f"{_SCOPE_WORDS[memory.scope]}: {', '.join(memory.apply_to)}"
    return _SCOPE_WORDS[memory.scope]


def reminder(files: list[MemoryFile], root: Path) -> str:
    """The text appended to a tool result when `files` are attached for the file it reached."""
    if not files:
        return ""
    sections = "\n\n".join(memory.section(root) for memory in files)
    return f"\n\n<system-reminder>\nThese instructions apply to the file above; follow them.\n\n{sections}\n</system-reminder>"


def display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        home = Path.home()
        try:
            return "~/" + path.relative_to(home).as_posix()
        except ValueError:
            return str(path)


@dataclass
class Memory:
    """What a session loaded, and what it will attach when the agent reaches a file."""

    root: Path
    cwd: Path
    files: list[MemoryFile] = field(default_factory=list)
    """Loaded at the start, in prompt order."""
    instructions: list[MemoryFile] = field(default_factory=list)
    """`.instructions.md` files that wait for a matching file."""
    attached: list[MemoryFile] = field(default_factory=list)
    """Files attached since the start (nested memory, matching instructions)."""
    warnings: list[str] = field(default_factory=list)
    _seen: set[Path] = field(default_factory=set)

    def sections(self) -> list[str]:
        return [memory.section(self.root) for memory in self.files]

    def loaded(self) -> list[MemoryFile]:
        """Everything in context now, in the order it came (for `/memory`)."""
        return [*self.files, *self.attached]

    def describe(self) -> str:
        """What `/memory` shows: each file in context with where it came from, then what waits."""
        lines = [
            "Memory and instructions in context:" if self.loaded() else "No memory or instruction files are loaded."
        ]
        lines += [f"  {display_path(m.path, self.root)} ({_what(m, self.root)})" for m in self.loaded()]
        waiting = [m for m in self.instructions if m not in self.attached]
        if waiting:
            lines.append("Attached when the agent reaches a matching file:")
            lines += [f"  {display_path(m.path, self.root)} ({', '.join(m.apply_to) or 'no applyTo'})" for m in waiting]
        lines.append("CLAUDE.md / AGENTS.md in sub-folders are attached when the agent first reads a file under them.")
        if self.warnings:
            lines.append("Problems:")
            lines += [f"  {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def attach_for(self, paths: Iterable[Path]) -> list[MemoryFile]:
        """Memory that applies to files the agent just read or edited and is not in context yet.

        Nested `CLAUDE.md`/`AGENTS.md` from the working folder down to each file's folder,
        then `.instructions.md` files whose `applyTo` matches. Each is attached once.
        """
        new: list[MemoryFile] = []
        for path in paths:
            try:
                rel = path.resolve().relative_to(self.root)
            except (ValueError, OSError):
                continue
            for folder in _folders_between(self.cwd, self.root / rel.parent):
                for name in ("CLAUDE.md", "AGENTS.md"):
                    new.extend(self._load(folder / name, "nested"))
            for instruction in self.instructions:
                if instruction.path not in self._seen and any(
                    _glob_matches(glob, rel.as_posix()) for glob in instruction.apply_to
                ):
                    self._seen.add(instruction.path)
                    new.append(instruction)
        self.attached.extend(new)
        return new

    def fresh_view(self) -> Memory:
        """The same memory for a new conversation (a sub-agent's run): what its system prompt holds
        counts as seen; nested files and matching instructions attach again on its first reach."""
        return Memory(
            root=self.root,
            cwd=self.cwd,
            files=list(self.files),
            instructions=list(self.instructions),
            _seen={memory.path for memory in self.files},
        )

    def mark_attached(self, shown: Iterable[str]) -> None:
        """Files a resumed log says were attached already (as `display_path` showed them)."""
        for name in shown:
            path = Path(name).expanduser() if name.startswith("~") else self.root / name
            self._seen.add(path.resolve())

    def _load(self, path: Path, scope: Scope, chain: tuple[Path, ...] = ()) -> list[MemoryFile]:
        """`path` and what it imports, each once; `chain` are the files importing it."""
        try:
            resolved = path.resolve()
        except OSError:
            return []
        if resolved in self._seen or not resolved.is_file():
            return []
        self._seen.add(resolved)
        try:
            text = _normalize(resolved.read_text(encoding="utf-8")).strip()
        except (OSError, UnicodeDecodeError) as exc:
            self.warnings.append(f"cannot read {path}: {exc}; left out of the context")
            return []
        if not text:
            return []
        importer = chain[-1] if chain else None
        loaded = [MemoryFile(path, scope, text[:MAX_MEMORY_CHARS], len(text) > MAX_MEMORY_CHARS, importer)]
        chain = (*chain, resolved)
        for line_number, target in _imports(text):
            where = f"{display_path(path, self.root)}:{line_number}"
            imported = _import_path(target, path)
            if imported.resolve() in chain:
                self.warnings.append(f"{where}: @{target} is an import cycle; left out")
            elif len(chain) > MAX_IMPORT_DEPTH:
                self.warnings.append(
                    f"{where}: @{target} is nested more than {MAX_IMPORT_DEPTH} imports deep; left out"
                )
            elif not self._may_import(imported, chain[0]):
                self.warnings.append(
                    f"{where}: @{target} is outside the project and ~/.claude/; left out "
                    "(only your own ~/.claude/CLAUDE.md may import from the rest of your home folder)"
                )
            elif not imported.is_file():
                self.warnings.append(f"{where}: @{target}: no such file; left out")
            else:
                loaded.extend(self._load(imported, "imported", chain))
        return loaded

    def _may_import(self, path: Path, first: Path) -> bool:
        """Inside the project or ~/.claude/; the rest of home only for the user's own file's imports."""
        target = path.resolve()
        home = Path.home().resolve()
        if target.is_relative_to(self.root) or target.is_relative_to(home / ".claude"):
            return True
        return first == (home / ".claude" / "CLAUDE.md").resolve() and target.is_relative_to(home)


def load_memory(root: Path, cwd: Path | None = None, *, home: Path | None = None) -> Memory:
    """Read every memory and instruction file that applies to a session in `cwd` (default: the root)."""
    root = root.resolve()
    cwd = (cwd or root).resolve()
    if not cwd.is_relative_to(root):
        cwd = root
    memory = Memory(root=root, cwd=cwd)
    user_home = home or Path.home()
    memory.files.extend(memory._load(user_home / ".claude" / "CLAUDE.md", "user"))
    for folder in _folders_between(root, cwd, include_start=True):
        for name in _FOLDER_FILES:
            scope: Scope = "local" if name == "CLAUDE.local.md" else "project"
            memory.files.extend(memory._load(folder / name, scope))
    memory.files.extend(memory._load(root / COPILOT_INSTRUCTIONS, "copilot"))
    for instruction in _instruction_files(root, memory.warnings):
        if _applies_everywhere(instruction.apply_to):
            memory._seen.add(instruction.path.resolve())
            memory.files.append(instruction)
        else:
            memory.instructions.append(instruction)
    return memory


def _normalize(text: str) -> str:
    from tui.engine.agents.files import normalize_text

    return normalize_text(text)


def _folders_between(top: Path, bottom: Path, *, include_start: bool = False) -> list[Path]:
    """The folders from `top` down to `bottom` (both resolved); `top` itself only when asked."""
    try:
        parts = bottom.relative_to(top).parts
    except ValueError:
        return []
    folders = [top] if include_start else []
    current = top
    for part in parts:
        current = current / part
        folders.append(current)
    return folders


def _imports(text: str) -> list[tuple[int, str]]:
    """`(line number, path)` of every `@path` outside code fences and code spans."""
    found: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in _IMPORT.finditer(_CODE_SPAN.sub(lambda span: " " * len(span.group()), line)):
            target = match.group(1)
            if target.strip("./~"):
                found.append((number, target))
    return found


def _import_path(target: str, importer: Path) -> Path:
    if target.startswith("~"):
        return Path(target).expanduser()
    return importer.parent / target


def _instruction_files(root: Path, warnings: list[str]) -> list[MemoryFile]:
    # Imported here: the permission engine reads MEMORY_FILES, and the agent-file reader
    # imports the tool names, which import the permission engine.
    from tui.engine.agents.files import AgentFileError, read_frontmatter, split_frontmatter

    folder = root / INSTRUCTIONS_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob(f"*{INSTRUCTIONS_SUFFIX}")):
        shown = display_path(path, root)
        try:
            text = _normalize(path.read_text(encoding="utf-8"))
            split = split_frontmatter(text)
            meta = read_frontmatter(split[0]) if split else {}
        except (OSError, UnicodeDecodeError, AgentFileError) as exc:
            warnings.append(f"{shown}: {exc}; skipped")
            continue
        body = (split[1] if split else text).strip()
        globs, problem = _apply_to(meta.get("applyTo"))
        if problem:
            warnings.append(f"{shown}:{_key_line(text, 'applyTo')}: {problem}; skipped")
            continue
        if body:
            found.append(
                MemoryFile(path, "instructions", body[:MAX_MEMORY_CHARS], len(body) > MAX_MEMORY_CHARS, apply_to=globs)
            )
    return found


def _apply_to(value: object) -> tuple[tuple[str, ...], str | None]:
    """The `applyTo` globs, or a problem. No `applyTo` means the file applies to nothing automatically."""
    if value is None:
        return (), None
    entries = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    if entries is None or not all(isinstance(entry, str) for entry in entries):
        return (), f"applyTo must be a glob or a list of globs, not {value!r}"
    globs = tuple(entry.strip() for entry in entries if entry.strip())
    for glob in globs:
        if glob.count("{") != glob.count("}") or glob.count("[") != glob.count("]"):
            return (), f"applyTo has an unbalanced glob {glob!r}"
    return globs, None


def _applies_everywhere(globs: tuple[str, ...]) -> bool:
    return any(glob in ("*", "**", "**/*") for glob in globs)


def _glob_matches(glob: str, rel_path: str) -> bool:
    return glob_matches(normalize_glob(glob), rel_path)


def _key_line(text: str, key: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(f"{key}:"):
            return number
    return 1
