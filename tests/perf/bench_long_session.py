"""Long session: resume a 1,000-turn session (about 5,000 events, 200 edits with real checkpoints).

Figures: `Session.open` with resume alone; the app from start until the
resumed history is shown and the status bar says ready (headless `run_test`,
120x40); resident memory of this process then; the slowest frame while
paging the chat up to the top. Baseline: parsing the log's lines with
`json.loads` (the floor any resume pays).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from tests.perf.harness import REPORT, Figure, at_most, init_repo, profiled, rss_mb
from tests.perf.workloads import record_session

NAME = "long session"
TURNS = 1_000
EDIT_EVERY = 5
INTERACTIVE_TARGET_S = 1.5
RSS_TARGET_MB = 300.0
FRAME_TARGET_MS = 50.0
TIMEOUT_S = 60.0
APP_LIMIT_S = 40.0
"""The child running the app is killed after this long (the whole suite must stay bounded)."""


def run(work: Path) -> list[Figure]:
    root = init_repo(work / "repo")
    recorded = record_session(root, work / "sessions", session_id="perf-long", turns=TURNS, edit_every=EDIT_EVERY)
    lines = recorded.path.read_bytes().splitlines()
    start = time.perf_counter()
    for line in lines:
        json.loads(line)
    parse_s = time.perf_counter() - start
    open_s = _open_only(root, recorded.path)
    figures = _app_in_child(root, recorded.path, parse_s)
    what = f"{recorded.turns:,} turns, {recorded.events:,} events, {recorded.edits} edits"
    return [
        Figure(NAME, f"Session.open resume ({what})", open_s * 1000, "ms", REPORT, parse_s * 1000, "json.loads"),
        *figures,
    ]


def _open_only(root: Path, path: Path) -> float:
    from tui.engine.session.approval import HeadlessApprover
    from tui.engine.session.session import Session, SessionOptions

    start = time.perf_counter()
    session = Session.open(SessionOptions(cwd=root, resume=str(path)), HeadlessApprover())
    elapsed = time.perf_counter() - start
    asyncio.run(session.close())
    return elapsed


async def _in_app(root: Path, path: Path) -> dict[str, object]:
    from tui.app.app import StepwiseApp
    from tui.engine.session.session import Session, SessionOptions

    async def open_session(approver):
        return await asyncio.to_thread(Session.open, SessionOptions(cwd=root, resume=str(path)), approver)

    with profiled(f"{NAME}-resume"):
        start = time.perf_counter()
        app = StepwiseApp(open_session)
        async with app.run_test(size=(120, 40)):
            while not (app.session is not None and app.main.status_bar.activity == "idle"):
                if time.perf_counter() - start > TIMEOUT_S:
                    raise RuntimeError("the resumed session did not become ready in time")
                await asyncio.sleep(0.002)
            ready = time.perf_counter() - start
            # The history's widgets are mounted by messages queued above; wait until they are processed.
            await _settle(app)
            await _frame(app)
            interactive = time.perf_counter() - start
            memory = rss_mb()
            frames = await _page_to_top(app)
            mounted = len(app.main.chat.children)
            await app.session.close()
    return {"ready_s": ready, "interactive_s": interactive, "rss_mb": memory, "frames": frames, "mounted": mounted}


def _app_in_child(root: Path, path: Path, parse_s: float) -> list[Figure]:
    """Run the app's resume in a child process, sampling its memory, killed after `APP_LIMIT_S`.

    A child, because a resume that blocks the event loop cannot be stopped from inside.
    """
    import psutil

    child = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.bench_long_session", str(root), str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    process = psutil.Process(child.pid)
    peak = 0.0
    start = time.perf_counter()
    while child.poll() is None and time.perf_counter() - start < APP_LIMIT_S:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss / 2**20)
        time.sleep(0.1)
    if child.poll() is None:
        child.kill()
        child.wait()
        elapsed = time.perf_counter() - start
        note = f"killed after {elapsed:.0f} s: the history was still being shown (the event loop was blocked)"
        return [
            Figure(
                NAME,
                "app start to resumed history shown",
                elapsed,
                "s",
                at_most(INTERACTIVE_TARGET_S),
                parse_s,
                "json.loads",
                note=note,
            ),
            Figure(NAME, "peak resident memory while resuming", peak, "MB", at_most(RSS_TARGET_MB)),
        ]
    result = json.loads(child.communicate()[0].strip().splitlines()[-1])
    frames = result["frames"]
    return [
        Figure(
            NAME,
            "app start to resumed history shown",
            result["interactive_s"],
            "s",
            at_most(INTERACTIVE_TARGET_S),
            parse_s,
            "json.loads",
            note=f"status 'ready' after {result['ready_s']:.2f} s, history settled after {result['interactive_s']:.2f} s; "
            f"the chat keeps {result['mounted']} widgets mounted (older ones are pruned)",
        ),
        Figure(
            NAME,
            "resident memory, resumed and idle",
            result["rss_mb"],
            "MB",
            at_most(RSS_TARGET_MB),
            note=f"peak {peak:.0f} MB",
        ),
        Figure(
            NAME,
            f"slowest frame paging to the top ({len(frames)} pages)",
            max(frames) * 1000,
            "ms",
            at_most(FRAME_TARGET_MS),
            sorted(frames)[len(frames) // 2] * 1000,
            "median frame",
        ),
    ]


async def _settle(app) -> None:
    """Wait (without Pilot's 30 s limit) until no widget has messages left to process."""
    deadline = time.perf_counter() + TIMEOUT_S
    while any(node._message_queue.qsize() for node in app.screen.walk_children(with_self=True)):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the resumed history was still being mounted after {TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.005)


async def _frame(app) -> None:
    """Let queued messages run, then lay out and draw what changed, as Textual's frame timer does.

    (Pilot's `pause` cannot be used here: it waits for a callback on every
    widget, and widgets the chat prunes meanwhile never run theirs.)
    """
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    app.screen._on_timer_update()


async def _page_to_top(app) -> list[float]:
    """Page the chat up until it is at the top; the time of each page's frame."""
    chat = app.main.chat
    frames = []
    while chat.scroll_y > 0 and len(frames) < 10_000:
        start = time.perf_counter()
        chat.scroll_page_up(animate=False)
        await _frame(app)
        frames.append(time.perf_counter() - start)
    start = time.perf_counter()
    chat.scroll_home(animate=False)
    await _frame(app)
    frames.append(time.perf_counter() - start)
    return frames


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_in_app(Path(sys.argv[1]), Path(sys.argv[2])))))
