"""No process outlives its session: what commands detach (`&`, `setsid`, `nohup`) is found and stopped.

Real processes, real bash: each command writes the pid of what it leaves behind, and the test
checks that pid is gone and was named to the model or the user. These run outside the sandbox,
where only the reaper stops them (inside it, `$!` is a pid of the sandbox's own namespace, and the
namespace ends with the command: test_sandbox.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.fake_anthropic import Reply, tool_use
from tui.engine.session.events import Error


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@pytest.mark.parametrize(
    "detach",
    ["sleep 300 >/dev/null 2>&1 &", "setsid sleep 300 >/dev/null 2>&1 &", "nohup sleep 300 >/dev/null 2>&1 &"],
)
async def test_a_command_cannot_leave_a_process_running(guarded, harness, detach):
    call = tool_use("Bash", {"command": f"{detach} echo $! > left.pid"})
    run = await harness.run(Reply([call]), mode="bypassPermissions", sandbox=False)
    run.assert_consistent()
    pid = int((guarded.root / "left.pid").read_text())
    content = run.result(call["id"])["content"]
    # Named as found (`nohup sleep 300`, or the forked shell, until it has run `sleep`).
    assert "processes it left running were stopped: " in content and f"(pid {pid})" in content
    assert not _alive(pid)


async def test_the_session_end_stops_what_a_background_command_detached(guarded, harness):
    command = "setsid sh -c 'echo $$ > left.pid; exec sleep 300' </dev/null >/dev/null 2>&1 & exec sleep 200"
    call = tool_use("Bash", {"command": command, "run_in_background": True})
    # The model's next turn waits until the detached process is there, so the session end meets it.
    wait = tool_use("Bash", {"command": "while [ ! -s left.pid ]; do :; done; echo there"})
    run = await harness.run(Reply([call]), Reply([wait]), mode="bypassPermissions", sandbox=False)
    run.assert_consistent()
    pid = int((guarded.root / "left.pid").read_text())
    assert not _alive(pid)
    notes = [e.message for e in run.record.events if isinstance(e, Error) and e.kind == "leftovers"]
    assert len(notes) == 1 and "still running at the end of the session" in notes[0]
    # The background terminal by its command, and what it detached.
    assert f"{command[:40]}" in notes[0] and "sleep 300 (pid" in notes[0]


async def test_the_session_end_stops_a_sandboxed_background_command_and_names_it(guarded, harness):
    from tui.engine.exec.sandbox import probe

    if not probe().available:
        pytest.skip(f"bubblewrap cannot run here: {probe().reason}")
    call = tool_use("Bash", {"command": "echo serving; exec sleep 250", "run_in_background": True})
    run = await harness.run(Reply([call]), mode="bypassPermissions", sandbox=True)
    notes = [e.message for e in run.record.events if isinstance(e, Error) and e.kind == "leftovers"]
    assert len(notes) == 1 and "echo serving; exec sleep 250" in notes[0]
    assert not [line for line in os.popen("ps -eo args").read().splitlines() if line == "sleep 250"]
