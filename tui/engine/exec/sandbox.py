"""The command sandbox: shell commands inside bubblewrap (`bwrap`) on Linux.

With the sandbox on, a command sees the whole filesystem read-only except the
workspace, gets a fresh `/tmp`, `/dev` and `/proc`, has no network (its own
empty network namespace), cannot inject keystrokes into the terminal (a new
session) and dies with stepwise. The workspace's `.git/hooks` and
`.git/config` stay read-only too, so a command cannot plant code that git
would later run outside the sandbox.

When the user asks for the sandbox and `bwrap` is missing or cannot create
namespaces here, commands are refused with the reason: they never fall back to
running unsandboxed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tui.engine.errors import StepwiseError

PROBE_TIMEOUT_S = 10.0
_PROTECTED_GIT_PATHS = ("hooks", "config")
"""Inside `.git/`: what git executes or obeys, kept read-only for sandboxed commands."""


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
        return SandboxStatus(False, "bubblewrap (`bwrap`) is not installed; install it (e.g. apt-get install bubblewrap)")
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

    def status(self) -> SandboxStatus:
        return probe()

    def wrap(self, argv: list[str], cwd: Path) -> list[str]:
        """`argv` as it runs inside the sandbox, in `cwd`.

        Raises:
            SandboxUnavailable: bubblewrap cannot run here; the message says why.
        """
        status = probe()
        if not status.available:
            raise SandboxUnavailable(
                f"the command sandbox was requested but is unavailable: {status.reason}. "
                "The command was not run (stepwise never falls back to running it unsandboxed)"
            )
        root = str(self.root.resolve())
        # Order matters: the fresh /tmp comes before the workspace bind, so a workspace under /tmp stays visible.
        args = [
            shutil.which("bwrap") or "bwrap",
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--tmpfs", "/tmp",
            "--bind", root, root,
        ]
        git_dir = self.root / ".git"
        if git_dir.is_dir() and not git_dir.is_symlink():
            for name in _PROTECTED_GIT_PATHS:
                path = git_dir / name
                if path.exists() and not path.is_symlink():
                    args += ["--ro-bind", str(path), str(path)]
        # --unshare-pid: killing bwrap (timeout, cancel) takes down everything the command started.
        args += ["--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--chdir", str(cwd), "--"]
        return args + argv
