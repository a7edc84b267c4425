"""Faults injected into full sessions: API errors, broken streams, SIGKILL mid-edit, a full disk, a read-only file.

Every fault must end in a clear outcome (the turn completes after retries, or
a precise error), with the workspace intact (old or new file, never torn, no
temp files left) and a session log that reads back and resumes.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.fake_anthropic import Reply, http_error, text, tool_pairing_problems, tool_use
from tui.engine.session.events import Error, Retry, ToolCall
from tui.engine.session.log import SessionLogError, read_session

ORIGINAL_APP = "def greet(name):\n    return 'hello ' + name\n"
EDIT = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}
EDITED_APP = ORIGINAL_APP.replace("'hello '", "'hi '")
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- API and stream faults through a full session --------------------------------------

# (id, the faults before a good answer, what every retry reports)
STREAM_FAULTS = [
    ("429-storm", [http_error(429, retry_after=0)] * 5, "Rate limited (429)"),
    ("529-overloaded", [http_error(529), http_error(529)], "The API is overloaded (529)"),
    ("500-then-ok", [http_error(500)], "The API failed (500)"),
    ("mid-stream-error", [Reply([text("partial answer that will be")], error_after=2)], "overloaded_error mid-stream"),
    (
        "dropped-connection",
        [Reply([text("cut off by a dropped socket")], drop_after=2)],
        "Connection to the API failed",
    ),
    ("malformed-sse", [Reply([text("then garbage")], malformed_after=1)], "malformed stream data"),
    ("no-message-stop", [Reply([text("a proxy cut this")], end_after=3)], "stream ended early (no message_stop)"),
    (
        "tool-call-cut-mid-stream",
        [Reply([tool_use("replace_string_in_file", EDIT)], drop_after=3)],
        "Connection to the API failed",
    ),
]


@pytest.mark.parametrize(("faults", "kind_label"), [f[1:] for f in STREAM_FAULTS], ids=[f[0] for f in STREAM_FAULTS])
async def test_transient_faults_are_retried_and_the_turn_completes(guarded, harness, faults, kind_label):
    call = tool_use("replace_string_in_file", EDIT)
    run = await harness.run(*faults, Reply([call]), mode="acceptEdits")
    assert run.outcome.reason == "end_turn" and run.outcome.text == "done."
    # The edit landed exactly once, even when a half-streamed copy of it was cut off.
    assert (guarded.root / "app.py").read_text() == EDITED_APP
    assert [e.tool_use_id for e in run.record.events if isinstance(e, ToolCall)] == [call["id"]]
    retries = [e for e in run.record.events if isinstance(e, Retry)]
    assert len(retries) == len(faults)
    assert all(kind_label in r.reason for r in retries)
    run.assert_consistent()


async def test_a_fault_after_shown_text_resets_the_stream_and_the_retry_completes_it(harness):
    run = await harness.run(
        Reply([text("Hello there, friend")], error_after=2), Reply([text("Hello there, friend")]), closing=False
    )
    assert run.outcome.text == "Hello there, friend"
    assert len([e for e in run.record.events if isinstance(e, Retry)]) == 1
    run.assert_consistent()


async def test_a_slow_stream_completes(harness):
    run = await harness.run(Reply([text("slowly but surely")], chunk_size=2, delay_s=0.005), closing=False)
    assert run.outcome.text == "slowly but surely"
    run.assert_consistent()


async def test_a_429_storm_longer_than_the_retries_ends_with_a_clear_error(guarded, harness):
    run = await harness.run(*[http_error(429, retry_after=0)] * 7, closing=False)
    assert run.outcome.reason == "error"
    errors = [e for e in run.record.events if isinstance(e, Error)]
    assert len(errors) == 1 and errors[0].fatal
    assert "Rate limited (429)" in errors[0].message and "gave up after 6 retries" in errors[0].message
    assert (guarded.root / "app.py").read_text() == ORIGINAL_APP
    run.assert_consistent()


@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, "The API refused the request (400 invalid_request_error)"), (401, "(401 authentication_error)")],
    ids=["400", "401"],
)
async def test_a_permanent_api_error_is_not_retried(harness, status, expected):
    run = await harness.run(http_error(status), closing=False)
    assert run.outcome.reason == "error"
    errors = [e for e in run.record.events if isinstance(e, Error)]
    assert expected in errors[0].message
    assert not [e for e in run.record.events if isinstance(e, Retry)]
    run.assert_consistent()


# --- a full disk for the session log -----------------------------------------------------------


def _fail_log_writes(monkeypatch, when: bytes) -> None:
    """Make `os.write` to a session file fail with ENOSPC once a line holding `when` is written."""
    real = os.write
    armed = []

    def write(fd, data):
        target = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
        if target.endswith(".jsonl") and (armed or when in data):
            armed.append(True)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell the session file's descriptor")
@pytest.mark.parametrize(
    "when", [b'"type": "user_message"', b'"type": "tool_result"'], ids=["first-event", "after-the-edit"]
)
async def test_a_full_disk_for_the_log_is_a_clear_error_and_corrupts_nothing(guarded, harness, monkeypatch, when):
    from tui.engine.model.provider import AnthropicProvider
    from tui.engine.session.session import Session, SessionOptions

    harness.server.script(tool_use("replace_string_in_file", EDIT))
    harness.server.script(text("done."))
    options = SessionOptions(cwd=guarded.root, permission_mode="acceptEdits")
    session = Session.open(options, None, provider=AnthropicProvider())
    _fail_log_writes(monkeypatch, when)
    with pytest.raises(SessionLogError, match=r"could not write to the session log .*: No space left on device"):
        await session.run("go")
    await session.close()
    monkeypatch.undo()
    record = read_session(session.path)
    assert record.problems == []
    assert not session.path.read_bytes() or session.path.read_bytes().endswith(b"\n")
    assert (guarded.root / "app.py").read_text() in (ORIGINAL_APP, EDITED_APP)
    assert not list(guarded.root.rglob("*.stepwise-tmp"))


# --- a file the tool cannot replace -------------------------------------------------------------


async def test_a_read_only_workspace_gives_a_clear_error_and_an_intact_file(guarded, harness, monkeypatch):
    # We run as root, where chmod does not stop writes: the rename is what a read-only folder refuses.
    import tui.engine.workspace.fileio as fileio

    real = os.replace

    def refuse(src, dst):
        if str(src).endswith(".stepwise-tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        return real(src, dst)

    monkeypatch.setattr(fileio.os, "replace", refuse)
    call = tool_use("replace_string_in_file", EDIT)
    run = await harness.run(Reply([call]), mode="acceptEdits")
    monkeypatch.undo()
    result = run.result(call["id"])
    assert result.get("is_error") is True
    assert result["content"] == "Edit failed: could not write app.py: Permission denied. Nothing was written."
    assert (guarded.root / "app.py").read_text() == ORIGINAL_APP
    assert not list(guarded.root.rglob("*.stepwise-tmp"))
    run.assert_consistent()


# --- SIGKILL of stepwise during an edit ---------------------------------------------------------

BIG_OLD = "".join(f"line {i}: {'x' * 60}\n" for i in range(40_000))
BIG_NEW = BIG_OLD.replace("line 20000:", "line 20000 (edited):")


def _print_mode(repo: Path, url: str, home: Path, *flags: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=url,
        STEPWISE_HOME=str(home / "stepwise"),
        HOME=str(home),
    )
    env.pop("ANTHROPIC_AUTH_TOKEN", None)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "-p",
            "go",
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
            *flags,
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("held_request", [1, 2], ids=["while-the-edit-streams", "right-after-the-edit"])
def test_sigkill_during_an_edit_leaves_an_old_or_new_file_and_a_resumable_log(
    guarded, model_env, stepwise_home, held_request
):
    big = guarded.root / "big.txt"
    big.write_text(BIG_OLD)
    subprocess.run(["git", "add", "big.txt"], cwd=guarded.root, check=True)
    subprocess.run(["git", "commit", "-qm", "big"], cwd=guarded.root, check=True)
    edit = {"filePath": "big.txt", "oldString": "line 20000:", "newString": "line 20000 (edited):"}
    # The request to hold streams its first delta, then blocks until the test has killed stepwise.
    model_env.script(tool_use("replace_string_in_file", edit), hold_after=1 if held_request == 1 else None)
    if held_request == 2:
        model_env.script(text("done"), hold_after=1)
    arrived = threading.Event()
    model_env.on_request = lambda record: arrived.set() if len(model_env.message_requests) >= held_request else None

    process = _print_mode(guarded.root, model_env.url, stepwise_home.parent)
    try:
        assert arrived.wait(60), "stepwise never sent the request to hold"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        model_env.release()
    assert process.returncode == -signal.SIGKILL

    assert big.read_text() in (BIG_OLD, BIG_NEW)
    assert big.read_text() == (BIG_OLD if held_request == 1 else BIG_NEW)
    assert not list(guarded.root.rglob("*.stepwise-tmp"))
    sessions = sorted((stepwise_home / "sessions").glob("*.jsonl"))
    assert len(sessions) == 1
    record = read_session(sessions[0])
    assert record.problems == []

    model_env.on_request = None
    model_env.script(text("resumed fine"))
    resumed = _print_mode(guarded.root, model_env.url, stepwise_home.parent, "--continue")
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["result"] == "resumed fine"
    assert summary["session_id"] == record.header.session_id
    last = model_env.message_requests[-1].body["messages"]
    assert tool_pairing_problems(last) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell the session file's descriptor")
def test_print_mode_reports_a_full_disk_plainly(guarded, model_env, monkeypatch, capsys):
    from tui.cli import main

    model_env.script(tool_use("replace_string_in_file", EDIT))
    model_env.script(text("done."))
    _fail_log_writes(monkeypatch, b'"type": "tool_result"')
    code = main(["-p", "go", "--cwd", str(guarded.root), "--permission-mode", "acceptEdits"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert "could not write to the session log" in err and "No space left on device" in err
    assert "Traceback" not in err
