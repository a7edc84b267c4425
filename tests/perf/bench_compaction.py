"""Compaction: prompt caching over a 40-turn scripted session that compacts once, automatically.

Each user turn the scripted model reads a file, then answers in text (80
requests). The context window is set (project settings) so that the growing
conversation passes `compact_at` once, around turn 25: the session then sends
the summary request and goes on from the summary. The figures come from the
server's deterministic prompt-cache accounting: the share of prompt tokens
read from the cache over every request, the summary request included. The
system prompt and tools are the same in every request (compaction included),
so their prefix stays cached; breakpoints are placed again after it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.perf.harness import REPORT, Figure, at_most, init_repo
from tests.perf.workloads import code_lines, prose, run_reading_turns
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use

NAME = "compaction"
TURNS = 40
COMPACT_NEAR_TURN = 25
SUMMARY = "## Task\nRead each file and summarise it.\n## Files\nOnly read.\n## Next step\nThe next file."


def run(work: Path) -> list[Figure]:
    root = work / "repo"
    root.mkdir(parents=True)
    for n in range(TURNS):
        (root / f"m{n}.py").write_text("\n".join(code_lines(60, prefix=f"m{n}")) + "\n", encoding="utf-8")
    init_repo(root)
    with FakeAnthropic() as server:
        server.respond_with(_model)
        base, growth = asyncio.run(_probe(root, server))
        window = int((base + COMPACT_NEAR_TURN * growth) / 0.8)
        (root / ".stepwise").mkdir()
        (root / ".stepwise" / "settings.yaml").write_text(f"context_windows: {{sonnet: {window}}}\ncompact_at: 0.8\n")
        first = len(server.message_requests)
        compactions = asyncio.run(_session(root, server, TURNS))
        usages = [r.usage for r in server.message_requests[first:] if r.usage]
    if compactions != 1 or len(usages) != 2 * TURNS + 1:
        raise RuntimeError(f"expected one compaction and {2 * TURNS + 1} requests, got {compactions} and {len(usages)}")
    read = sum(u["cache_read_input_tokens"] for u in usages)
    written = sum(u["cache_creation_input_tokens"] for u in usages)
    plain = sum(u["input_tokens"] for u in usages)
    prompt = read + written + plain
    return [
        Figure(
            NAME,
            f"cache-read share of prompt tokens ({TURNS} turns, one auto compaction, {len(usages)} requests)",
            100 * read / prompt,
            "%",
            REPORT,
            note=f"prompt tokens: {read:,} read from cache, {written:,} written, {plain:,} uncached; window {window:,}",
        ),
        Figure(
            NAME,
            "prompt tokens not read from the cache (same session)",
            100 * (written + plain) / prompt,
            "%",
            at_most(10),
        ),
    ]


def _model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The scripted model: a summary when asked for one, else read the turn's file, then answer."""
    last = body["messages"][-1]["content"]
    if "about to be compacted" in json.dumps(last[-1]):
        return [text(SUMMARY)]
    if last[-1].get("type") == "tool_result":
        return [text(prose(120, len(body["messages"])))]
    turn = next(b["text"] for b in reversed(last) if b.get("type") == "text").split(":")[0].split()[-1]
    return [tool_use("read_file", {"filePath": f"m{turn}.py"})]


async def _probe(root: Path, server: FakeAnthropic) -> tuple[int, int]:
    """The prompt size of a session's first turn, and how much each turn adds."""
    from tui.engine.session.events import AssistantMessage

    path = await run_reading_turns(root, server.url, 3)
    from tui.engine.session.log import read_session

    sizes = [
        sum(v for k, v in e.usage.items() if k != "output_tokens")
        for e in read_session(path).events
        if isinstance(e, AssistantMessage)
    ]
    return sizes[0], (sizes[-1] - sizes[1]) // 2


async def _session(root: Path, server: FakeAnthropic, turns: int) -> int:
    from tui.engine.session.events import Compaction
    from tui.engine.session.log import read_session

    path = await run_reading_turns(root, server.url, turns)
    return sum(1 for e in read_session(path).events if isinstance(e, Compaction))
