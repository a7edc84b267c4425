"""Checkpoints and replay: the cost of one checkpoint on trees of 1,000 and 20,000 files,
and `replay --verify` of a 1,000-step session.

A checkpoint is measured in steady state (one file changed since the last
one), as during a session. Baseline: `git add -A && git write-tree` through a
temp index in the same tree, after the same change. The verified session is
recorded with the real edit tool and real checkpoints (`workloads.record_session`).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import time
from pathlib import Path

from tests.perf.harness import REPORT, Figure, at_most, init_repo, profiled
from tests.perf.workloads import record_session, write_tree

NAME = "checkpoints"
TREES = (1_000, 20_000)
REPEAT = 5
VERIFY_STEPS = 1_000
VERIFY_TARGET_S = 10.0


def run(work: Path) -> list[Figure]:
    figures = []
    for files in TREES:
        figures.append(_checkpoint_cost(work / f"tree-{files}", files))
    figures.extend(_verify(work / "verify"))
    return figures


def _checkpoint_cost(root: Path, files: int) -> Figure:
    from tui.engine.workspace.checkpoints import Workspace

    paths = write_tree(root, files)
    init_repo(root)
    workspace = Workspace.open(root)
    session = "perf-checkpoints"
    workspace.checkpoint(session, "session base")
    index = root / ".git" / "perf-baseline-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}

    def baseline() -> None:
        subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
        subprocess.run(["git", "write-tree"], cwd=root, env=env, check=True, capture_output=True)

    baseline()  # the temp index starts warm, like the session's private index
    ours, theirs = [], []
    for attempt in range(REPEAT):
        target = paths[(attempt * 131) % len(paths)]
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"changed_{attempt} = True\n")
        start = time.perf_counter()
        baseline()
        theirs.append(time.perf_counter() - start)
        with profiled(f"{NAME}-{files}") if attempt == 0 else contextlib.nullcontext():
            start = time.perf_counter()
            workspace.checkpoint(session, f"step {attempt}")
            ours.append(time.perf_counter() - start)
    return Figure(
        NAME,
        f"one checkpoint, {files:,} files",
        statistics.median(ours) * 1000,
        "ms",
        REPORT,
        statistics.median(theirs) * 1000,
        "git add+write-tree",
    )


def _verify(root: Path) -> list[Figure]:
    from tui.engine.session.log import read_session
    from tui.replay.verify import verify

    init_repo(root)
    start = time.perf_counter()
    recorded = record_session(
        root, root.parent / "verify-sessions", session_id="perf-verify", turns=VERIFY_STEPS, edit_every=1
    )
    record_s = time.perf_counter() - start
    record = read_session(recorded.path)
    with profiled(f"{NAME}-verify"):
        start = time.perf_counter()
        results = verify(record)
        verify_s = time.perf_counter() - start
    ok = sum(1 for r in results if r.ok)
    return [
        Figure(
            NAME,
            f"replay --verify, {recorded.edits:,} steps",
            verify_s,
            "s",
            at_most(VERIFY_TARGET_S),
            record_s,
            "recording it",
            note=f"{ok}/{len(results)} checkpoints verified identical; "
            f"{verify_s / max(len(results), 1) * 1000:.1f} ms per step",
        )
    ]
