"""Keeping control files and git's config and hooks exactly as they were through a command.

Before a command runs, `snapshot` records every protected path (`pathguard.protected_command_paths`)
and, inside protected folders, every file's bytes. After it, `restore` puts back what changed and
moves aside what is new: a control file the command created (`sub/CLAUDE.md`, `.stepwise/agents/x.md`,
a hook) goes to the quarantine folder `.git/stepwise/quarantine/<time>/`, never deleted.

Inside the sandbox the existing paths are read-only already, so only new ones can appear (a mount
cannot cover a name that does not exist yet without leaving a file behind). Without the sandbox this
is what keeps a command allowed by a rule or a mode from changing them for good; a command the user
approved in person is not guarded there.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.permissions.pathguard import git_dirs, protected_command_paths, relative_to_root

MAX_KEPT_BYTES = 8 * 1024 * 1024
"""Files larger than this are compared by size and time only, and cannot be put back."""


@dataclass(frozen=True)
class _Entry:
    kind: str
    """`file`, `dir` or `link`."""
    data: bytes | None = None
    """A file's bytes (None past `MAX_KEPT_BYTES`), a link's target."""
    stamp: tuple[int, int] = (0, 0)


@dataclass
class Snapshot:
    """The protected paths of a workspace at one moment."""

    root: Path
    entries: dict[Path, _Entry] = field(default_factory=dict)
    extra_roots: tuple[Path, ...] = ()
    """Additional directories whose protected paths are kept too."""

    def accept(self, paths: list[Path]) -> None:
        """Take the current state of `paths` as the baseline (an edit the user approved)."""
        for path in paths:
            self.entries.pop(path, None)
            entry = _read(path)
            if entry is not None:
                self.entries[path] = entry


@dataclass(frozen=True)
class GuardReport:
    restored: tuple[str, ...] = ()
    """Workspace-relative paths put back as they were."""
    moved: tuple[str, ...] = ()
    """New control paths moved to `quarantine`."""
    quarantine: Path | None = None
    lost: tuple[str, ...] = ()
    """Changed files that could not be put back (too large, or the write failed)."""

    def __bool__(self) -> bool:
        return bool(self.restored or self.moved or self.lost)

    def describe(self) -> str:
        parts = []
        if self.restored:
            parts.append(f"put back as they were: {', '.join(self.restored)}")
        if self.moved:
            parts.append(f"created, and moved to {self.quarantine}: {', '.join(self.moved)}")
        if self.lost:
            parts.append(f"changed and could not be put back: {', '.join(self.lost)}")
        return (
            "The command changed files that configure git or an agent, which commands may not change "
            f"({'; '.join(parts)})."
        )


def snapshot(root: Path, extra_roots: tuple[Path, ...] = ()) -> Snapshot:
    """Every protected path of the workspace at `root` (and of each additional directory), with the
    bytes of every file among them."""
    root = root.resolve()
    shot = Snapshot(root, extra_roots=extra_roots)
    for top in protected_command_paths(root, extra_roots).read_only:
        for path in _walk(top):
            entry = _read(path)
            if entry is not None:
                shot.entries[path] = entry
    return shot


def restore(before: Snapshot) -> GuardReport:
    """Undo what changed in the protected paths since `before` (see the module docstring)."""
    root = before.root
    after = snapshot(root, before.extra_roots)
    quarantine = _quarantine_folder(root)
    restored: list[str] = []
    moved: list[str] = []
    lost: list[str] = []
    # New paths: the outermost new one is moved as a whole (a new folder with its files).
    new = sorted(set(after.entries) - set(before.entries), key=lambda p: len(p.parts))
    for path in new:
        if not os.path.lexists(path):
            continue
        # Moved with a new parent already.
        if any(p in new and p != path and relative_to_root(p, path) is not None for p in path.parents):
            continue
        rel = relative_to_root(root, path) or str(path)
        target = quarantine / rel.lstrip("/")  # a path in an additional directory keeps its whole name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(rel)
        except OSError:
            lost.append(rel)
    for path, old in sorted(before.entries.items()):
        now = after.entries.get(path)
        if now == old:
            continue
        rel = relative_to_root(root, path) or str(path)
        try:
            if now is not None and os.path.lexists(path) and now.kind != "dir":
                target = quarantine / rel.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            _write(path, old)
            restored.append(rel)
        except (OSError, _CannotRestore):
            lost.append(rel)
    return GuardReport(tuple(restored), tuple(moved), quarantine if moved or restored else None, tuple(lost))


class _CannotRestore(StepwiseError):
    """A changed file that cannot be put back (its old bytes were too large to keep)."""


def _quarantine_folder(root: Path) -> Path:
    dirs = git_dirs(root)
    base = dirs[-1] if dirs else root / ".git"
    return base / "stepwise" / "quarantine" / time.strftime("%Y%m%d-%H%M%S")


def _walk(top: Path):
    yield top
    if top.is_dir() and not top.is_symlink():
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                yield Path(folder) / name


def _read(path: Path) -> _Entry | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if os.path.islink(path):
        return _Entry("link", os.fsencode(os.readlink(path)))
    if path.is_dir():
        return _Entry("dir")
    stamp = (st.st_size, st.st_mtime_ns)
    if st.st_size > MAX_KEPT_BYTES:
        return _Entry("file", None, stamp)
    try:
        return _Entry("file", path.read_bytes(), (st.st_size, 0))
    except OSError:
        return _Entry("file", None, stamp)


def _write(path: Path, entry: _Entry) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if entry.kind == "dir":
        path.mkdir(exist_ok=True)
    elif entry.kind == "link":
        os.symlink(os.fsdecode(entry.data or b""), path)
    elif entry.data is None:
        raise _CannotRestore(str(path))
    else:
        path.write_bytes(entry.data)
