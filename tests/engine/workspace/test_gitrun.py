"""The one git runner: bytes in and out, extra variables over the environment, clear failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.workspace.gitrun import GitError, command_name, run_git


def test_stdin_goes_in_and_stdout_comes_back_as_bytes(tmp_path: Path) -> None:
    assert run_git(["init", "-q"], tmp_path).check().ok
    data = b"\x00\xffbinary\n"
    blob = run_git(["hash-object", "-w", "--stdin"], tmp_path, stdin=data).check().text().strip()
    assert run_git(["cat-file", "blob", blob], tmp_path).out == data


def test_variables_are_set_over_the_environment_and_messages_are_english(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    run_git(["init", "-q"], repo).check()
    index = tmp_path / "private-index"
    (repo / "a.txt").write_text("a")
    run_git(["add", "a.txt"], repo, env={"GIT_INDEX_FILE": str(index)}).check()
    assert index.exists()
    assert run_git(["status", "--porcelain"], repo).text() == "?? a.txt\n"  # the real index is untouched
    failed = run_git(["rev-parse", "--verify", "nope"], repo, env={"LANG": "de_DE.UTF-8"})
    assert not failed.ok and failed.status != 0
    with pytest.raises(GitError, match=rf"git rev-parse failed in {repo}: fatal: Needed a single revision"):
        failed.check()


def test_git_that_cannot_start_is_a_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="cannot run git"):
        run_git(["status"], tmp_path, env={"PATH": str(tmp_path / "nowhere")})
    with pytest.raises(GitError, match="cannot run git"):
        run_git(["status"], tmp_path / "missing-folder")


def test_the_command_name_skips_options_and_their_values() -> None:
    assert command_name(["-c", "core.splitIndex=false", "--git-dir", "/x/.git", "ls-tree", "-r", "HEAD"]) == "ls-tree"
    assert command_name(["--version"]) == ""
