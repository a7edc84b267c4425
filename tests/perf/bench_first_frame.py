"""First frame: from launch to the input-ready screen of `stepwise`, in tmux at 120x40.

`python -m tui.cli` runs in a temp git repository with ANTHROPIC_API_KEY
unset, so it starts and shows its no-key notice next to the focused prompt:
that notice is the input-ready marker. Baseline: a bare Textual app with a
Header, an Input and a Footer, started the same way (marker: its placeholder).
Both are launched with `tmux new-session -d -x 120 -y 40` on a private tmux
server, and `capture-pane` is polled in a tight loop. Resident memory of the
idle app (the pane's process and children) is reported once it says "ready".
"""

from __future__ import annotations

import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.perf.harness import REPORT, Figure, TmuxServer, init_repo, rss_mb, within_ratio

NAME = "first frame"
REPEAT = 7
APP_MARKER = "No ANTHROPIC_API_KEY is set"
READY_MARKER = "· ready"
BARE_MARKER = "bare-app-ready"
TIMEOUT_S = 30.0

BARE_APP = f'''
from textual.app import App
from textual.widgets import Footer, Header, Input


class Bare(App):
    def compose(self):
        yield Header()
        yield Input(placeholder="{BARE_MARKER}")
        yield Footer()


Bare().run()
'''


def run(work: Path) -> list[Figure]:
    repo = init_repo(work / "repo")
    bare = work / "bare_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    home = work / "home"
    project = Path(__file__).resolve().parents[2]
    env = f"env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN STEPWISE_HOME={shlex.quote(str(home))} PYTHONPATH={shlex.quote(str(project))}"
    app_cmd = f"exec {env} {shlex.quote(sys.executable)} -m tui.cli"
    bare_cmd = f"exec {env} {shlex.quote(sys.executable)} {shlex.quote(str(bare))}"
    with TmuxServer() as tmux:
        # Byte code as an installed package has it (`pip install` compiles it; an editable install with
        # PYTHONDONTWRITEBYTECODE set would recompile every changed module at each launch), then one
        # untimed launch each for the page cache, as on a second start.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(project / "tui")], check=True)
        _launch(tmux, bare_cmd, repo, BARE_MARKER)
        _launch(tmux, app_cmd, repo, APP_MARKER)
        app_times, bare_times, ready_times, memory = [], [], [], []
        for _ in range(REPEAT):
            bare_times.append(_launch(tmux, bare_cmd, repo, BARE_MARKER)[0])
            first, ready, rss = _launch(tmux, app_cmd, repo, APP_MARKER, READY_MARKER)
            app_times.append(first)
            ready_times.append(ready)
            memory.append(rss)
    first = statistics.median(app_times)
    base = statistics.median(bare_times)
    return [
        Figure(
            NAME, "launch to input-ready screen", first * 1000, "ms", within_ratio(1.3), base * 1000, "bare Textual app"
        ),
        Figure(
            NAME,
            "launch to session ready (status 'ready')",
            statistics.median(ready_times) * 1000,
            "ms",
            REPORT,
            base * 1000,
            "bare Textual app",
        ),
        Figure(NAME, "resident memory at idle", statistics.median(memory), "MB", REPORT),
    ]


def _launch(
    tmux: TmuxServer, command: str, cwd: Path, marker: str, ready_marker: str | None = None
) -> tuple[float, float, float]:
    """Start `command` in a fresh 120x40 pane; seconds until `marker`, until `ready_marker`, and RSS (MB) then."""
    start = time.perf_counter()
    pane = tmux.launch(command, cwd)
    try:
        first = pane.wait_for(marker, start, timeout_s=TIMEOUT_S)
        ready, memory = first, 0.0
        if ready_marker:
            ready = pane.wait_for(ready_marker, start, timeout_s=TIMEOUT_S)
            memory = rss_mb(pane.pid)
        return first, ready, memory
    finally:
        pane.close()
