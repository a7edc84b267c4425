"""The debug log: off by default; with --debug or STEPWISE_DEBUG=1 it keeps the traceback of every
failure the session survives, and the message the user (or the model) sees says where it is."""

import logging

import pytest

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main
from tui.engine import debug_log
from tui.engine.errors import StepwiseError
from tui.engine.tools.read_file import ReadFile


@pytest.fixture(autouse=True)
def _debug_log_off_afterwards():
    yield
    root = logging.getLogger("tui")
    for handler in [h for h in root.handlers if isinstance(h, logging.FileHandler)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.NOTSET)


@pytest.fixture
def broken_read_file(monkeypatch, model_env):
    """read_file raises (a stand-in for a tool bug) on a call the model makes, then the model ends its turn."""

    async def broken(self, action, ctx, approval):
        raise RuntimeError("boom in read_file")

    monkeypatch.setattr(ReadFile, "execute", broken)
    model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(text("The tool failed."))
    return model_env


def run_print(repo, *flags):
    return main(["-p", "go", "--cwd", str(repo), "--output-format", "json", *flags])


def sent_result(server):
    return server.message_requests[1].body["messages"][-1]["content"][0]


def test_with_debug_a_tool_bug_leaves_its_traceback_and_the_result_says_where(
    capsys, git_repo, broken_read_file, stepwise_home
):
    assert run_print(git_repo, "--debug") == 0
    log = stepwise_home / "sessions" / "debug.log"
    result = sent_result(broken_read_file)
    assert result["is_error"] is True
    assert result["content"] == f"Error: RuntimeError: boom in read_file (traceback in {log})"
    written = log.read_text()
    assert "Traceback (most recent call last)" in written and "RuntimeError: boom in read_file" in written
    assert "read_file failed" in written
    assert "session" in written and "opened" in written
    assert "Traceback" not in capsys.readouterr().err


def test_stepwise_debug_1_turns_it_on_without_the_flag(capsys, git_repo, broken_read_file, stepwise_home, monkeypatch):
    monkeypatch.setenv("STEPWISE_DEBUG", "1")
    assert run_print(git_repo) == 0
    assert "RuntimeError: boom in read_file" in (stepwise_home / "sessions" / "debug.log").read_text()


def test_without_debug_nothing_is_written_and_the_model_sees_the_error_alone(
    capsys, git_repo, broken_read_file, stepwise_home, monkeypatch
):
    monkeypatch.delenv("STEPWISE_DEBUG", raising=False)
    assert run_print(git_repo) == 0
    assert sent_result(broken_read_file)["content"] == "Error: RuntimeError: boom in read_file"
    assert not (stepwise_home / "sessions" / "debug.log").exists()
    assert "boom" not in capsys.readouterr().err


def _failure_suffix(exc: Exception, **options) -> str:
    try:
        raise exc
    except Exception as caught:  # noqa: BLE001 - any exception, as the callers catch them
        return debug_log.log_failure(logging.getLogger("tui.test"), "it failed", caught, **options)


def test_off_an_unexpected_error_says_how_to_keep_its_traceback_and_an_expected_one_says_nothing(stepwise_home):
    path = stepwise_home / "sessions" / "debug.log"
    assert (
        _failure_suffix(RuntimeError("bug"))
        == f" (run with --debug or STEPWISE_DEBUG=1 to keep the traceback in {path})"
    )
    assert _failure_suffix(RuntimeError("bug"), suggest=False) == ""
    assert _failure_suffix(StepwiseError("not a git work tree")) == ""


def test_on_every_failure_names_the_log(tmp_path):
    path = debug_log.enable(tmp_path / "logs" / "debug.log")
    assert _failure_suffix(StepwiseError("not a git work tree")) == f" (traceback in {path})"
    assert debug_log.enable() == path
    assert "StepwiseError: not a git work tree" in path.read_text()
