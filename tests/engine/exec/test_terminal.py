from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tui.engine.exec import reaper
from tui.engine.exec.terminal import OutputBuffer, TerminalManager, UnknownTerminal
from tui.engine.exec.terminal_text import sanitize_terminal_text


@pytest.fixture
async def terminals():
    manager = TerminalManager(kill_grace_s=0.3, drain_grace_s=0.3)
    yield manager
    await manager.close()


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def test_runs_in_cwd_with_env_and_exit_code(terminals, tmp_path):
    result = await terminals.run(
        'pwd; echo "$TERM $PAGER $GIT_PAGER $GIT_EDITOR"; read x; echo "read=$?"; echo err >&2; exit 3',
        tmp_path,
        10,
    )
    assert result.exit_code == 3 and not result.timed_out and not result.truncated
    assert result.output == f"{tmp_path}\ndumb cat cat true\nread=1\nerr\n"


async def test_streams_sanitised_output(terminals, tmp_path):
    seen: list[str] = []
    result = await terminals.run(r"printf '\033[31mred\033[0m\n\033]0;title\007plain\n'", tmp_path, 10, seen.append)
    assert result.output == "red\nplain\n"
    assert "".join(seen) == "red\nplain\n"


async def test_timeout_kills_the_group_including_a_child_ignoring_sigterm(terminals, tmp_path):
    command = "echo before; sh -c 'trap \"\" TERM; echo $$ > child.pid; sleep 100'"
    result = await terminals.run(command, tmp_path, 0.5)
    assert result.timed_out and not result.cancelled and result.exit_code is None
    assert result.output == "before\n"
    assert not _alive(int((tmp_path / "child.pid").read_text()))


async def test_cancel_kills_the_group_and_keeps_output(terminals, tmp_path):
    cancel = asyncio.Event()

    def on_output(text: str) -> None:
        if "ready" in text:
            cancel.set()

    result = await terminals.run("echo $$ > shell.pid; echo ready; sleep 100", tmp_path, 60, on_output, cancel)
    assert result.cancelled and not result.timed_out
    assert result.output == "ready\n"
    assert not _alive(int((tmp_path / "shell.pid").read_text()))


async def test_leftover_background_children_are_stopped(terminals, tmp_path):
    result = await terminals.run("sleep 100 & echo $! > bg.pid; echo started", tmp_path, 30)
    pid = int((tmp_path / "bg.pid").read_text())
    assert result.exit_code == 0 and result.output == "started\n"
    assert [(p.pid, p.command) for p in result.leftovers] == [(pid, "sleep 100")]
    assert not _alive(pid)


async def test_output_cap_keeps_head_and_tail(terminals, tmp_path):
    result = await terminals.run("printf HEAD; head -c 50000 /dev/zero | tr '\\0' x; printf 'TAIL\\n'", tmp_path, 30)
    assert result.truncated
    assert result.output.startswith("HEADxxx") and result.output.endswith("xxxTAIL\n")
    assert "\n[... 20,009 characters cut ...]\n" in result.output
    assert len(result.output) < 30_100


async def test_invalid_utf8_is_replaced(terminals, tmp_path):
    result = await terminals.run(r"printf 'a\377b\n'", tmp_path, 10)
    assert result.output == "a\ufffdb\n"


async def test_background_and_output(terminals, tmp_path):
    started = asyncio.Event()
    term_id = await terminals.start_background(
        "echo started; sleep 100", tmp_path, lambda text: started.set() if "started" in text else None
    )
    await asyncio.wait_for(started.wait(), 10)
    assert terminals.output(term_id) == ("started\n", True, None)
    await terminals.kill(term_id)
    text, running, code = terminals.output(term_id)
    assert text == "started\n" and not running and code == -15

    done_id = await terminals.start_background("echo done; exit 4", tmp_path)
    assert await terminals.wait(done_id) == 4
    assert terminals.output(done_id) == ("done\n", False, 4)
    # Both stay readable by id after they ended, killed or not.
    assert term_id != done_id and terminals.output(term_id) == ("started\n", False, -15)


async def test_unknown_background_id(terminals):
    with pytest.raises(UnknownTerminal, match="no background terminal with id 'term-9'"):
        terminals.output("term-9")


