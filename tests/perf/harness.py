"""What every benchmark shares: figures and verdicts, timing, event-loop stalls, memory, profiling.

A benchmark never asserts on time. It measures a figure and a baseline in the
same run (these machines are noisy, so only ratios and same-run comparisons
mean anything) and returns `Figure`s; the runner prints them with the target
and PASS / MISS.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILE_ENV = "STEPWISE_PERF_PROFILE"
"""When set to a folder, measured sections are profiled with pyinstrument into it."""
EXIT_TIMEOUT_S = 10.0
"""How long `Pane.close` waits for a program's processes to exit before killing them."""


@dataclass(frozen=True)
class Target:
    """What a figure must meet: `value <= limit` or `ratio <= limit` (`kind` says which)."""

    kind: str
    """`ratio` (figure / baseline), `max` (the figure itself) or `report` (no target)."""
    limit: float = 0.0

    def describe(self, unit: str) -> str:
        if self.kind == "ratio":
            return f"<= {self.limit:g}x"
        if self.kind == "max":
            return f"<= {self.limit:g} {unit}"
        return "report"


def within_ratio(limit: float) -> Target:
    """The figure may be at most `limit` times its baseline."""
    return Target("ratio", limit)


def at_most(limit: float) -> Target:
    """The figure itself may be at most `limit` (in its unit)."""
    return Target("max", limit)


REPORT = Target("report")


@dataclass(frozen=True)
class Figure:
    """One measured figure with the baseline it is compared with."""

    bench: str
    name: str
    value: float
    unit: str
    target: Target = REPORT
    baseline: float | None = None
    baseline_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    @property
    def passed(self) -> bool | None:
        """True / False against the target; None for a reported-only figure."""
        if self.target.kind == "ratio":
            return self.ratio is not None and self.ratio <= self.target.limit
        if self.target.kind == "max":
            return self.value <= self.target.limit
        return None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "-"}[self.passed]


def fmt(value: float | None, unit: str = "") -> str:
    """A compact number with its unit (`-` for None)."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def render_table(figures: list[Figure]) -> str:
    """The figures as an aligned plain-text table."""
    header = ("benchmark", "figure", "value", "baseline", "ratio", "target", "result")
    rows = [header]
    for f in figures:
        base = f"{fmt(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        rows.append((f.bench, f.name, fmt(f.value, f.unit), base, ratio, f.target.describe(f.unit), f.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"  [{f.bench} / {f.name}] {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", *notes] if notes else []))


# --- timing ----------------------------------------------------------------------------


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of `run()` in seconds over `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextlib.contextmanager
def profiled(name: str) -> Iterator[None]:
    """Profile the block with pyinstrument when `STEPWISE_PERF_PROFILE` names a folder.

    The text report (call tree, then the top functions by self time) goes to
    `<folder>/<name>.txt`; without the variable this does nothing.
    """
    folder = os.environ.get(PROFILE_ENV)
    if not folder:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        out = Path(folder) / f"{name}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        tree = profiler.output_text(unicode=True, color=False, show_all=False)
        # The flat view names the library functions the tree view folds away.
        flat = profiler.output_text(unicode=True, color=False, flat=True)
        out.write_text(tree + "\n\nSelf time, flat:\n" + "\n".join(flat.splitlines()[:60]), encoding="utf-8")


class StallMonitor:
    """The longest time the running event loop failed to wake a periodic task.

    A task sleeps `period_s` at a time; any wake-up later than that is time
    the loop spent on something else without yielding.
    """

    def __init__(self, period_s: float = 0.002, on_gap: Callable[[float, float], None] | None = None) -> None:
        self.period_s = period_s
        self.max_gap_s = 0.0
        self.on_gap = on_gap
        """Called with every late wake-up's gap and the process's CPU time during it, in seconds
        (for a timeline of stalls; keep it cheap). A gap with little CPU is the OS running something else."""
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        last, last_cpu = loop.time(), time.process_time()
        while True:
            await asyncio.sleep(self.period_s)
            now = loop.time()
            gap = now - last - self.period_s
            self.max_gap_s = max(self.max_gap_s, gap)
            if self.on_gap is not None:
                cpu = time.process_time()
                if gap > self.period_s:
                    self.on_gap(gap, cpu - last_cpu)
                last_cpu = cpu
            last = now

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> float:
        """Stop watching; returns the largest stall in seconds."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.max_gap_s


