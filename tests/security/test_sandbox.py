"""The command sandbox (`--sandbox`, `sandbox: true`): bubblewrap around every command.

The tests that run bwrap skip with the probe's reason where bubblewrap is
missing or cannot create namespaces; the "unavailable" behaviour is tested
everywhere by faking the probe.
"""

from __future__ import annotations

import pytest

from tests.support.fake_anthropic import Reply, tool_use
from tui.engine.exec import sandbox as sandbox_module
from tui.engine.exec.sandbox import Sandbox, SandboxStatus, probe

needs_bwrap = pytest.mark.skipif(not probe().available, reason=f"bubblewrap cannot run here: {probe().reason}")


async def _sandboxed(harness, command: str, **options):
    call = tool_use("Bash", {"command": command, **options})
    run = await harness.run(Reply([call]), mode="bypassPermissions", sandbox=True)
    run.assert_consistent()
    return run, run.result(call["id"])


@needs_bwrap
async def test_a_sandboxed_command_writes_in_the_workspace(guarded, harness):
    run, result = await _sandboxed(harness, "echo made inside > inside.txt && mkdir -p sub && touch sub/x")
    assert result.get("is_error", False) is False, result["content"]
    assert (guarded.root / "inside.txt").read_text() == "made inside\n"
    assert (guarded.root / "sub" / "x").exists()
    assert run.warnings == []


@needs_bwrap
async def test_a_sandboxed_command_cannot_write_outside_the_workspace(guarded, harness, tmp_path_factory):
    before = guarded.snapshot()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    command = (
        f"cp README.md {guarded.outside}/escape.txt; touch {elsewhere}/escape.txt; "
        # The hook path is built at run time, so only the sandbox (not the permission engine) can stop it.
        "touch /usr/stepwise-escape 2>&1; echo usr=$?; G=.git; cp README.md $G/hooks/pre-commit 2>&1; echo hook=$?"
    )
    _, result = await _sandboxed(harness, command)
    assert "usr=1" in result["content"] and "Read-only file system" in result["content"]
    assert "hook=1" in result["content"]
    assert guarded.snapshot() == before
    assert not (elsewhere / "escape.txt").exists()
    assert not (guarded.outside / "escape.txt").exists()


@needs_bwrap
async def test_a_sandboxed_command_has_no_network(guarded, harness):
    # The fake server on 127.0.0.1 answers stepwise itself, but not the sandboxed command.
    port = harness.server.port
    script = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2); print('connected')"
    _, result = await _sandboxed(harness, f"python3 -c \"{script}\" 2>&1 | tail -1")
    assert "connected" not in result["content"]
    assert "Network is unreachable" in result["content"] or "Connection refused" in result["content"]


@needs_bwrap
async def test_a_sandboxed_command_ignoring_sigterm_is_killed_on_timeout(guarded, harness):
    _, result = await _sandboxed(harness, "trap '' TERM; while :; do sleep 0.05; done", timeout=300)
    assert "timed out after 0.3 s and was stopped" in result["content"]


@pytest.fixture
def no_bwrap(monkeypatch):
    reason = "bubblewrap (`bwrap`) is not installed; install it (e.g. apt-get install bubblewrap)"
    monkeypatch.setattr(sandbox_module, "probe", lambda: SandboxStatus(False, reason))
    return reason


async def test_an_unavailable_sandbox_fails_commands_instead_of_running_them(guarded, harness, no_bwrap):
    run, result = await _sandboxed(harness, "touch ran.txt")
    assert not (guarded.root / "ran.txt").exists()
    assert result.get("is_error") is True
    assert "the command sandbox was requested but is unavailable: bubblewrap (`bwrap`) is not installed" in result["content"]
    assert "never falls back to running it unsandboxed" in result["content"]
    assert any("the command sandbox is unavailable" in w for w in run.warnings)


async def test_the_sandbox_setting_turns_it_on(guarded, harness, no_bwrap):
    (guarded.root / ".stepwise").mkdir()
    (guarded.root / ".stepwise" / "settings.yaml").write_text("sandbox: true\n")
    call = tool_use("Bash", {"command": "touch ran.txt"})
    run = await harness.run(Reply([call]), mode="bypassPermissions")
    assert not (guarded.root / "ran.txt").exists()
    assert "sandbox was requested but is unavailable" in run.result(call["id"])["content"]
    assert any("the command sandbox is unavailable" in w for w in run.warnings)


def test_the_sandbox_flag_warns_at_session_start(guarded, model_env, no_bwrap, capsys):
    from tests.support.fake_anthropic import text
    from tui.cli import main

    model_env.script(text("ok"))
    assert main(["-p", "go", "--cwd", str(guarded.root), "--sandbox"]) == 0
    err = capsys.readouterr().err
    assert "warning: the command sandbox is unavailable: bubblewrap (`bwrap`) is not installed" in err
    assert "commands will fail instead of running unsandboxed" in err


def test_the_bwrap_command_line(guarded):
    argv = Sandbox(guarded.root).wrap(["bash", "-c", "ls"], guarded.root) if probe().available else None
    if argv is None:
        pytest.skip(f"bubblewrap cannot run here: {probe().reason}")
    root = str(guarded.root)
    joined = " ".join(argv)
    # The fresh /tmp comes before the workspace bind, or a workspace under /tmp would vanish.
    assert joined.index("--tmpfs /tmp") < joined.index(f"--bind {root} {root}")
    assert f"--ro-bind {root}/.git/hooks {root}/.git/hooks" in joined
    assert "--ro-bind / /" in joined and "--dev /dev" in joined and "--proc /proc" in joined
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert argv[-3:] == ["bash", "-c", "ls"]
