"""stepwise with an event-loop stall recorder, for the launch benchmark's stall figure.

    python -m tests.perf.stall_probe STALLS.txt [stepwise arguments]

runs `tui.cli.main` exactly as `python -m tui.cli` does, with a `StallMonitor`
(a task waking every 2 ms) on every asyncio loop the process runs: each late
wake-up is appended to STALLS.txt as `<time.time() at the wake-up> <gap>
<process CPU during the gap>` (seconds), so the benchmark can take the worst
stall between two moments it measured from outside (Enter, and the reply's
end on screen). Only the stall runs use it: its wake-ups cost about 5% of a
core, which the timed launches should not pay.

On a loaded machine a gap is also the time the OS ran other processes; the
CPU the process used during the gap tells the two apart: `min(gap, cpu)` is
the part of the stall the process spent working (any of its threads: a
thread holding the GIL stalls the loop too).
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.perf.harness import StallMonitor


@dataclass(frozen=True)
class Stalls:
    """The worst stalls of one window, in seconds."""

    wall: float = 0.0
    """The longest gap, as the user saw it."""
    busy: float = 0.0
    """The longest time the process itself kept the loop from running (`min(gap, CPU during it)`)."""


def stalls_between(lines: list[str], start: float, end: float) -> Stalls:
    """The worst stalls among probe lines overlapping [start, end] (wall times); zeros when none."""
    wall = busy = 0.0
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        woke, gap, cpu = (float(part) for part in parts)
        if woke >= start and woke - gap <= end:
            wall, busy = max(wall, gap), max(busy, min(gap, cpu))
    return Stalls(wall, busy)


def install(out: Path) -> None:
    """Start a recorder on each new event loop (Textual's `App.run` makes one with `asyncio.run`)."""
    sink = out.open("a", encoding="utf-8", buffering=1)

    def record(gap: float, cpu: float) -> None:
        sink.write(f"{time.time():.6f} {gap:.6f} {cpu:.6f}\n")

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
