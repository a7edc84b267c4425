"""Streaming: a long answer at full speed, from the first byte to fully on screen.

The scripted server runs in its own process (so its CPU and GIL do not count
against either side). Two workloads: 2,000 words in word-sized deltas, and
50,000 tokens (about 200,000 characters) in 10,000 deltas.

Baseline: the anthropic SDK alone (`AsyncAnthropic.messages.stream`)
consuming the same stream from the same server. Figure: the app (headless
`run_test`, 120x40, a real `Session`, the SDK in the provider process as `stepwise` runs it; CPU per
delta is the app's process only) from pressing Enter until the chat's
Markdown holds the last word, every part of it is rendered, and the frame
after it is drawn. While it
streams, a periodic task records the longest event-loop stall, and
`time.process_time` gives CPU time per delta.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.perf.harness import REPORT, Figure, StallMonitor, at_most, init_repo, profiled, within_ratio
from tests.perf.workloads import prose
from tests.support.fake_anthropic import DEFAULT_KEY

NAME = "streaming"
REPEAT = 3
LAST_WORD = "FINALWORDMARKER"
MAX_STALL_MS = 50.0
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Workload:
    label: str
    text: str
    chunk_size: int

    @property
    def deltas(self) -> int:
        return math.ceil(len(self.text) / self.chunk_size)


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    stall_s: float


def workloads() -> list[Workload]:
    words = prose(2_000, seed=1) + f" {LAST_WORD}"
    # 50,000 tokens at the usual ~4 characters each, cut into 10,000 deltas.
    tokens = prose(34_000, seed=2)[: 200_000 - len(LAST_WORD) - 1] + f" {LAST_WORD}"
    return [Workload("2,000 words", words, 6), Workload("50,000 tokens", tokens, 20)]


def run(work: Path) -> list[Figure]:
    root = init_repo(work / "repo")
    cases = workloads()
    script = work / "script.json"
    # Per workload: one warm-up and REPEAT runs for the SDK, then REPEAT runs for the app.
    items = [{"content": [case.text], "chunk_size": case.chunk_size} for case in cases for _ in range(1 + 2 * REPEAT)]
    script.write_text(json.dumps(items), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_anthropic", "--script", str(script), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().removeprefix("listening on ")
        figures = []
        for case in cases:
            figures.extend(asyncio.run(_case(root, url, case)))
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _case(root: Path, url: str, case: Workload) -> list[Figure]:
    await _sdk_alone(url)  # warm-up: imports, connection set-up
    sdk = [await _sdk_alone(url) for _ in range(REPEAT)]
    app = []
    for attempt in range(REPEAT):
        with profiled(f"{NAME}-{case.deltas}") if attempt == 0 else contextlib.nullcontext():
            app.append(await _in_app(root, url))
    wall = statistics.median(s.wall_s for s in app)
    sdk_wall = statistics.median(s.wall_s for s in sdk)
    what = f"{case.label} in {case.deltas:,} deltas"
    return [
        Figure(NAME, f"{what}: on screen", wall * 1000, "ms", within_ratio(1.5), sdk_wall * 1000, "SDK alone"),
        Figure(
            NAME,
            f"{what}: longest event-loop stall",
            max(s.stall_s for s in app) * 1000,
            "ms",
            at_most(MAX_STALL_MS),
            max(s.stall_s for s in sdk) * 1000,
            "SDK alone",
        ),
        Figure(
            NAME,
            f"{what}: CPU per delta",
            statistics.median(s.cpu_s for s in app) / case.deltas * 1e6,
            "us",
            REPORT,
            statistics.median(s.cpu_s for s in sdk) / case.deltas * 1e6,
            "SDK alone",
        ),
    ]


async def _sdk_alone(url: str) -> Sample:
    import anthropic

    client = anthropic.AsyncAnthropic(api_key=DEFAULT_KEY, base_url=url, max_retries=0)
    monitor = StallMonitor()
    monitor.start()
    cpu, start = time.process_time(), time.perf_counter()
    received = []
    async with client.messages.stream(
        model="claude-sonnet-4-5", max_tokens=64_000, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                received.append(event.delta.text)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    stall = await monitor.stop()
    await client.close()
    if not "".join(received).endswith(LAST_WORD):
        raise RuntimeError("the SDK did not receive the whole stream")
    return Sample(wall, cpu, stall)


async def _in_app(root: Path, url: str) -> Sample:
    from tui.app.app import StepwiseApp
    from tui.engine.model import remote
    from tui.engine.model.provider import AnthropicProvider
    from tui.engine.session.session import Session, SessionOptions

    remote.start()  # as `stepwise` does first thing: the SDK runs in the provider process
    provider = AnthropicProvider(api_key=DEFAULT_KEY, base_url=url)

    async def open_session(approver):
        return await asyncio.to_thread(Session.open, SessionOptions(cwd=root), approver, provider)

    app = StepwiseApp(open_session)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(lambda: app.session is not None and app.main.status_bar.activity == "idle", pilot)
        await pilot.pause()
        chat = app.main.chat
        app.main.prompt.load_text("Write the long answer.")
        monitor = StallMonitor()
        monitor.start()
        cpu, start = time.process_time(), time.perf_counter()
        # `Pilot.press` returns only once the app is idle: run it beside the measurement.
        pressing = asyncio.ensure_future(pilot.press("enter"))
        while not any(block.source.endswith(LAST_WORD) and block.complete for block in chat.text_blocks):
            if time.perf_counter() - start > TIMEOUT_S:
                raise RuntimeError(f"the last word did not reach the screen within {TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.001)
        await _next_frame(app)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        stall = await monitor.stop()
        await pressing
        await _until(lambda: app.session is not None and not app.session.busy, pilot)
        await app.session.close()
    await provider.aclose()
    return Sample(wall, cpu, stall)


async def _next_frame(app) -> None:
    """Wait until the screen has been drawn once more (`pilot.pause` would also wait for the CPU to idle)."""
    drawn = asyncio.get_running_loop().create_future()
    app.screen.refresh()
    app.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
    await drawn


async def _until(condition, pilot) -> None:
    deadline = time.perf_counter() + TIMEOUT_S
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("the app did not reach the expected state in time")
        await pilot.pause(0.005)
