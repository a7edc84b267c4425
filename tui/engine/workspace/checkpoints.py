"""The git workspace: checkpoints under `refs/stepwise/<session>`, restore, undo, diff, auto-commit.

A checkpoint is a commit whose tree is the whole working tree (tracked and
untracked files; ignored ones are left out), written through a private index
file (`GIT_INDEX_FILE`) and pointed at by `refs/stepwise/<session-id>`. The
user's HEAD, branch, index, stash and `git status` never change; only
`auto_commit` touches the user's branch, which is its purpose.

Each session keeps its private index in `.git/stepwise/index-<session>` so
that `git add -A` only rehashes files whose stat changed since the last
checkpoint. Content goes through git's usual clean/smudge filters both ways,
so files come back byte-identical unless a filter is not reversible (for
example `core.autocrlf=input` on a CRLF file).

Checkpoint commit messages are the label plus trailers naming the session
(and, for a restore, the checkpoint it restored), which lets `checkpoints`
stop its walk where the session's chain meets the user's history.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.permissions.pathguard import relative_to_root
from tui.engine.workspace.fileio import atomic_write
from tui.engine.workspace.gitrun import GitError, GitResult, run_git

REF_PREFIX = "refs/stepwise/"
IDENTITY_NAME = "stepwise"
IDENTITY_EMAIL = "stepwise@localhost"
SESSION_TRAILER = "Stepwise-Session"
RESTORES_TRAILER = "Stepwise-Restores"

_IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": IDENTITY_NAME,
    "GIT_AUTHOR_EMAIL": IDENTITY_EMAIL,
    "GIT_COMMITTER_NAME": IDENTITY_NAME,
    "GIT_COMMITTER_EMAIL": IDENTITY_EMAIL,
}
# Options for every command run on a private index: a split index would make
# git write shared-index files the user's index may depend on; the advice is noise.
_PRIVATE_INDEX_OPTIONS = ("-c", "core.splitIndex=false", "-c", "advice.addEmbeddedRepo=false")
_GITLINK_MODE = "160000"
_LOG_BATCH = 256
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class WorkspaceError(StepwiseError, RuntimeError):
    """A git operation on the workspace failed; the message says what and why."""


class NotAGitRepository(WorkspaceError):
    """The workspace is not inside a git work tree."""


@dataclass(frozen=True)
class CheckpointInfo:
    sha: str
    label: str
    time: float
    """Commit time, seconds since the epoch."""
    restores: str | None = None
    """For a checkpoint recorded by a restore (undo/rewind): the checkpoint it restored."""


@dataclass(frozen=True)
class RestoreResult:
    commit: str
    """The new checkpoint recorded after the restore."""
    source: str
    """The commit whose tree was restored."""
    written: list[str] = field(default_factory=list)
    """Workspace-relative POSIX paths written back (created or overwritten)."""
    deleted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Nested repositories (gitlinks), which a restore never writes or deletes."""


@dataclass(frozen=True)
class _Change:
    status: str
    path: str
    old_mode: str
    new_mode: str


