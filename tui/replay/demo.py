"""`stepwise --demo`: the product on a bundled sample project, with no key and no network.

A copy of the sample project becomes a new git repository in a temporary
folder; the backend-dev agent's model turns come from a bundled script.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tui.engine.workspace.gitrun import run_git

DEMO_DIR = Path(__file__).resolve().parent / "demo"
SCRIPT = DEMO_DIR / "script.json"
SAMPLE = DEMO_DIR / "sample"
AGENT = "backend-dev"
PROMPT = "Harden the order parsing: reject bad request data, and add tests for it."
NOTICE = (
    "This is a scripted demo: the model's turns are a recording, nothing is sent anywhere. "
    "Approve or deny each step as you would live; the files change in a scratch repository at {path}."
)

LOCKED = (
    "The demo's model turns are a script for the backend-dev agent, so /agent and /model are off here: "
    "a new agent or model would send your prompts to the real API. Quit (Ctrl+Q) and run `stepwise` "
    "in your own repository to use them."
)

_GIT_IDENTITY = ["-c", "user.name=stepwise demo", "-c", "user.email=demo@stepwise.invalid"]


def prepare_workspace(parent: Path | None = None) -> Path:
    """Copy the sample project into a new git repository with one commit; return its path."""
    root = Path(tempfile.mkdtemp(prefix="stepwise-demo-", dir=parent))
    shutil.copytree(SAMPLE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".gitignore").write_text("__pycache__/\n")
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Sample shop project"]):
        run_git([*_GIT_IDENTITY, *command], root).check()
    return root


def demo_provider(delay_s: float = 0.01):
    from tui.replay.recorded_provider import RecordedProvider

    return RecordedProvider.from_script(SCRIPT, delay_s=delay_s)
