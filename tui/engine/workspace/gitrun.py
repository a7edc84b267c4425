"""The one git runner: `git <args>` in a folder, bytes in and out, never waiting for a prompt.

Every git command stepwise runs goes through `run_git`: checkpoints, the file
listing of the search tools, `replay --verify` and the demo's sample
repository. GitPython finds the repository (`Workspace.open`); the commands
run beside it as plain subprocesses, one process per command, with stdin
handed over as bytes (no temporary file), never asking for credentials, with
English messages (which callers quote and match).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.engine.errors import StepwiseError

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LANGUAGE": "C", "LC_ALL": "C"}
"""Over the caller's environment: never ask for credentials; messages in English."""


class GitError(StepwiseError, OSError):
    """git could not be run (not installed, not startable, out of time), or a checked command failed."""


@dataclass(frozen=True)
class GitResult:
    """What one git command did."""

    args: tuple[str, ...]
    cwd: Path | str | None
    status: int
    out: bytes
    err: str
    """Stderr as text (undecodable bytes replaced)."""

    @property
    def ok(self) -> bool:
        return self.status == 0

    def check(self) -> GitResult:
        """This result, if the command succeeded.

        Raises:
            GitError: it failed; the message names the sub-command, the folder and git's reason.
        """
        if not self.ok:
            detail = self.err.strip() or f"exit status {self.status}"
            raise GitError(f"git {command_name(self.args) or 'git'} failed in {self.cwd or os.getcwd()}: {detail}")
        return self

    def text(self, errors: str = "surrogateescape") -> str:
        """Stdout as text; the default keeps any path's bytes."""
        return self.out.decode("utf-8", errors)


def run_git(
    args: Sequence[str],
    cwd: Path | str | None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> GitResult:
    """Run `git <args>` in `cwd` and wait for it.

    Args:
        args: The arguments after `git`.
        cwd: The folder it runs in (None: the current one).
        env: Variables set over the current environment (`GIT_INDEX_FILE`, `GIT_DIR`, ...).
        stdin: Bytes for its standard input (none: it reads nothing).
        timeout: Seconds before it is killed (none: no limit).

    Raises:
        GitError: git could not be started or ran out of time; its exit status is never an error here.
    """
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **GIT_ENV, **(env or {})},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {command_name(args)} did not finish within {timeout:g} s in {cwd}") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    return GitResult(tuple(args), cwd, done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def command_name(args: Sequence[str]) -> str:
    """The git sub-command among `args` (after `-c key=value` options)."""
    values = {index + 1 for index, arg in enumerate(args) if arg in ("-c", "-C", "--git-dir", "--work-tree")}
    return next((arg for index, arg in enumerate(args) if index not in values and not arg.startswith("-")), "")