# --- processes and memory ----------------------------------------------------------------


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and its children, in MB (this process by default)."""
    import psutil

    process = psutil.Process(pid or os.getpid())
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / 2**20


def _tree(pid: int) -> list:
    import psutil

    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def tree_memory_mb(pid: int) -> tuple[float, str]:
    """Memory of a process and all its descendants in MB, and which measure it is.

    PSS (proportional set size: a shared page counts 1/N in each of the N
    processes mapping it) where the system tells it, so a tree of processes
    sharing libraries is not counted twice; RSS otherwise.
    """
    import psutil

    pss = rss = 0
    has_pss = True
    for process in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            rss += process.memory_info().rss
            if has_pss:
                try:
                    pss += getattr(process.memory_full_info(), "pss", 0) or 0
                except psutil.AccessDenied:
                    has_pss = False
    if has_pss and pss:
        return pss / 2**20, "PSS"
    return rss / 2**20, "RSS"


def tree_cpu_s(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its living descendants."""
    import psutil

    total = 0.0
    for process in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def wait_until_idle(
    pid: int, *, window_s: float = 0.5, max_share: float = 0.02, timeout_s: float = 20.0, step_s: float = 0.1
) -> bool:
    """Wait until the process tree used at most `max_share` of one core over the last `window_s`.

    Returns False when it was still busy after `timeout_s` (the caller notes it).
    """
    samples: list[tuple[float, float]] = []
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        samples.append((time.perf_counter(), tree_cpu_s(pid)))
        share = cpu_share_over(samples, window_s)
        if share is not None and share <= max_share:
            return True
        time.sleep(step_s)
    return False


def cpu_share_over(samples: list[tuple[float, float]], window_s: float) -> float | None:
    """From (wall, cpu) samples, oldest first: the share of one core used over the last `window_s` (None: too few)."""
    if not samples:
        return None
    end_wall, end_cpu = samples[-1]
    for wall, cpu in reversed(samples):
        if end_wall - wall >= window_s:
            return (end_cpu - cpu) / (end_wall - wall)
    return None


# --- a real terminal -----------------------------------------------------------------------

_servers = itertools.count(1)


class TmuxServer:
    """A private tmux server (its own socket) that starts programs in fresh panes of a fixed size.

    A holder session keeps the server alive between launches, so a launch's
    time does not include starting tmux itself.
    """

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.socket = f"stepwise-perf-{os.getpid()}-{next(_servers)}"
        self.width, self.height = width, height

    def __enter__(self) -> TmuxServer:
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "holder",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "sleep 3600",
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.tmux("kill-server", check=False)

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def launch(self, command: str, cwd: Path, env: Mapping[str, str] | None = None) -> Pane:
        """Start `command` in a new pane; with `env`, in exactly that environment (`env -i`)."""
        if env is not None:
            exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            command = f"exec env -i {exports} {command}"
        name = f"run{time.monotonic_ns()}"
        size = ("-x", str(self.width), "-y", str(self.height))
        self.tmux("new-session", "-d", "-s", name, *size, "-c", str(cwd), command)
        return Pane(self, name)


class Pane:
    """One program running in a pane of a `TmuxServer`."""

    def __init__(self, server: TmuxServer, name: str) -> None:
        self.server, self.name = server, name

    def screen(self) -> str:
        return self.server.tmux("capture-pane", "-p", "-t", self.name, check=False)

    @property
    def pid(self) -> int:
        """The pane's process (the program, when its command `exec`s it)."""
        return int(self.server.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def type(self, text: str) -> None:
        self.server.tmux("send-keys", "-l", "-t", self.name, text)

    def send(self, *keys: str) -> None:
        self.server.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(
        self, condition: str | Callable[[str], bool], start: float, *, poll_s: float = 0.0, timeout_s: float = 60.0
    ) -> float:
        """Seconds from `start` (a `perf_counter`) until a capture of the screen satisfies `condition`.

        The screen is captured every `poll_s` (0: back to back); the time is
        taken when the capture that first shows it returns.
        """
        check = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        due = time.perf_counter()
        while True:
            screen = self.screen()
            elapsed = time.perf_counter() - start
            if check(screen):
                return elapsed
            if elapsed > timeout_s:
                raise RuntimeError(f"{condition!r} did not appear within {timeout_s:.0f} s; the pane shows:\n{screen}")
            due += poll_s
            if (delay := due - time.perf_counter()) > 0:
                time.sleep(delay)

    def close(self) -> None:
        """End the program, and wait (at most `EXIT_TIMEOUT_S`) until its whole process tree is gone.

        Killing the pane only starts the program's exit: without the wait, the next
        program measured shares the machine with this one's exit (a stepwise closing
        its session, Claude Code's node), which slowed whatever came after a slow exit.
        What is still running after the wait is killed. Without psutil (the test
        suite), the pane is only killed.
        """
        tree = self._process_tree()
        self.server.tmux("kill-session", "-t", self.name, check=False)
        if tree:
            import psutil

            _, alive = psutil.wait_procs(tree, timeout=EXIT_TIMEOUT_S)
            for process in alive:
                with contextlib.suppress(psutil.Error):
                    process.kill()

    def _process_tree(self) -> list[Any]:
        try:
            import psutil
        except ImportError:
            return []
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except (psutil.Error, RuntimeError, ValueError):  # the pane or its program has already ended
            return []


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `root` and return stdout (raises on failure)."""
    done = subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def init_repo(root: Path, *, commit: bool = True) -> Path:
    """A git repository at `root` with a local identity; everything in it committed when `commit`."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "perf")
    git(root, "config", "user.email", "perf@localhost")
    git(root, "config", "commit.gpgsign", "false")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    return root
