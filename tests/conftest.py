"""Fixtures generic to the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.fake_anthropic import FakeAnthropic


@pytest.fixture(autouse=True)
def _private_stepwise_home(tmp_path_factory, monkeypatch):
    """Every test gets its own STEPWISE_HOME, so nothing reads or writes the user's (themes, caches, settings)."""
    monkeypatch.setenv("STEPWISE_HOME", str(tmp_path_factory.mktemp("stepwise-home")))


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A started scripted Anthropic server on 127.0.0.1 (expects the key `test-key`)."""
    from tests.support.fake_anthropic import FakeAnthropic

    with FakeAnthropic() as server:
        yield server


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


@pytest.fixture
def stepwise_home(tmp_path, monkeypatch):
    """An empty STEPWISE_HOME and HOME, so no user file leaks into a test."""
    home = tmp_path / "home"
    (home / "stepwise").mkdir(parents=True)
    monkeypatch.setenv("STEPWISE_HOME", str(home / "stepwise"))
    monkeypatch.setenv("HOME", str(home))
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return home / "stepwise"


@pytest.fixture
def git_repo(tmp_path, stepwise_home):
    """A git repository with one commit holding `app.py` and `README.md`."""
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    (repo / "README.md").write_text("# demo\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo.resolve()


@pytest.fixture
def model_env(fake_anthropic, monkeypatch):
    """Point the anthropic SDK at the scripted server."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    return fake_anthropic


@pytest.fixture
def recorded_session(capsys, git_repo, model_env):
    """The log of a finished print-mode session: a read, two edits, a command, a new file."""
    import json
    from pathlib import Path

    from tests.support.fake_anthropic import text, tool_use
    from tui.cli import main

    (git_repo / "big.py").write_text("".join(f"line {i}\n" for i in range(30)))
    model_env.script(text("Reading."), tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(
        text("Two edits."),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}),
        tool_use(
            "replace_string_in_file",
            {"filePath": "big.py", "oldString": "line 2\n", "newString": "LINE TWO\n"},
        ),
    )
    model_env.script(tool_use("run_in_terminal", {"command": "echo made > made.txt && rm README.md"}))
    model_env.script(tool_use("create_file", {"filePath": "notes/todo.md", "content": "- ship it\n"}))
    model_env.script(text("All done."))
    code = main(
        [
            "-p",
            "go",
            "--cwd",
            str(git_repo),
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
            "--allow",
            "run_in_terminal(echo:*)",
            "--allow",
            "Bash(rm README.md)",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert json.loads(out)["permission_denials"] == []
    return Path(json.loads(out)["session_path"])
