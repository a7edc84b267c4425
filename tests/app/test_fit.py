"""Labels cut with an ellipsis, keeping their end (a status, an exit code) in view."""

from tui.app.fit import cut, cut_start, fit, fit_parts


def test_the_head_is_cut_first_and_the_tail_stays_whole() -> None:
    head, tail = "run_in_terminal python -m pytest -q tests/very/long/path", "approved by mode default · exit 1 · 0.6 s"
    assert fit(head, tail, 200) == f"{head} · {tail}"
    shown = fit(head, tail, 60)
    assert len(shown) == 60 and shown.endswith(" · approved by mode default · exit 1 · 0.6 s")
    assert shown.startswith("run_in_terminal") and "…" in shown
    narrow = fit(head, tail, 20)
    assert len(narrow) == 20 and narrow.startswith("…") and narrow.endswith("exit 1 · 0.6 s")
    assert fit(head, tail, 0) == f"{head} · {tail}"  # before the first layout


def test_cut_and_cut_start_mark_what_is_missing() -> None:
    assert cut("abcdef", 4) == "abc…" and cut("abc", 4) == "abc"
    assert cut_start("abcdef", 4) == "…def" and cut_start("abc", 3) == "abc"
    assert cut("日本語テキスト", 5) == "日本…"  # wide characters count as two cells


def test_parts_leave_whole_least_important_first_and_keep_their_order() -> None:
    parts = [("agent", 8), ("a-long-model-name", 5), ("mode: default", 7), ("1.1k tok (80% cached)", 2), ("$0.0125", 6)]
    tail = "waiting for you greet.py"
    everything = "agent · a-long-model-name · mode: default · 1.1k tok (80% cached) · $0.0125 · " + tail
    assert fit_parts(parts, tail, 200) == everything
    assert fit_parts(parts, tail, 0) == everything  # before the first layout
    assert fit_parts(parts, tail, len(everything) - 1) == (
        "agent · a-long-model-name · mode: default · $0.0125 · waiting for you greet.py"
    )
    shown = fit_parts(parts, tail, 58)
    assert shown == "agent · mode: default · $0.0125 · waiting for you greet.py"
    # Down to the highest-ranked part, which is then cut; the tail stays whole.
    assert fit_parts(parts, tail, 32) == "agent · waiting for you greet.py"
    assert fit_parts(parts, tail, 31) == "age… · waiting for you greet.py"
    assert fit_parts([], tail, 10) == "… greet.py"
