"""Driving a program in a real terminal: tmux with send-keys and capture-pane."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest


class Tmux:
    """One detached tmux session of a fixed size running one command."""

    def __init__(self, command: str, *, cwd: Path, env: dict[str, str], width: int = 120, height: int = 40) -> None:
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed (.ci/run installs it)")
        self.name = f"stepwise-test-{uuid.uuid4().hex[:8]}"
        # A clean environment: inherited COLUMNS/LINES would override the terminal size.
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # A private server per terminal: sizes and sessions of other tmux users cannot interfere.
        self._tmux = ["tmux", "-L", self.name, "-f", "/dev/null"]
        subprocess.run(
            [
                *self._tmux,
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(width),
                "-y",
                str(height),
                f"cd {shlex.quote(str(cwd))} && env -i {exports} {command}; sleep 600",
            ],
            check=True,
        )
        subprocess.run([*self._tmux, "resize-window", "-t", self.name, "-x", str(width), "-y", str(height)], check=True)

    def screen(self) -> str:
        return subprocess.run(
            [*self._tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, check=True
        ).stdout

    def send(self, *keys: str) -> None:
        subprocess.run([*self._tmux, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([*self._tmux, "send-keys", "-l", "-t", self.name, text], check=True)

    def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        """Poll the screen until `condition` (a substring or a predicate) holds; fail with the screen."""
        check = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition!r}; the screen was:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run([*self._tmux, "kill-server"], capture_output=True)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `condition` (for effects outside the terminal, such as files on disk)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