class Workspace:
    """One git work tree. Open it with `Workspace.open`.

    Methods are thread-safe (one lock per workspace) so the UI can run them in
    worker threads.
    """

    def __init__(self, git_dir: Path, root: Path) -> None:
        self.root = root
        self._git_dir = git_dir.resolve()
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Workspace:
        """The workspace containing `path` (a folder anywhere inside a work tree).

        Raises:
            NotAGitRepository: `path` is not inside a git work tree (or only in a bare repository).
            WorkspaceError: `path` does not exist, git is not installed, or git cannot read the repository.
        """
        path = Path(path).expanduser().resolve()
        if not path.exists():
            raise WorkspaceError(f"the workspace folder {path} does not exist")
        # GitPython finds the repository (parent folders, `.git` files of linked work trees, GIT_DIR);
        # every command after that goes through `run_git`.
        try:
            import git
        except ImportError as exc:
            raise WorkspaceError(f"GitPython is needed to find the repository but cannot be imported: {exc}") from None
        try:
            repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise _not_a_repository(path) from None
        if repo.bare or repo.working_tree_dir is None:
            raise NotAGitRepository(
                f"{path} is in a bare git repository, which has no working tree; "
                "start stepwise inside a clone or a work tree."
            )
        return cls(Path(repo.git_dir), Path(repo.working_tree_dir).resolve())

    # --- state of the user's repository ---------------------------------------

    @property
    def branch(self) -> str | None:
        """The current branch name (also before its first commit), None when HEAD is detached."""
        out = self._git("symbolic-ref", "-q", "--short", "HEAD", check=False)
        return out.strip() or None

    def is_dirty(self) -> bool:
        """True when tracked files changed (staged or not) or untracked, non-ignored files exist."""
        out = self._git("status", "--porcelain", "-z", "--untracked-files=normal", env={"GIT_OPTIONAL_LOCKS": "0"})
        return bool(out)

    def head_commit(self) -> str | None:
        """The sha HEAD points at, None in a repository without commits."""
        return self._rev_parse("HEAD^{commit}")

    # --- checkpoints ---------------------------------------------------------

    def checkpoint(self, session_id: str, label: str) -> str:
        """Commit the whole working tree as the session's next checkpoint and return its sha.

        Files git cannot read (or nested repositories without a commit) are left
        out rather than failing the checkpoint.

        Raises:
            ValueError: the session id cannot be part of a ref name.
            WorkspaceError: git failed (the message carries git's own).
        """
        commit = self._checkpoint(session_id, label, unless_same_as=None)
        assert commit is not None  # without `unless_same_as` a commit is always written
        return commit

    def checkpoint_if_changed(self, session_id: str, label: str, previous: str) -> str | None:
        """Like `checkpoint`, but records nothing (None) when the tree equals `previous`'s.

        A command that changed no file is then not a step of its own, so undo
        always takes back a real change.
        """
        return self._checkpoint(session_id, label, unless_same_as=previous)

    def _checkpoint(self, session_id: str, label: str, unless_same_as: str | None) -> str | None:
        _check_session_id(session_id)
        with self._lock:
            tree = self._snapshot_tree(self._session_index(session_id))
            if unless_same_as and self._git("rev-parse", f"{unless_same_as}^{{tree}}").strip() == tree:
                return None
            return self._commit_checkpoint(session_id, tree, label, restores=None)

    def checkpoints(self, session_id: str) -> list[CheckpointInfo]:
        """The session's checkpoints, oldest first."""
        _check_session_id(session_id)
        with self._lock:
            found: list[CheckpointInfo] = []
            start = self._tip(session_id)
            while start is not None:
                # -z ends each record with NUL, which no commit message holds;
                # the message is the last field, so a stray \x1f in it is harmless.
                out = self._git(
                    "log", "-z", "--first-parent", f"-n{_LOG_BATCH}", "--format=%H%x1f%P%x1f%ct%x1f%B", start, "--"
                )
                records = [r for r in out.split("\0") if r]
                start = None
                for record in records:
                    sha, parents, ctime, body = record.split("\x1f", 3)
                    info = _parse_checkpoint(sha, ctime, body, session_id)
                    if info is None:
                        return found[::-1]
                    found.append(info)
                    start = parents.split()[0] if parents.strip() else None
                if len(records) < _LOG_BATCH:
                    break
            return found[::-1]

    # --- blobs (ignored files the model edits) ---------------------------------

    def ignored(self, paths: Iterable[str]) -> set[str]:
        """Which workspace-relative `paths` git ignores (they are not in checkpoints)."""
        paths = list(paths)
        if not paths:
            return set()
        done = self._run(("check-ignore", "--stdin", "-z"), stdin="\0".join(paths).encode() + b"\0")
        return {p for p in done.text().split("\0") if p} if done.status in (0, 1) else set()

    def hash_blob(self, data: bytes) -> str:
        """Store `data` as a blob in the object database (no filters) and return its id."""
        return self._git("hash-object", "-w", "--stdin", stdin=data).strip()

    def read_blob(self, sha: str) -> bytes:
        """The bytes of blob `sha`.

        Raises:
            WorkspaceError: there is no such blob.
        """
        if not re.fullmatch(r"[0-9a-fA-F]{4,64}", sha or ""):
            raise WorkspaceError(f"{sha!r} is not a blob id")
        done = self._run(("cat-file", "blob", sha))
        if not done.ok:
            raise WorkspaceError(f"there is no blob {sha} in {self.root}")
        return done.out

    def restore_blob(self, path: Path, blob: str | None) -> None:
        """Put file `path` back to blob `blob` (an ignored file's before-state); None deletes it.

        The file's mode is kept when it exists.

        Raises:
            WorkspaceError: the path is outside the workspace or inside `.git/`, or the blob is missing.
        """
        target = Path(path) if Path(path).is_absolute() else self.root / path
        target = target.parent.resolve() / target.name
        rel = relative_to_root(self.root, target)
        if rel is None or rel == "." or ".git" in rel.split("/"):
            raise WorkspaceError(f"{path} is outside the workspace {self.root} or inside .git/")
        data = None if blob is None else self.read_blob(blob)
        try:
            if (data is None or target.is_symlink()) and (target.is_symlink() or target.is_file()):
                target.unlink()
            if data is not None:
                mode = target.stat().st_mode & 0o7777 if target.is_file() else None
                atomic_write(target, data, mode=mode)
        except OSError as exc:
            raise WorkspaceError(f"cannot restore {rel}: {exc.strerror or exc}") from None

    # --- restore (undo and rewind are the session's, over its step timeline) ----

    def restore(self, commit: str, session_id: str, label: str) -> RestoreResult:
        """Make the working tree match checkpoint `commit`, then record that as a new checkpoint.

        Every path that differs between `commit` and the current working tree
        (tracked and untracked, not ignored) is written back from the commit
        (content, executable bit, symlinks) or, when absent there, deleted;
        folders left empty by a deletion are removed. Ignored files, `.git/`,
        the user's index and HEAD are not touched.

        Raises:
            ValueError: bad session id.
            WorkspaceError: `commit` is not a commit, or git failed.
        """
        _check_session_id(session_id)
        with self._lock:
            source = self._resolve_commit(commit)
            index = self._session_index(session_id)
            changes = self._raw_changes(self._snapshot_tree(index), source)
            written: list[str] = []
            deleted: list[str] = []
            skipped: list[str] = []
            for change in changes:
                if _GITLINK_MODE in (change.old_mode, change.new_mode):
                    skipped.append(change.path)
                elif change.status == "D":
                    deleted.append(change.path)
                else:
                    written.append(change.path)
            self._delete(deleted)
            self._checkout(source, written)
            tree = self._snapshot_tree(index)
            new = self._commit_checkpoint(session_id, tree, label, restores=source)
            return RestoreResult(commit=new, source=source, written=written, deleted=deleted, skipped=skipped)

    # --- diffs -----------------------------------------------------------------

    def diff(self, from_commit: str, to_commit: str | None = None, paths: Iterable[str] | None = None) -> str:
        """Unified diff from `from_commit` to `to_commit` (None: the working tree, untracked files included).

        `paths` (workspace-relative or absolute) limit the diff; they are literal, not globs.
        """
        with self._lock:
            a, b = self._resolve_commit(from_commit), self._target_tree(to_commit)
            return self._git(
                "-c", "core.quotePath=false", "diff-tree", "-p", "-r", "--no-renames", "--no-color",
                "--no-ext-diff", "--no-textconv", a, b, "--", *self._pathspecs(paths),
                env={"GIT_LITERAL_PATHSPECS": "1"}, errors="replace",
            )  # fmt: skip

    def changed_files(self, from_commit: str, to_commit: str | None = None) -> list[tuple[str, str]]:
        """`(status, path)` for every file that differs; status is `A`, `M`, `D` or `T` (type change)."""
        with self._lock:
            a, b = self._resolve_commit(from_commit), self._target_tree(to_commit)
            return [(c.status, c.path) for c in self._raw_changes(a, b)]

    # --- auto-commit -------------------------------------------------------------

    def auto_commit(self, message: str, paths: Iterable[str] | None = None) -> str | None:
        """Commit `paths` (or every change) on the current branch; return the new HEAD.

        This is the `--auto-commit` mode: it uses the user's index and moves
        their branch on purpose. Other changes the user staged stay staged when
        `paths` is given. The user's identity is used; the stepwise one only
        when git has none. Returns None when there is nothing to commit.

        Raises:
            WorkspaceError: git (or a commit hook) failed.
        """
        if not message.strip():
            raise ValueError("the commit message is empty")
        specs = self._pathspecs(paths) if paths is not None else []
        literal = {"GIT_LITERAL_PATHSPECS": "1"}
        with self._lock:
            self._git("add", "-A", "--", *specs, env=literal)
            if self._run(("diff", "--cached", "--quiet", "--", *specs), env=literal).ok:
                return None
            env = {**literal, **self._identity_fallback()}
            self._git("commit", "-q", "-m", message, *(["--only", "--", *specs] if specs else []), env=env)
            return self.head_commit()

    # --- internals ---------------------------------------------------------------

    def _run(self, args: Iterable[str], env: dict[str, str] | None = None, stdin: bytes | None = None) -> GitResult:
        """`git <args>` at the workspace root, whatever its exit status."""
        try:
            return run_git(tuple(args), self.root, env=env, stdin=stdin)
        except GitError as exc:
            raise WorkspaceError(str(exc)) from None

    def _git(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        errors: str = "surrogateescape",
    ) -> str:
        """Stdout of `git <args>` as text; `errors="surrogateescape"` keeps any path's bytes.

        Raises:
            WorkspaceError: the command failed and `check` is set.
        """
        done = self._run(args, env=env, stdin=stdin)
        if check:
            try:
                done.check()
            except GitError as exc:
                raise WorkspaceError(str(exc)) from None
        return done.text(errors)

    def _rev_parse(self, rev: str) -> str | None:
        return self._git("rev-parse", "-q", "--verify", rev, check=False).strip() or None

    def _resolve_commit(self, commit: str) -> str:
        if not isinstance(commit, str) or not commit.strip() or commit.startswith("-"):
            raise WorkspaceError(f"{commit!r} is not a commit")
        sha = self._rev_parse(f"{commit}^{{commit}}")
        if sha is None:
            raise WorkspaceError(f"{commit} is not a commit in {self.root}")
        return sha

    def _stepwise_dir(self) -> Path:
        folder = self._git_dir / "stepwise"
        folder.mkdir(exist_ok=True)
        return folder

    def _session_index(self, session_id: str) -> Path:
        return self._stepwise_dir() / f"index-{session_id}"

    def _snapshot_tree(self, index: Path) -> str:
        """Tree of the whole working tree (ignored files excluded), staged through private `index`.

        A new private index starts as a copy of the user's so that only files
        whose stat changed get hashed.
        """
        if not index.exists():
            user_index = self._git_dir / "index"
            if user_index.exists():
                partial = index.with_name(index.name + ".seed")
                shutil.copyfile(user_index, partial)
                os.replace(partial, index)
        env = {"GIT_INDEX_FILE": str(index)}
        # --ignore-errors: an unreadable file or a nested repository without a
        # commit is left out (exit status 1) instead of losing the checkpoint.
        added = self._run((*_PRIVATE_INDEX_OPTIONS, "add", "-A", "--ignore-errors"), env=env)
        if added.status not in (0, 1):
            raise WorkspaceError(f"git add failed in {self.root}: {added.err.strip()}")
        return self._git(*_PRIVATE_INDEX_OPTIONS, "write-tree", env=env).strip()

    def _target_tree(self, commit: str | None) -> str:
        """The tree of `commit`, or of the current working tree when None."""
        if commit is not None:
            return self._resolve_commit(commit)
        with tempfile.TemporaryDirectory(dir=self._stepwise_dir()) as scratch:
            return self._snapshot_tree(Path(scratch) / "index")

    def _tip(self, session_id: str) -> str | None:
        return self._rev_parse(REF_PREFIX + session_id)

    def _commit_checkpoint(self, session_id: str, tree: str, label: str, restores: str | None) -> str:
        ref = REF_PREFIX + session_id
        old = self._tip(session_id)
        parent = old or self.head_commit()
        trailers = f"{SESSION_TRAILER}: {session_id}\n"
        if restores:
            trailers += f"{RESTORES_TRAILER}: {restores}\n"
        message = f"{_clean_label(label)}\n\n{trailers}"
        args = ["commit-tree", "--no-gpg-sign", tree, "-m", message]
        if parent:
            args += ["-p", parent]
        sha = self._git(*args, env=_IDENTITY_ENV).strip()
        # The ref moves last, and only from the tip we built on: a crash before
        # this leaves an unreferenced commit, never a broken ref, and a
        # concurrent writer makes this fail instead of losing its checkpoint.
        self._git("update-ref", "-m", f"stepwise: {_clean_label(label)}", ref, sha, old or "")
        return sha

    def _raw_changes(self, a: str, b: str) -> list[_Change]:
        out = self._git("diff-tree", "-r", "-z", "--no-renames", a, b)
        fields = out.split("\0")
        changes = []
        # The output ends in a NUL, so the last (empty) field has no partner.
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            old_mode, new_mode, _, _, status = meta.lstrip(":").split(" ")
            changes.append(_Change(status=status[0], path=path, old_mode=old_mode, new_mode=new_mode))
        return changes

    def _delete(self, paths: list[str]) -> None:
        """Delete files (never folders or anything under `.git/`), then folders they leave empty."""
        parents: set[Path] = set()
        for rel in paths:
            target = self._inside_path(rel)
            if target.is_symlink() or target.is_file():
                try:
                    target.unlink()
                except OSError as exc:
                    raise WorkspaceError(f"cannot delete {rel}: {exc.strerror or exc}") from None
                parents.update(p for p in target.parents if p != self.root and self.root in p.parents)
        for folder in sorted(parents, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                continue

    def _checkout(self, commit: str, paths: list[str]) -> None:
        """Write `paths` from `commit` into the working tree through a throwaway index."""
        if not paths:
            return
        for rel in paths:
            self._inside_path(rel)
        with tempfile.TemporaryDirectory(dir=self._stepwise_dir()) as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self._git(*_PRIVATE_INDEX_OPTIONS, "read-tree", commit, env=env)
            stdin = "\0".join(paths).encode("utf-8", "surrogateescape") + b"\0"
            self._git(*_PRIVATE_INDEX_OPTIONS, "checkout-index", "-f", "-z", "--stdin", env=env, stdin=stdin)

    def _inside_path(self, rel: str) -> Path:
        """`root/rel`, refusing paths that leave the work tree through a symlinked folder or touch `.git/`."""
        target = self.root / rel
        parent = target.parent.resolve()
        if ".git" in rel.split("/") or (parent != self.root and self.root not in parent.parents):
            raise WorkspaceError(f"refusing to touch {rel}: it is inside .git/ or leads outside {self.root}")
        return target

    def _pathspecs(self, paths: Iterable[str] | None) -> list[str]:
        specs = []
        for raw in paths or []:
            path = Path(raw)
            if path.is_absolute():
                rel = os.path.relpath(path, self.root)
                if rel == ".." or rel.startswith("../"):
                    raise WorkspaceError(f"{raw} is outside the workspace {self.root}")
                specs.append(Path(rel).as_posix())
            else:
                specs.append(path.as_posix())
        return specs

    def _identity_fallback(self) -> dict[str, str]:
        """The stepwise identity for whichever of author/committer git cannot determine."""
        env: dict[str, str] = {}
        for role in ("AUTHOR", "COMMITTER"):
            if not self._run(("var", f"GIT_{role}_IDENT")).ok:
                env[f"GIT_{role}_NAME"] = IDENTITY_NAME
                env[f"GIT_{role}_EMAIL"] = IDENTITY_EMAIL
        return env


def _not_a_repository(path: Path) -> WorkspaceError:
    """Why `path` has no repository, in git's own words when it is not simply outside one."""
    try:
        found = run_git(("rev-parse", "--git-dir"), path)
    except GitError as exc:
        return WorkspaceError(f"git is needed for checkpoints but cannot be run: {exc}")
    if found.ok or "not a git repository (or any" in found.err:
        return NotAGitRepository(
            f"{path} is not inside a git repository; stepwise keeps its checkpoints in git. "
            f"Run `git init` in {path}, or start stepwise inside a git repository."
        )
    # A `.git` file pointing nowhere, an unsafe owner: the repository is there, git cannot read it.
    return WorkspaceError(f"git cannot open the repository of {path}: {found.err.strip() or found.status}")


def _check_session_id(session_id: str) -> None:
    if (
        not isinstance(session_id, str)
        or not _SESSION_ID.fullmatch(session_id)
        or ".." in session_id
        or session_id.endswith((".lock", "."))
    ):
        raise ValueError(
            f"session id {session_id!r} cannot name a git ref: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 128 characters)"
        )


def _clean_label(label: str) -> str:
    cleaned = "".join(c for c in str(label) if c in "\n\t" or ord(c) >= 32).strip()
    return cleaned or "checkpoint"


def _parse_checkpoint(sha: str, ctime: str, body: str, session_id: str) -> CheckpointInfo | None:
    """The checkpoint a commit records, None when it is not one of `session_id`'s."""
    label, _, trailer_block = body.rstrip("\n").rpartition("\n\n")
    trailers = {}
    for line in trailer_block.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            trailers[key] = value.strip()
    if trailers.get(SESSION_TRAILER) != session_id:
        return None
    return CheckpointInfo(sha=sha, label=label, time=float(ctime), restores=trailers.get(RESTORES_TRAILER))
