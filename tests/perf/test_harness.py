"""The benchmark harness's own logic: verdicts, the table, and the generated workloads.

Run with `python -m pytest tests/perf -q` (the default test run skips tests/perf).
"""

from __future__ import annotations

import importlib.util
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


# --- the launch benchmark's helpers ---------------------------------------------------------


def test_launch_api_answers_the_prompt_with_the_reply_wherever_the_user_message_is() -> None:
    from tests.perf.launch_api import answer, answer_kind

    # Claude Code's shape: the prompt among reminder blocks, a `system` message after it.
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                    {"type": "text", "text": "Go now."},
                ],
            },
            {"role": "system", "content": "Available agent types"},
        ],
        "tools": [{"name": "Bash"}],
    }
    assert answer_kind(body, "Go now.") == "reply"
    assert answer(body, "Go now.", "LONG") == [{"type": "text", "text": "LONG"}]
    assert answer_kind({"messages": [{"role": "user", "content": "something else"}]}, "Go now.") == "short"
    assert answer_kind(None, "Go now.") == "short"


def test_launch_api_answers_a_structured_output_request_with_json_of_its_schema() -> None:
    import json

    from tests.perf.launch_api import answer, sample_of

    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    body = {
        "messages": [{"role": "user", "content": "<session>\nGo now.\n</session> Write the title"}],
        "output_config": {"format": {"type": "json_schema", "schema": schema}},
    }
    [block] = answer(body, "Go now.", "LONG")
    assert json.loads(block["text"]) == {"title": "Benchmark"}
    nested = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "tags": {"type": "array"}},
        "required": ["n", "tags"],
    }
    assert sample_of(nested) == {"n": 0, "tags": []}
    assert sample_of({"enum": ["a", "b"]}) == "a"


def test_stalls_are_taken_inside_the_window_only() -> None:
    from tests.perf.stall_probe import Stalls, stalls_between

    lines = [
        "100.0 0.080 0.08",
        "105.010 0.020 0.019",
        "105.5 0.004 0.004",
        "109.0 0.030 0.001",
        "garbage",
        "111.0 0.5 0.5",
    ]
    # 105.010 started at 104.990, before the window, but overlaps it; 111.0 is after it.
    # 109.0 was the OS running something else (1 ms of CPU in a 30 ms gap).
    assert stalls_between(lines, 105.0, 110.0) == Stalls(wall=0.030, busy=0.019)
    assert stalls_between(lines, 105.0, 105.2) == Stalls(wall=0.020, busy=0.019)
    assert stalls_between([], 0.0, 1.0) == Stalls()


def test_cpu_share_needs_a_whole_window() -> None:
    from tests.perf.harness import cpu_share_over

    assert cpu_share_over([(0.0, 1.0), (0.2, 1.1)], 0.5) is None
    share = cpu_share_over([(0.0, 1.0), (0.3, 1.1), (0.6, 1.12)], 0.5)
    assert share is not None and abs(share - 0.12 / 0.6) < 1e-9


def test_stepwise_ready_needs_the_agent_and_ready_on_the_status_line() -> None:
    from tests.perf.bench_launch import stepwise_ready

    ready = "chat\n general · claude-sonnet-5-5 · mode: default · ⎇ main · $0.0000 · ready\n"
    assert stepwise_ready(ready)
    assert not stepwise_ready(ready.replace("· ready", "· starting…"))
    assert not stepwise_ready(" claude-sonnet-5-5 · $0.0000 · ready")


def test_claude_code_config_approves_the_key_and_trusts_the_project(tmp_path: Path) -> None:
    from tests.perf.bench_launch import claude_config

    config = claude_config(tmp_path, "sk-ant-0123456789abcdefghijklmnopqrstuvwxyz")
    assert config["hasCompletedOnboarding"] is True
    assert config["customApiKeyResponses"] == {"approved": ["ghijklmnopqrstuvwxyz"], "rejected": []}
    assert config["projects"] == {
        str(tmp_path): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}
    }


def test_launch_reply_is_long_and_ends_with_its_unique_marker() -> None:
    from tests.perf.bench_launch import END_MARKER, PROMPT, reply_text

    reply = reply_text()
    assert reply.endswith(END_MARKER) and reply.count(END_MARKER) == 1
    assert 2_100 <= len(reply.split()) <= 2_300
    assert END_MARKER not in PROMPT and PROMPT not in reply


def test_tree_memory_is_measured_for_this_process() -> None:
    import os

    import pytest

    pytest.importorskip("psutil")
    from tests.perf.harness import tree_cpu_s, tree_memory_mb

    memory, kind = tree_memory_mb(os.getpid())
    assert kind in ("PSS", "RSS") and memory > 1
    assert tree_cpu_s(os.getpid()) > 0


def test_a_pane_runs_a_command_and_its_screen_is_read(tmp_path: Path) -> None:
    import shutil
    import time

    import pytest

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    from tests.perf.harness import TmuxServer

    with TmuxServer(width=80, height=10) as tmux:
        pane = tmux.launch("cat", tmp_path, {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"})
        pane.type("typed-into-the-pane")
        pane.wait_for("typed-into-the-pane", time.perf_counter(), poll_s=0.01, timeout_s=30)
        pid = pane.pid
        assert pid > 0
        pane.close()
        if importlib.util.find_spec("psutil") is not None:  # with it, close waits for the program's exit
            import psutil

            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        with pytest.raises(RuntimeError, match="did not appear"):
            pane.wait_for("never shown", time.perf_counter(), timeout_s=0)
