"""Git tree ids computed in Python, so verifying a session costs no git process per step.

`TreeModel` holds a tree as git does (mode and object id per path) and
recomputes the ids of only the folders a change touched. The ids are exactly
git's, so they compare equal to the trees of recorded checkpoints.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tui.engine.workspace.gitrun import run_git

FILE_MODE = "100644"
TREE_MODE = "40000"


def blob_id(data: bytes) -> str:
    """The git object id of a blob holding `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class TreeModel:
    """A tree as `{folder: {name: (mode, id)}}`, with lazily recomputed folder ids."""

    def __init__(self, entries: dict[str, tuple[str, str]]) -> None:
        self._folders: dict[str, dict[str, tuple[str, str]]] = {"": {}}
        self._ids: dict[str, str] = {}
        for path, (mode, oid) in entries.items():
            self.set(path, mode, oid)

    @classmethod
    def read(cls, git_dir: Path, tree: str) -> TreeModel:
        """Load the tree `tree` of the repository at `git_dir` with `git ls-tree` (blobs, links and submodules; folders are implied).

        Raises:
            GitError: git cannot list the tree.
        """
        out = run_git(["--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", tree], git_dir).check().out
        entries = {}
        for record in out.split(b"\0"):
            if record:
                meta, path = record.split(b"\t", 1)
                mode, _kind, oid = meta.decode().split()
                entries[path.decode("utf-8", "surrogateescape")] = (mode, oid)
        return cls(entries)

    def mode_of(self, path: str) -> str | None:
        folder, _, name = path.rpartition("/")
        entry = self._folders.get(folder, {}).get(name)
        return entry[0] if entry else None

    def set(self, path: str, mode: str, oid: str) -> None:
        folder, _, name = path.rpartition("/")
        self._ensure(folder)
        self._folders[folder][name] = (mode, oid)
        self._dirty(folder)

    def remove(self, path: str) -> None:
        folder, _, name = path.rpartition("/")
        entries = self._folders.get(folder)
        if entries is None or name not in entries:
            return
        del entries[name]
        self._dirty(folder)
        while folder and not self._folders[folder]:
            del self._folders[folder]
            parent, _, child = folder.rpartition("/")
            del self._folders[parent][child]
            self._dirty(parent)
            folder = parent

    def tree_id(self, folder: str = "") -> str:
        if folder in self._ids:
            return self._ids[folder]
        body = bytearray()
        # git orders entries as if folder names ended in "/".
        entries = self._folders[folder]
        for name in sorted(entries, key=lambda n: n + "/" if entries[n][0] == TREE_MODE else n):
            mode, oid = entries[name]
            if mode == TREE_MODE:
                oid = self.tree_id(f"{folder}/{name}" if folder else name)
            body += f"{mode} ".encode() + name.encode("utf-8", "surrogateescape") + b"\0" + bytes.fromhex(oid)
        tree = hashlib.sha1(b"tree %d\0" % len(body) + bytes(body)).hexdigest()
        self._ids[folder] = tree
        return tree

    def _ensure(self, folder: str) -> None:
        if folder in self._folders:
            return
        parent, _, name = folder.rpartition("/")
        self._ensure(parent)
        self._folders[folder] = {}
        self._folders[parent][name] = (TREE_MODE, "")

    def _dirty(self, folder: str) -> None:
        while True:
            self._ids.pop(folder, None)
            if not folder:
                return
            folder = folder.rpartition("/")[0]


def path_mode(path: Path) -> str:
    """The git mode a file on disk would be recorded with."""
    if path.is_symlink():
        return "120000"
    return "100755" if path.stat().st_mode & 0o111 else FILE_MODE
