"""Tokens: prompt caching over a 20-turn scripted session.

Each user turn, the scripted model reads a file (a `read_file` tool call), then
answers in text: 40 requests. The figures come from the server's own
accounting (`server.message_requests[i].usage`, deterministic prompt-cache
rules): the share of prompt tokens read from the cache, and prompt tokens per
user turn against what they would be without caching.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.perf.harness import REPORT, Figure, init_repo
from tests.perf.workloads import code_lines, prose, run_reading_turns
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use

NAME = "tokens"
TURNS = 20


def run(work: Path) -> list[Figure]:
    root = work / "repo"
    root.mkdir(parents=True)
    for n in range(TURNS):
        (root / f"m{n}.py").write_text("\n".join(code_lines(60, prefix=f"m{n}")) + "\n", encoding="utf-8")
    init_repo(root)
    with FakeAnthropic() as server:
        for n in range(TURNS):
            server.script(tool_use("read_file", {"filePath": f"m{n}.py"}))
            server.script(text(prose(120, n)))
        asyncio.run(run_reading_turns(root, server.url, TURNS))
        usages = [r.usage for r in server.message_requests if r.usage]
    if len(usages) != 2 * TURNS:
        raise RuntimeError(f"expected {2 * TURNS} answered requests, the server answered {len(usages)}")
    read = sum(u["cache_read_input_tokens"] for u in usages)
    written = sum(u["cache_creation_input_tokens"] for u in usages)
    plain = sum(u["input_tokens"] for u in usages)
    prompt = read + written + plain
    last = usages[-1]
    return [
        Figure(
            NAME,
            f"cache-read share of prompt tokens ({TURNS} turns, {len(usages)} requests)",
            100 * read / prompt,
            "%",
            REPORT,
            note=f"prompt tokens: {read:,} read from cache, {written:,} written, {plain:,} uncached",
        ),
        Figure(
            NAME,
            "uncached + cache-write tokens per turn",
            (plain + written) / TURNS,
            "tok",
            REPORT,
            prompt / TURNS,
            "all prompt tokens",
        ),
        Figure(
            NAME,
            "last request: uncached + cache-write tokens",
            last["input_tokens"] + last["cache_creation_input_tokens"],
            "tok",
            REPORT,
            sum(last.values()),
            "its prompt",
        ),
    ]
