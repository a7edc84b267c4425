"""Diff: a 20,000-line file with 100 hunks, from proposal to the first screen of the diff pane.

Measured: `Proposal.build` (hunks), then `DiffView.show_proposal` and the
frame that draws it (headless `run_test`, 120x40). Baseline: `difflib.unified_diff`
alone on the same texts. Syntax highlighting runs in a worker thread and must
not hold up the first frame; the time until it lands is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import statistics
import time
from pathlib import Path

from tests.perf.harness import REPORT, Figure, at_most, median_time, profiled
from tests.perf.workloads import diff_texts

NAME = "diff"
LINES = 20_000
HUNKS = 100
REPEAT = 5
TARGET_MS = 150.0


def run(work: Path) -> list[Figure]:
    old, new = diff_texts(LINES, HUNKS)
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    baseline = median_time(lambda: list(difflib.unified_diff(old_lines, new_lines)), REPEAT)
    return asyncio.run(_in_app(work, old, new, baseline))


async def _in_app(work: Path, old: str, new: str, baseline: float) -> list[Figure]:
    from textual.app import App, ComposeResult

    from tui.app.widgets.diff_view import DiffView
    from tui.engine.workspace.proposals import Proposal

    class DiffApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DiffView(id="diff")

    builds, firsts, highlights, hunk_counts = [], [], [], []
    app = DiffApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(DiffView)
        await pilot.pause()
        for attempt in range(REPEAT):
            name = "big.py" if attempt % 2 == 0 else "big_2.py"
            with profiled(NAME) if attempt == 0 else contextlib.nullcontext():
                start = time.perf_counter()
                proposal = Proposal.build(work / name, name, old, new)
                built = time.perf_counter()
                view.show_proposal(proposal, selectable=True)
                await pilot.pause()
                drawn = time.perf_counter()
            highlighted_early = view.is_highlighted
            while not view.is_highlighted:
                await asyncio.sleep(0.005)
            builds.append(built - start)
            firsts.append(drawn - start)
            highlights.append((time.perf_counter() - start, highlighted_early))
            hunk_counts.append(view.hunk_count)
    first = statistics.median(firsts)
    deferred = not any(early for _, early in highlights)
    return [
        Figure(
            NAME, "proposal build (hunks)", statistics.median(builds) * 1000, "ms", REPORT, baseline * 1000, "difflib"
        ),
        Figure(
            NAME,
            f"proposal + first screen ({LINES:,} lines, {hunk_counts[0]} hunks)",
            first * 1000,
            "ms",
            at_most(TARGET_MS),
            baseline * 1000,
            "difflib",
        ),
        Figure(
            NAME,
            "syntax colours landed",
            statistics.median(t for t, _ in highlights) * 1000,
            "ms",
            REPORT,
            note="Pygments runs in a worker thread, off the event loop; its colours landed "
            + ("after the first frame" if deferred else "already during the first frame's pause (small hunks)"),
        ),
    ]
