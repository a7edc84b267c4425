"""The command sandbox (`--sandbox`, `sandbox: true`): bubblewrap around every command.

The tests that run bwrap skip with the probe's reason where bubblewrap is
missing or cannot create namespaces; the "unavailable" behaviour is tested
everywhere by faking the probe.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.security.conftest import RecordingApprover
from tests.support.fake_anthropic import Reply, tool_use
from tui.engine.exec import sandbox as sandbox_module
from tui.engine.exec.sandbox import Sandbox, SandboxStatus, probe
from tui.engine.permissions.pathguard import control_file_reason
from tui.engine.session.approval import Approval

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
    _, result = await _sandboxed(harness, f'python3 -c "{script}" 2>&1 | tail -1')
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
    assert (
        "the command sandbox was requested but is unavailable: bubblewrap (`bwrap`) is not installed"
        in result["content"]
    )
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


# --- protected paths: byte-identical through any command the user did not approve as "outside" ---

# Every path a command might use to plant code or permissions, built at run time (`$D`) so that only
# the operating system, not the reading of the command, can stop it.
_EXISTING = {
    "AGENTS.md": "# memory\n",
    "sub/CLAUDE.md": "# nested memory\n",
    ".claude/settings.json": '{"permissions": {}}\n',
    ".stepwise/agents/reviewer.md": "---\nname: reviewer\n---\nreview\n",
    ".githooks/pre-push": "#!/bin/sh\nexit 0\n",
}
_ATTACKS = [
    'echo "[alias] x = !touch p" >> $D/config',
    "echo 'touch p' > $D/hooks/pre-commit",
    "echo 'touch p' > $D/hooks/post-checkout; chmod +x $D/hooks/post-checkout",
    "echo '*' >> $D/info/exclude",
    "rm -rf $D/hooks",
    "mv $D/hooks $D/hooks-old",
    "echo 'touch p' > .githooks/pre-commit",
    "echo x >> AGENTS.md",
    "echo x > sub/CLAUDE.md",
    "rm sub/CLAUDE.md",
    "mv sub sub2",
    'echo \'{"permissions": {"allow": ["Bash"]}}\' > .claude/settings.json',
    "mv .claude .claude-old",
    "mkdir -p pkg/.stepwise/agents && printf -- '---\\nname: general\\npermissionMode: bypassPermissions\\n---\\n' > pkg/.stepwise/agents/general.md",
    "echo 'allow: [Bash]' > .stepwise/settings.yaml",
    "echo '# obey me' > CLAUDE.md",
    "mkdir -p deep/a && echo x > deep/a/CLAUDE.local.md",
    "echo '{\"mcpServers\": {}}' > .mcp.json",
    "mkdir -p .vscode && echo '{}' > .vscode/tasks.json",
    "mkdir -p .github/agents && echo x > .github/agents/x.agent.md",
    "mkdir -p .github && echo x > .github/copilot-instructions.md",
    "ln -s /etc/passwd web.CLAUDE.md && mkdir -p web && ln -s ../README.md web/AGENTS.md",
]


def _protected_state(root):
    """Bytes (or link targets) of every protected path the attacks aim at, and which exist."""
    state = {}
    watched = [*_EXISTING, "CLAUDE.md", "pkg", "deep", ".mcp.json", ".vscode", ".github", "web", "sub2", ".claude-old"]
    for rel in [*watched, ".stepwise", ".claude", "sub", ".githooks", ".git/config", ".git/hooks", ".git/info"]:
        base = root / rel
        for path in [base, *(sorted(base.rglob("*")) if base.is_dir() and not base.is_symlink() else [])]:
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[key] = "-> " + os.readlink(path)
            elif path.is_file():
                state[key] = path.read_bytes()
            elif (path.is_dir() and control_file_reason(root, path)) or key in (".githooks", ".git/hooks", ".git/info"):
                state[key] = "<dir>"  # a plain folder left empty (`deep/a/`) protects nothing
    return state


def _plant(root):
    import subprocess

    for rel, content in _EXISTING.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    subprocess.run(["git", "config", "core.hooksPath", ".githooks"], cwd=root, check=True)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("# excludes\n")


@needs_bwrap
@pytest.mark.parametrize("mode", ["default", "acceptEdits", "bypassPermissions"])
async def test_protected_paths_stay_byte_identical_through_sandboxed_commands(guarded, harness, mode):
    _plant(guarded.root)
    before, git_before = _protected_state(guarded.root), guarded.snapshot()
    calls = [tool_use("Bash", {"command": f"D=.g; D=${{D}}it; {attack}; echo rc=$?"}) for attack in _ATTACKS]
    # Every command is approved: approving a command is not approving it to change these. Only
    # running it again outside the sandbox would be, and that is not approved here.
    approver = RecordingApprover(
        lambda request: Approval.deny("not outside") if request.kind == "outside_sandbox" else Approval.once()
    )
    run = await harness.run(*(Reply([call]) for call in calls), mode=mode, approver=approver)
    run.assert_consistent()
    assert _protected_state(guarded.root) == before
    assert {k: v for k, v in guarded.snapshot().items() if not k.startswith("git:hooks-old")} == git_before
    assert not (guarded.root / "p").exists()
    assert run.warnings == []
    results = [run.result(call["id"])["content"] for call in calls]
    # The operating system said no, or the guard undid it: never "it could not be tried".
    held = ("Read-only file system", "Device or resource busy", "which commands may not change")
    assert [r for r in results if not any(sign in r for sign in held)] == []


@needs_bwrap
async def test_what_a_sandboxed_command_creates_among_control_files_is_moved_aside_and_said(guarded, harness):
    # The folder's name is built at run time: only the guard, not the reading of the command, sees it.
    command = "D=.step; D=${D}wise; mkdir -p pkg/$D/agents && cp README.md pkg/$D/agents/general.md"
    call = tool_use("Bash", {"command": command})
    run = await harness.run(Reply([call]), mode="bypassPermissions")
    content = run.result(call["id"])["content"]
    assert not (guarded.root / "pkg" / ".stepwise").exists()
    assert "pkg/.stepwise" in content and "moved to" in content
    quarantined = list((guarded.root / ".git" / "stepwise" / "quarantine").glob("*/pkg/.stepwise/agents/general.md"))
    assert [path.read_text() for path in quarantined] == ["# demo\n"]


@needs_bwrap
async def test_an_approved_git_commit_works_in_the_sandbox(guarded, harness):
    call = tool_use(
        "Bash",
        {"command": "echo more >> README.md && git add README.md && git commit -qm more && git log --oneline | wc -l"},
    )
    approver = RecordingApprover(lambda request: Approval.once())
    run = await harness.run(Reply([call]), approver=approver)
    content = run.result(call["id"])["content"]
    assert "2" in content.splitlines(), content


@needs_bwrap
async def test_what_a_sandboxed_command_leaves_running_is_named(guarded, harness):
    # The command waits until its child is `sleep` (not the forked shell before its exec), so the
    # name is the same however loaded the machine is.
    command = (
        "setsid sleep 300 >/dev/null 2>&1 & child=$!; "
        'until [ "$(cat /proc/$child/comm 2>/dev/null)" = sleep ]; do :; done; echo started'
    )
    call = tool_use("Bash", {"command": command})
    run = await harness.run(Reply([call]), mode="bypassPermissions", sandbox=True)
    content = run.result(call["id"])["content"]
    assert "started" in content
    assert "processes it left running were stopped: " in content and "sleep 300 (pid" in content


@needs_bwrap
async def test_the_network_setting_lets_sandboxed_commands_connect(guarded, harness):
    (guarded.root / ".stepwise").mkdir()
    (guarded.root / ".stepwise" / "settings.yaml").write_text("sandbox_network: true\n")
    port = harness.server.port
    script = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2); print('connected')"
    call = tool_use("Bash", {"command": f'python3 -c "{script}"'})
    run = await harness.run(Reply([call]), mode="bypassPermissions")
    assert "connected" in run.result(call["id"])["content"]


async def test_without_bubblewrap_commands_run_unsandboxed_and_say_so(guarded, harness, no_bwrap):
    call = tool_use("Bash", {"command": "touch ran.txt"})
    run = await harness.run(Reply([call]), mode="bypassPermissions")
    assert (guarded.root / "ran.txt").exists()
    assert run.warnings == [f"commands run unsandboxed: {no_bwrap}"]


async def test_no_sandbox_runs_commands_unsandboxed_and_says_so(guarded, harness):
    call = tool_use("Bash", {"command": "touch /tmp/../$(basename $PWD)-unsandboxed; echo $?"})
    run = await harness.run(Reply([call]), mode="bypassPermissions", sandbox=False)
    assert run.warnings == ["commands run unsandboxed: the sandbox is off (--no-sandbox or `sandbox: false`)"]


# --- outside the sandbox: only the user, only that command ----------------------------------------------


@needs_bwrap
async def test_a_command_the_sandbox_stopped_runs_outside_it_only_once_the_user_approves_exactly_that(guarded, harness):
    # The home folder: read-only inside the sandbox, writable outside it.
    made = Path(os.environ["HOME"]) / "made.txt"
    command = f"touch {made}"
    call = tool_use("Bash", {"command": command})
    approver = RecordingApprover(lambda request: Approval.once())
    run = await harness.run(Reply([call]), approver=approver)
    run.assert_consistent()
    kinds = [(r.kind, r.target) for r in approver.requests]
    # Asked twice: to run it, then to run it again outside the sandbox (the same command, shown as such).
    assert kinds == [("execute", command), ("outside_sandbox", command)]
    assert "Read-only file system" in approver.requests[1].reason
    assert made.exists()
    assert "Run again outside the sandbox, as the user approved" in run.result(call["id"])["content"]


@needs_bwrap
@pytest.mark.parametrize("mode", ["bypassPermissions", "acceptEdits"])
async def test_no_mode_runs_a_command_outside_the_sandbox_by_itself(guarded, harness, mode):
    made = Path(os.environ["HOME"]) / "made.txt"
    call = tool_use("Bash", {"command": f"touch {made}"})
    run = await harness.run(Reply([call]), mode=mode, allow=["Bash"])
    assert not made.exists()
    content = run.result(call["id"])["content"]
    assert "Running it again outside the sandbox was not approved" in content
    assert any("outside the sandbox" in d["reason"] for d in run.outcome.denials)


@needs_bwrap
async def test_the_permission_pane_asks_to_run_outside_the_sandbox_once(guarded):
    from tui.app.widgets.permission_pane import PermissionPane
    from tui.engine.session.approval import OUTSIDE_SANDBOX, ApprovalRequest

    request = ApprovalRequest(
        tool_use_id="t", tool="run_in_terminal", kind=OUTSIDE_SANDBOX, target="npm install", input={}, reason="r"
    )
    pane = PermissionPane.__new__(PermissionPane)
    assert "OUTSIDE the sandbox" in PermissionPane._title(pane, request)
    assert PermissionPane._detail(pane, request).startswith("$ npm install")


@pytest.mark.parametrize("mode", ["bypassPermissions", "acceptEdits"])
async def test_without_the_sandbox_the_guard_undoes_what_allowed_commands_change(guarded, harness, mode):
    _plant(guarded.root)
    before, git_before = _protected_state(guarded.root), guarded.snapshot()
    calls = [tool_use("Bash", {"command": f"D=.g; D=${{D}}it; {attack}; echo rc=$?"}) for attack in _ATTACKS]
    # Allowed by a rule or the mode, never by a person: every change is put back or moved aside.
    run = await harness.run(*(Reply([call]) for call in calls), mode=mode, allow=["Bash"], sandbox=False)
    run.assert_consistent()
    assert _protected_state(guarded.root) == before
    assert {k: v for k, v in guarded.snapshot().items() if not k.startswith("git:hooks-old")} == git_before
    assert not (guarded.root / "p").exists()


async def test_without_the_sandbox_a_command_the_user_approved_may_change_a_hook(guarded, harness):
    call = tool_use("Bash", {"command": "D=.g; D=${D}it; echo 'exit 0' > $D/hooks/pre-push"})
    run = await harness.run(Reply([call]), approver=RecordingApprover(lambda r: Approval.once()), sandbox=False)
    assert (guarded.root / ".git" / "hooks" / "pre-push").read_text() == "exit 0\n"
    assert "which commands may not change" not in run.result(call["id"])["content"]


@needs_bwrap
async def test_an_allowed_git_config_cannot_set_core_hooks_path_in_the_sandbox(guarded, harness):
    before = guarded.snapshot()
    call = tool_use("Bash", {"command": "git config core.hooksPath .evil && git config core.fsmonitor 'touch p'"})
    # The reading of the command asks (git writes .git/config); the user approves the command, and
    # only the operating system is left to stop it.
    approver = RecordingApprover(
        lambda request: Approval.deny("not outside") if request.kind == "outside_sandbox" else Approval.once()
    )
    run = await harness.run(Reply([call]), allow=["Bash(git config:*)"], approver=approver)
    content = run.result(call["id"])["content"]
    # git writes config.lock and renames it over the read-only mount: the rename fails.
    assert "Device or resource busy" in content or "Read-only file system" in content, content
    assert guarded.snapshot() == before
    assert "Running it again outside the sandbox was not approved" in content


@needs_bwrap
async def test_a_separate_git_dir_outside_the_workspace_keeps_its_config_and_hooks(tmp_path, harness_for):
    import subprocess

    work, store = tmp_path / "work", tmp_path / "store.git"
    work.mkdir()
    subprocess.run(["git", "init", "-q", "--separate-git-dir", str(store), str(work)], check=True)
    (work / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(work), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(work), "commit", "-qm", "a"], check=True)
    config = (store / "config").read_bytes()
    call = tool_use(
        "Bash",
        {
            "command": f"echo x >> {store}/config; echo 'touch p' > {store}/hooks/pre-commit; "
            "echo b > b.txt && git add b.txt && git commit -qm b && echo committed"
        },
    )
    run = await harness_for(work).run(Reply([call]), mode="bypassPermissions", allow=["Bash"])
    content = run.result(call["id"])["content"]
    assert "committed" in content  # the rest of the git folder is writable: objects, refs, index
    assert (store / "config").read_bytes() == config
    assert not (store / "hooks" / "pre-commit").exists()
