"""stepwise with an event-loop stall recorder, for the launch benchmark's stall figure.

    python -m tests.perf.stall_probe STALLS.txt [stepwise arguments]

runs `tui.cli.main` exactly as `python -m tui.cli` does, with a `StallMonitor`
(a task waking every 2 ms) on every asyncio loop the process runs: each late
wake-up is appended to STALLS.txt as `<time.time() at the wake-up> <gap in
seconds>`, so the benchmark can take the worst stall between two moments it
measured from outside (Enter, and the reply's end on screen). Only the stall
runs use it: the probe's own wake-ups would cost the timed launches a little.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.perf.harness import StallMonitor


def stalls_between(lines: list[str], start: float, end: float) -> float:
    """The longest stall in seconds among probe lines overlapping [start, end] (wall times); 0.0 when none."""
    worst = 0.0
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            continue
        woke, gap = float(parts[0]), float(parts[1])
        if woke >= start and woke - gap <= end:
            worst = max(worst, gap)
    return worst


def install(out: Path) -> None:
    """Start a recorder on each new event loop (Textual's `App.run` makes one with `asyncio.run`)."""
    sink = out.open("a", encoding="utf-8", buffering=1)

    def record(gap: float) -> None:
        sink.write(f"{time.time():.6f} {gap:.6f}\n")

    class Policy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            loop = super().new_event_loop()
            monitors.append(StallMonitor(on_gap=record))
            loop.call_soon(monitors[-1].start)
            return loop

    monitors: list[StallMonitor] = []
    asyncio.set_event_loop_policy(Policy())


def main() -> int:
    install(Path(sys.argv[1]))
    from tui.cli import main as stepwise

    return stepwise(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
