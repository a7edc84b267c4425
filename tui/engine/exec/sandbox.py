"""The command sandbox: shell commands inside bubblewrap (`bwrap`) on Linux, on by default where it works.

The model is Codex's workspace-write: a sandboxed command sees the whole
filesystem read-only except the workspace (and a private `/tmp`), gets fresh
`/dev` and `/proc`, has no network unless the `sandbox_network` setting allows
it, cannot inject keystrokes into the terminal (a new session), and dies with
stepwise, taking everything it started along (its own PID namespace).

Inside the workspace these stay read-only too (`pathguard.protected_command_paths`):
each git folder's `config`, `hooks` and `info`, the folder `core.hooksPath`
names, config files git includes from the workspace, and every control file
and folder at any depth (`.stepwise/`, `.claude/`, agent and instruction
folders, `AGENTS.md`/`CLAUDE.md`/`CLAUDE.local.md`, `.mcp.json`,
`.vscode/tasks.json`). The rest of `.git` stays writable, so an approved
`git commit` works; a git folder outside the workspace (`--separate-git-dir`,
worktrees) is made writable the same way. A missing `hooks`, `info` or
`core.hooksPath` folder is created empty first, so that it can be bound
read-only: nothing can be planted in it. A control file that does not exist
yet cannot be covered by a mount without leaving a file behind; the guard
(`guard.py`) moves any the command creates aside when it ends.

When the sandbox was asked for (`--sandbox`, `sandbox: true`) and bubblewrap
cannot run here, commands are refused with the reason: they never fall back to
running unsandboxed. When it was not asked for either way, it is on where it
works, and stepwise says "commands run unsandboxed" where it does not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from tui.engine.errors import StepwiseError
from tui.engine.permissions.pathguard import GIT_CONTROL_PATHS, protected_command_paths

PROBE_TIMEOUT_S = 10.0
UNSANDBOXED = "commands run unsandboxed"
"""What the status bar, print mode and `stepwise doctor` say when commands run without the sandbox."""
LEFTOVER_REPORT = "stepwise-sandbox"
"""`$0` of the wrapper shell inside the sandbox; it reports what the command left running."""

SandboxChoice = Literal["on", "off", "auto"]
"""`on`: asked for (commands fail when it cannot run); `off`: asked not to; `auto`: on where it works."""

# Runs the command, then lists what it left running (inside the PID namespace only its own
# processes are visible; bwrap's init is pid 1) to the report descriptor, then exits with the
# command's status. Builtins only: an external program would list itself; zombies are already dead.
_WRAPPER = r"""
report=$1; shift
bash -c "$1" {report}>&- ; status=$?
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ "$pid" = 1 ] || [ "$pid" = $$ ] && continue
  read -r stat < "$dir/stat" 2>/dev/null || continue
  rest=${stat##*) }; [ "${rest%% *}" = Z ] && continue
  args=(); mapfile -d '' args < "$dir/cmdline" 2>/dev/null
  # Mid-exec, a process has no command line yet: its name then.
  [ ${#args[@]} -gt 0 ] || { read -r name < "$dir/comm" 2>/dev/null; args=("[$name]"); }
  printf '%s\t%s\n' "$pid" "${args[*]}" >&"$report"
done
exit $status
"""


class SandboxUnavailable(StepwiseError, OSError):
    """The sandbox was requested but cannot run here; the command is not run."""


@dataclass(frozen=True)
class SandboxStatus:
    """Whether commands can run inside the bubblewrap sandbox here."""

    available: bool
    reason: str
    """Why it is unavailable (empty when available)."""


@cache
def probe() -> SandboxStatus:
    """Whether bubblewrap can run a command here (checked once per process)."""
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, f"the sandbox needs Linux with bubblewrap; this is {sys.platform}")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return SandboxStatus(
            False, "bubblewrap (`bwrap`) is not installed; install it (e.g. apt-get install bubblewrap)"
        )
    argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "--unshare-pid", "true"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, f"bubblewrap could not be started: {exc}")
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        return SandboxStatus(False, f"bubblewrap cannot create namespaces here ({detail})")
    return SandboxStatus(True, "")


@dataclass(frozen=True)
class Sandbox:
    """Wraps command lines in bubblewrap for one workspace."""

    root: Path
    network: bool = False
    """Whether sandboxed commands may use the network (the `sandbox_network` setting)."""
    extra_roots: tuple[Path, ...] = ()
    """Additional directories: writable like the workspace, with the same paths read-only in them."""

    def status(self) -> SandboxStatus:
        return probe()

    def wrap(self, argv: list[str], cwd: Path, report_fd: int | None = None) -> list[str]:
        """`argv` as it runs inside the sandbox, in `cwd`.

        With `report_fd`, `argv` must be `[shell, "-c", command]`: the command then runs under a
        wrapper that writes `pid<TAB>command line` for each process it left running to that
        descriptor when it exits (the PID namespace stops them all right after).

        Raises:
            SandboxUnavailable: bubblewrap cannot run here; the message says why.
        """
        status = probe()
        if not status.available:
            raise SandboxUnavailable(
                f"the command sandbox was requested but is unavailable: {status.reason}. "
                "The command was not run (stepwise never falls back to running it unsandboxed)"
            )
        root = self.root.resolve()
        extra = tuple(path.resolve() for path in self.extra_roots)
        protected = protected_command_paths(root, extra)
        # Order matters: the fresh /tmp comes before the workspace bind, so a workspace under /tmp stays visible.
        args = [
            shutil.which("bwrap") or "bwrap",
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--tmpfs", "/tmp",
            # What stepwise itself reads from under /tmp stays visible (read-only): the home folder and
            # STEPWISE_HOME (skills' scripts, git's global config), e.g. in a throw-away test home.
            *[arg for path in _kept_under_tmp(root) for arg in ("--ro-bind", str(path), str(path))],
            "--bind", str(root), str(root),
            *[arg for path in extra if path.is_dir() for arg in ("--bind", str(path), str(path))],
        ]  # fmt: skip
        read_only = list(protected.read_only)
        for git_dir in protected.git_dirs:
            if not git_dir.is_relative_to(root):
                args += ["--bind", str(git_dir), str(git_dir)]
            # A missing hooks or info folder is made (empty, as `git init` makes it) so it can be read-only.
            for name in GIT_CONTROL_PATHS:
                path = git_dir / name
                if name != "config" and not path.exists():
                    path.mkdir(exist_ok=True)
                    read_only.append(path)
        for path in protected.missing_folders:
            path.mkdir(parents=True, exist_ok=True)
            read_only.append(path)
        for path in sorted(set(read_only), key=lambda p: len(p.parts)):
            args += ["--ro-bind", str(path), str(path)]
        if not self.network:
            args.append("--unshare-net")
        # --unshare-pid: killing bwrap (timeout, cancel) takes down everything the command started.
        args += ["--unshare-pid", "--die-with-parent", "--new-session", "--chdir", str(cwd), "--"]
        if report_fd is None:
            return args + argv
        shell, _, command = argv
        return [
            *args,
            shell,
            "-c",
            _WRAPPER.replace("{report}", str(report_fd)),
            LEFTOVER_REPORT,
            str(report_fd),
            command,
        ]


def _kept_under_tmp(root: Path) -> list[Path]:
    """The home folder and STEPWISE_HOME when they live under /tmp (the private /tmp would hide them)."""
    from tui.engine.config.home import stepwise_home

    kept: list[Path] = []
    for path in (Path.home(), stepwise_home()):
        try:
            path = path.resolve()
        except (OSError, RuntimeError):
            continue
        if path.is_relative_to("/tmp") and path.is_dir() and not root.is_relative_to(path) and path not in kept:
            kept.append(path)
    return kept


def choose(flag: bool | None, setting: bool | None) -> SandboxChoice:
    """The sandbox choice from `--sandbox`/`--no-sandbox` (None: neither) over the `sandbox` setting."""
    chosen = flag if flag is not None else setting
    if chosen is None:
        return "auto"
    return "on" if chosen else "off"


def for_workspace(
    root: Path, choice: SandboxChoice, network: bool, warnings: list[str], extra_roots: tuple[Path, ...] = ()
) -> Sandbox | None:
    """The sandbox commands run in for `choice`, or None when they run unsandboxed (with a warning why)."""
    if choice == "off":
        warnings.append(f"{UNSANDBOXED}: the sandbox is off (--no-sandbox or `sandbox: false`)")
        return None
    status = probe()
    if choice == "auto" and not status.available:
        warnings.append(f"{UNSANDBOXED}: {status.reason}")
        return None
    if not status.available:
        warnings.append(
            f"the command sandbox is unavailable: {status.reason}; commands will fail instead of running unsandboxed"
        )
    return Sandbox(root, network=network, extra_roots=extra_roots)
