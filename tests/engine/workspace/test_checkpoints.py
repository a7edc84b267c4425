"""The git workspace against real temporary repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tui.engine.workspace.checkpoints import (
    IDENTITY_EMAIL,
    NotAGitRepository,
    Workspace,
    WorkspaceError,
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config leaks in, and no identity is configured globally."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{name}_{part}", raising=False)
    monkeypatch.delenv("EMAIL", raising=False)


def make_repo(path: Path, *, identity: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if identity:
        git(path, "config", "user.name", "Tester")
        git(path, "config", "user.email", "tester@example.com")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit, a .gitignore and an executable script."""
    root = make_repo(tmp_path / "repo")
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    (root / "app.py").write_text("print('v1')\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def user_state(root: Path) -> tuple[str, bytes, str, str, str]:
    return (
        git(root, "status", "--porcelain", "--untracked-files=all"),
        (root / ".git" / "index").read_bytes(),
        git(root, "rev-parse", "HEAD"),
        git(root, "symbolic-ref", "HEAD"),
        git(root, "stash", "list"),
    )


def snapshot_files(root: Path) -> dict[str, tuple[bytes, int | str]]:
    """Bytes and executable bit (or symlink target) of every file outside .git/."""
    files: dict[str, tuple[bytes, int | str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if path.is_symlink():
            files[rel] = (b"", os.readlink(path))
        elif path.is_file():
            files[rel] = (path.read_bytes(), path.stat().st_mode & 0o111)
        else:
            files[rel + "/"] = (b"", 0)
    return files


# --- opening ---------------------------------------------------------------------


def test_open_outside_a_repository_names_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(NotAGitRepository) as info:
        Workspace.open(folder)
    assert "git init" in str(info.value) and str(folder) in str(info.value)


def test_open_a_missing_folder_and_a_bare_repository(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace.open(tmp_path / "missing")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with pytest.raises(NotAGitRepository, match="bare"):
        Workspace.open(bare)


def test_open_from_a_subfolder_finds_the_top(repo: Path) -> None:
    (repo / "pkg" / "sub").mkdir(parents=True)
    ws = Workspace.open(repo / "pkg" / "sub")
    assert ws.root == repo.resolve()
    assert ws.branch == "main"
    assert ws.head_commit() == git(repo, "rev-parse", "HEAD").strip()
    assert not ws.is_dirty()
    (repo / "notes.txt").write_text("untracked\n")
    assert ws.is_dirty()


def test_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    assert Workspace.open(repo).branch is None


# --- checkpoints -------------------------------------------------------------------


def test_checkpoint_leaves_the_users_repository_untouched(repo: Path) -> None:
    (repo / "app.py").write_text("print('staged')\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text("print('unstaged on top')\n")
    (repo / "run.sh").write_text("#!/bin/sh\necho changed\n")
    (repo / "new.txt").write_text("untracked\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_bytes(b"\x00\x01")
    before = user_state(repo)
    ws = Workspace.open(repo)

    first = ws.checkpoint("s1", "session base")
    (repo / "new.txt").write_text("changed by the model\n")
    second = ws.checkpoint("s1", "edit new.txt")

    assert user_state(repo)[1:] == before[1:]
    assert user_state(repo)[0] == before[0]
    tree = git(repo, "ls-tree", "-r", "--name-only", first).split()
    assert sorted(tree) == [".gitignore", "app.py", "new.txt", "run.sh"]
    assert git(repo, "show", f"{first}:app.py") == "print('unstaged on top')\n"
    assert git(repo, "show", f"{second}:new.txt") == "changed by the model\n"
    assert git(repo, "rev-parse", "refs/stepwise/s1").strip() == second
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", second).strip() == (
        f"stepwise <{IDENTITY_EMAIL}>|stepwise <{IDENTITY_EMAIL}>|edit new.txt"
    )
    assert git(repo, "rev-parse", f"{first}^").strip() == git(repo, "rev-parse", "HEAD").strip()


def test_checkpoints_are_listed_oldest_first_and_stop_at_the_users_history(repo: Path) -> None:
    ws = Workspace.open(repo)
    shas = [ws.checkpoint("s1", f"step {i}") for i in range(3)]
    ws.checkpoint("other", "another session")

    listed = ws.checkpoints("s1")
    assert [c.sha for c in listed] == shas
    assert [c.label for c in listed] == ["step 0", "step 1", "step 2"]
    assert all(c.time > 0 and c.restores is None for c in listed)
    assert len(ws.checkpoints("other")) == 1
    assert ws.checkpoints("never-started") == []
    # A fresh Workspace (a resumed session) continues the same chain.
    again = Workspace.open(repo)
    fourth = again.checkpoint("s1", "step 3")
    assert [c.sha for c in again.checkpoints("s1")] == [*shas, fourth]


def test_checkpoints_walk_long_sessions_in_batches(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.engine.workspace.checkpoints._LOG_BATCH", 2)
    ws = Workspace.open(repo)
    shas = [ws.checkpoint("s1", f"step {i}") for i in range(5)]
    assert [c.sha for c in ws.checkpoints("s1")] == shas


def test_checkpoint_in_a_repository_without_commits(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "empty")
    (root / "a.txt").write_text("a\n")
    ws = Workspace.open(root)
    assert ws.head_commit() is None
    assert ws.branch == "main"

    sha = ws.checkpoint("s1", "first")

    assert git(root, "rev-list", "--parents", "-n1", sha).split() == [sha]
    assert not (root / ".git" / "index").exists()
    assert git(root, "status", "--porcelain") == "?? a.txt\n"
    assert [c.label for c in ws.checkpoints("s1")] == ["first"]


def test_checkpoint_survives_a_nested_repository_without_commits(repo: Path) -> None:
    nested = repo / "scaffold"
    nested.mkdir()
    git(nested, "init", "-q")
    (nested / "lib.rs").write_text("fn main() {}\n")
    (repo / "top.txt").write_text("top\n")
    sha = Workspace.open(repo).checkpoint("s1", "after cargo new")
    assert "top.txt" in git(repo, "ls-tree", "-r", "--name-only", sha).split()


def test_labels_are_cleaned_and_session_ids_checked(repo: Path) -> None:
    ws = Workspace.open(repo)
    sha = ws.checkpoint("s1", "  edit\x00 app.py \n")
    assert ws.checkpoints("s1")[0].label == "edit app.py"
    assert ws.checkpoint("s1", "") != sha
    assert ws.checkpoints("s1")[-1].label == "checkpoint"
    for bad in ("", "../x", "a b", "x.lock", "-x", "a..b"):
        with pytest.raises(ValueError, match="session id"):
            ws.checkpoint(bad, "label")


# --- restore, undo, rewind ---------------------------------------------------------


def test_rewind_restores_the_tree_byte_for_byte(repo: Path) -> None:
    (repo / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (repo / "doomed.txt").write_text("a command deletes me\n")
    (repo / "link").symlink_to("app.py")
    (repo / "keep.log").write_text("ignored, untouched\n")
    ws = Workspace.open(repo)
    base = ws.checkpoint("s1", "session base")
    expected = snapshot_files(repo)
    index_before = (repo / ".git" / "index").read_bytes()

    # What a session's edits and commands might do.
    (repo / "crlf.txt").write_bytes(b"one\r\nchanged\r\n")
    (repo / "doomed.txt").unlink()
    (repo / "run.sh").chmod(0o644)
    (repo / "app.py").write_text("print('v2')\n")
    (repo / "created").mkdir()
    (repo / "created" / "deep").mkdir()
    (repo / "created" / "deep" / "gen.py").write_text("generated\n")
    (repo / "link").unlink()
    (repo / "link").write_text("now a file\n")
    (repo / "keep.log").write_text("ignored, changed by a command\n")
    ws.checkpoint("s1", "step 1")

    result = ws.restore(base[:10], "s1", "rewind")

    after = snapshot_files(repo)
    expected["keep.log"] = (b"ignored, changed by a command\n", 0)
    assert after == expected
    assert not (repo / "created").exists()
    assert result.source == base
    assert sorted(result.deleted) == ["created/deep/gen.py"]
    assert sorted(result.written) == ["app.py", "crlf.txt", "doomed.txt", "link", "run.sh"]
    assert (repo / ".git" / "index").read_bytes() == index_before
    assert git(repo, "rev-parse", f"{result.commit}^{{tree}}") == git(repo, "rev-parse", f"{base}^{{tree}}")


def test_a_restore_is_itself_a_checkpoint(repo: Path) -> None:
    ws = Workspace.open(repo)
    app = repo / "app.py"
    ws.checkpoint("s1", "session base")
    app.write_text("v2\n")
    step1 = ws.checkpoint("s1", "step 1")
    app.write_text("v3\n")
    ws.checkpoint("s1", "step 2")

    result = ws.restore(step1, "s1", "undo")
    assert app.read_text() == "v2\n"
    last = ws.checkpoints("s1")[-1]
    assert (last.sha, last.restores, last.label) == (result.commit, step1, "undo")
    assert len(ws.checkpoints("s1")) == 4


def test_ignored_paths_are_reported(repo: Path) -> None:
    ws = Workspace.open(repo)
    (repo / ".gitignore").write_text("*.log\n")
    assert ws.ignored(["keep.log", "app.py", "deep/x.log"]) == {"keep.log", "deep/x.log"}
    assert ws.ignored([]) == set()


def test_restore_refuses_what_is_not_a_commit(repo: Path) -> None:
    ws = Workspace.open(repo)
    ws.checkpoint("s1", "session base")
    with pytest.raises(WorkspaceError, match="not a commit"):
        ws.restore("deadbeef", "s1", "label")
    with pytest.raises(WorkspaceError, match="not a commit"):
        ws.restore("--help", "s1", "label")


def test_restore_keeps_files_inside_folders_and_nested_repositories(repo: Path) -> None:
    ws = Workspace.open(repo)
    (repo / "src").mkdir()
    (repo / "src" / "kept.py").write_text("kept\n")
    base = ws.checkpoint("s1", "session base")
    (repo / "src" / "extra.py").write_text("extra\n")
    nested = repo / "vendor"
    nested.mkdir()
    git(nested, "init", "-q")
    git(nested, "-c", "user.name=a", "-c", "user.email=a@a", "commit", "-q", "--allow-empty", "-m", "x")
    ws.checkpoint("s1", "step 1")

    result = ws.restore(base, "s1", "rewind")

    assert (repo / "src" / "kept.py").read_text() == "kept\n"
    assert not (repo / "src" / "extra.py").exists()
    assert (nested / ".git").is_dir()
    assert result.skipped == ["vendor"]


def test_restore_swaps_files_and_folders_of_the_same_name(repo: Path) -> None:
    ws = Workspace.open(repo)
    (repo / "x").write_text("a file\n")
    (repo / "y").mkdir()
    (repo / "y" / "inner.txt").write_text("in a folder\n")
    base = ws.checkpoint("s1", "session base")
    expected = snapshot_files(repo)
    (repo / "x").unlink()
    (repo / "x").mkdir()
    (repo / "x" / "inner.txt").write_text("now a folder\n")
    (repo / "y" / "inner.txt").unlink()
    (repo / "y").rmdir()
    (repo / "y").write_text("now a file\n")
    ws.checkpoint("s1", "step 1")

    ws.restore(base, "s1", "rewind")

    assert snapshot_files(repo) == expected


# --- blobs -------------------------------------------------------------------------


def test_ignored_file_edit_undone_from_its_blob(repo: Path) -> None:
    ws = Workspace.open(repo)
    log = repo / "server.log"
    log.write_bytes(b"before\r\n")
    log.chmod(0o600)
    before = ws.hash_blob(log.read_bytes())
    assert before == git(repo, "hash-object", "server.log").strip()
    log.write_bytes(b"after\n")

    ws.restore_blob(log, before)
    assert log.read_bytes() == b"before\r\n"
    assert log.stat().st_mode & 0o777 == 0o600
    assert ws.read_blob(before) == b"before\r\n"

    created = repo / "build" / "new.log"
    ws.restore_blob(Path("build/new.log"), ws.hash_blob(b"x"))
    assert created.read_bytes() == b"x"
    ws.restore_blob(Path("build/new.log"), None)
    assert not created.exists()


def test_blob_errors_are_precise(repo: Path, tmp_path: Path) -> None:
    ws = Workspace.open(repo)
    with pytest.raises(WorkspaceError, match="no blob"):
        ws.read_blob("0" * 40)
    with pytest.raises(WorkspaceError, match="not a blob id"):
        ws.read_blob("HEAD")
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ws.restore_blob(repo / ".git" / "config", None)
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ws.restore_blob(tmp_path / "elsewhere.txt", None)
    (repo / "folder.log").mkdir()
    with pytest.raises(WorkspaceError, match=r"cannot restore folder\.log"):
        ws.restore_blob(Path("folder.log"), ws.hash_blob(b"data"))


# --- diffs -------------------------------------------------------------------------


def test_diff_and_changed_files_include_untracked_files(repo: Path) -> None:
    ws = Workspace.open(repo)
    base = ws.checkpoint("s1", "session base")
    (repo / "app.py").write_text("print('v2')\n")
    (repo / "new [1].txt").write_text("new\n")
    (repo / "run.sh").unlink()
    (repo / "ignored.log").write_text("never shown\n")
    (repo / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    before = user_state(repo)

    assert ws.changed_files(base) == [("M", "app.py"), ("A", "latin1.txt"), ("A", "new [1].txt"), ("D", "run.sh")]
    text = ws.diff(base)
    assert "-print('v1')\n+print('v2')\n" in text
    assert "+++ b/new [1].txt" in text and "ignored.log" not in text
    assert "+caf\ufffd" in ws.diff(base, paths=["latin1.txt"])
    assert ws.diff(base, paths=["new [1].txt"]).count("diff --git") == 1
    assert ws.diff(base, paths=[str(repo / "app.py")]).count("diff --git") == 1
    assert user_state(repo) == before

    step = ws.checkpoint("s1", "step 1")
    assert ws.changed_files(base, step) == ws.changed_files(base)
    assert ws.diff(step) == ""
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ws.diff(base, paths=["/etc/passwd"])


# --- auto-commit -------------------------------------------------------------------


def test_auto_commit_commits_on_the_current_branch(repo: Path) -> None:
    ws = Workspace.open(repo)
    head = ws.head_commit()
    (repo / "app.py").write_text("print('v2')\n")
    (repo / "added.py").write_text("new\n")

    sha = ws.auto_commit("stepwise: edit app.py")

    assert sha == git(repo, "rev-parse", "main").strip()
    assert git(repo, "rev-parse", f"{sha}^").strip() == head
    assert git(repo, "log", "-1", "--format=%an|%s").strip() == "Tester|stepwise: edit app.py"
    assert git(repo, "status", "--porcelain") == ""
    assert ws.auto_commit("nothing changed") is None


def test_auto_commit_of_paths_leaves_other_staged_changes(repo: Path) -> None:
    ws = Workspace.open(repo)
    (repo / "run.sh").write_text("#!/bin/sh\necho user\n")
    git(repo, "add", "run.sh")
    (repo / "app.py").unlink()
    (repo / "model.py").write_text("by the model\n")

    sha = ws.auto_commit("stepwise: model changes", ["app.py", "model.py"])

    assert sorted(git(repo, "show", "--name-status", "--format=", sha).splitlines()) == ["A\tmodel.py", "D\tapp.py"]
    assert git(repo, "status", "--porcelain") == "M  run.sh\n"


def test_auto_commit_without_identity_uses_stepwise(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "anon", identity=False)
    (root / "a.txt").write_text("a\n")
    ws = Workspace.open(root)
    sha = ws.auto_commit("stepwise: first")
    assert git(root, "log", "-1", "--format=%ae|%ce", sha).strip() == f"{IDENTITY_EMAIL}|{IDENTITY_EMAIL}"
    assert ws.branch == "main"
    with pytest.raises(ValueError, match="empty"):
        ws.auto_commit("  ")


def test_open_a_linked_work_tree_and_a_broken_git_file(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    ws = Workspace.open(linked / ".")
    assert ws.root == linked.resolve() and ws.branch == "side"
    assert ws.checkpoint("s1", "in the linked tree")
    assert git(repo, "for-each-ref", "refs/stepwise/s1").strip(), "the ref is the repository's"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent/.git\n")
    with pytest.raises(WorkspaceError, match="nonexistent"):
        Workspace.open(broken)