async def test_close_kills_background_terminals(tmp_path):
    manager = TerminalManager(kill_grace_s=0.3)
    ready = asyncio.Event()
    term_id = await manager.start_background(
        "echo $$ > bg.pid; echo ready; sleep 100", tmp_path, lambda text: ready.set() if "ready" in text else None
    )
    await asyncio.wait_for(ready.wait(), 10)
    await manager.close()
    assert not manager.output(term_id)[1]
    assert not _alive(int((tmp_path / "bg.pid").read_text()))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[1;32mok\x1b[0m", "ok"),
        ("\x1b]8;;https://x.io\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("a\tb\nc", "a\tb\nc"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("\x9b31mc1\x9b0m", "c1"),
        ("win\r\nline", "win\nline"),
        ("10%\r50%\r100%\ndone", "100%\ndone"),
        ("\x1b(Bcharset\x1b=", "charset"),
        ("stray \x1b] never closed\nnext", "stray \nnext"),
    ],
)
def test_sanitize(raw, clean):
    assert sanitize_terminal_text(raw) == clean


async def test_escape_split_across_chunks_is_removed(terminals, tmp_path):
    script = "printf '\\033['; sleep 0.05; printf '31mred\\033[0m\\n'"
    seen: list[str] = []
    result = await terminals.run(script, tmp_path, 10, seen.append)
    assert result.output == "red\n" and "".join(seen) == "red\n"


def test_output_buffer_many_small_appends():
    buffer = OutputBuffer(10)
    for ch in "abcdefghijklmnopqrstuvwxyz":
        buffer.append(ch)
    assert buffer.render() == "abcde\n[... 16 characters cut ...]\nvwxyz"
    small = OutputBuffer(10)
    small.append("0123456789")
    assert small.render() == "0123456789" and small.cut == 0


def _pid_once_written(path: Path) -> int:
    # The commands below wait for their child to write this file before they exit.
    return int(path.read_text())


DETACHERS = {
    "background": "sh -c 'echo $$ > p.tmp; mv p.tmp p; exec sleep 300' >/dev/null 2>&1 &",
    "setsid": "setsid sh -c 'echo $$ > p.tmp; mv p.tmp p; exec sleep 300' >/dev/null 2>&1 &",
    "nohup": "nohup sh -c 'echo $$ > p.tmp; mv p.tmp p; exec sleep 300' >/dev/null 2>&1 &",
    # No marker in its environment, a session of its own, and its parent gone: only the subreaper finds it.
    "double fork, env -i": (
        "env -i sh -c 'setsid sh -c \"echo \\$\\$ > p.tmp; mv p.tmp p; exec sleep 300\" </dev/null >/dev/null 2>&1 &';"
    ),
}


@pytest.mark.parametrize("how", list(DETACHERS))
async def test_processes_a_command_detaches_are_stopped_and_named(terminals, tmp_path, how):
    result = await terminals.run(DETACHERS[how] + " while [ ! -e p ]; do :; done; echo done", tmp_path, 30)
    pid = _pid_once_written(tmp_path / "p")
    assert result.exit_code == 0 and result.output == "done\n"
    assert pid in [p.pid for p in result.leftovers], result.leftovers
    # Named as it was when found: the `sh -c` line, or `sleep 300` once it ran `exec`.
    assert all("sleep 300" in p.command for p in result.leftovers if p.pid == pid)
    assert not _alive(pid)


@pytest.mark.parametrize("how", ["setsid", "double fork, env -i"])
async def test_a_timeout_stops_what_the_command_detached(terminals, tmp_path, how):
    result = await terminals.run(DETACHERS[how] + " while [ ! -e p ]; do :; done; sleep 100", tmp_path, 1)
    pid = _pid_once_written(tmp_path / "p")
    assert result.timed_out
    assert {pid} <= {p.pid for p in result.leftovers}
    assert not _alive(pid)


async def test_the_session_end_stops_what_a_background_terminal_detached(tmp_path):
    manager = TerminalManager(kill_grace_s=0.3)
    ready = asyncio.Event()
    command = DETACHERS["double fork, env -i"] + " while [ ! -e p ]; do :; done; echo ready; exec sleep 100"
    await manager.start_background(command, tmp_path, lambda text: ready.set() if "ready" in text else None)
    await asyncio.wait_for(ready.wait(), 10)
    pid = _pid_once_written(tmp_path / "p")
    stopped = await manager.close()
    # The background terminal's own shell and what it detached are both named.
    assert pid in [p.pid for p in stopped] and len(stopped) == 2
    assert not _alive(pid)


async def test_processes_outside_any_command_are_left_alone(terminals, tmp_path):
    import subprocess

    # Started by stepwise's process itself, not by a command: a different marker-less session.
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        # Started a clock tick before the command: /proc's start times are whole ticks.
        started = reaper.process_info(bystander.pid).start
        while reaper.now() < started + 0.02:
            pass
        result = await terminals.run("echo hi", tmp_path, 10)
        assert result.leftovers == ()
        await terminals.close()
        assert _alive(bystander.pid)
    finally:
        bystander.kill()
        bystander.wait()
