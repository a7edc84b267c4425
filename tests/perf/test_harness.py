"""The benchmark harness's own logic: verdicts, the table, and the generated workloads.

Run with `python -m pytest tests/perf -q` (the default test run skips tests/perf).
"""

from __future__ import annotations

from pathlib import Path

from tests.perf.harness import REPORT, Figure, at_most, render_table, within_ratio
from tests.perf.workloads import diff_texts, prose, write_tree
from tui.engine.workspace.proposals import Proposal


def test_ratio_target_compares_with_the_baseline() -> None:
    assert Figure("b", "f", 120, "ms", within_ratio(1.3), baseline=100).passed is True
    assert Figure("b", "f", 131, "ms", within_ratio(1.3), baseline=100).verdict == "MISS"
    assert Figure("b", "f", 1, "ms", within_ratio(1.3)).passed is False  # no baseline, no ratio


def test_absolute_and_reported_figures() -> None:
    assert Figure("b", "f", 150, "ms", at_most(150)).verdict == "PASS"
    assert Figure("b", "f", 151, "ms", at_most(150)).verdict == "MISS"
    assert Figure("b", "f", 5, "ms", REPORT, baseline=10).verdict == "-"


def test_table_shows_ratio_target_and_notes() -> None:
    table = render_table([Figure("diff", "first screen", 50, "ms", at_most(150), 25, "difflib", note="deferred")])
    row = table.splitlines()[2]
    assert "2.00x" in row and "<= 150 ms" in row and "PASS" in row and "25.0 ms (difflib)" in row
    assert "[diff / first screen] deferred" in table


def test_diff_workload_has_the_requested_hunks() -> None:
    old, new = diff_texts(2_000, 10)
    assert len(old.splitlines()) == 2_000
    assert len(Proposal.build(Path("/ws/a.py"), "a.py", old, new).hunks) == 10


def test_tree_and_prose_are_deterministic(tmp_path: Path) -> None:
    paths = write_tree(tmp_path, 250, per_dir=100)
    assert len(paths) == 250 and len({p.parent for p in paths}) == 3
    assert "NEEDLE_MARKER" in paths[0].read_text()
    assert prose(200, seed=3) == prose(200, seed=3) and len(prose(200).split()) >= 200
