"""Search: `grep_search` over 50,000 files against plain `git grep` for the same query.

The tree is a committed git repository of small files (the way the tool
meets a real project). The tool goes through the registry (`resolve`), then
`prepare` and `execute` with a `ToolContext`, so its own overhead (sorting,
formatting) is in the figure. Baseline: `git grep -n -i -F` in the same tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import time
from pathlib import Path

from tests.perf.harness import Figure, init_repo, profiled, within_ratio
from tests.perf.workloads import write_tree

NAME = "search"
FILES = 50_000
REPEAT = 3
QUERIES = (
    ("NEEDLE_MARKER", "a literal in 1 file of 97"),
    ("item_4242_", "a literal in 1 file"),
)


def run(work: Path) -> list[Figure]:
    root = work / "tree"
    write_tree(root, FILES, per_dir=250, lines=4)
    init_repo(root)
    return asyncio.run(_measure(root))


async def _measure(root: Path) -> list[Figure]:
    from tui.engine.exec.terminal import TerminalManager
    from tui.engine.session.approval import Approval
    from tui.engine.tools.base import ToolContext
    from tui.engine.tools.registry import resolve

    context = ToolContext(root=root.resolve(), terminals=TerminalManager())
    figures = []
    for query, what in QUERIES:

        def plain(query: str = query) -> int:
            done = subprocess.run(["git", "grep", "-n", "-i", "-F", "-e", query], cwd=root, capture_output=True)
            return done.stdout.count(b"\n")

        async def tool(query: str = query) -> str:
            tool, args = resolve("grep_search", {"query": query, "maxResults": 200})
            output = await tool.execute(tool.prepare(args, context), context, Approval.once())
            return output.content

        plain()  # warm the page cache and git's index for both
        await tool()
        ours, theirs = [], []
        for attempt in range(REPEAT):
            start = time.perf_counter()
            expected = plain()
            theirs.append(time.perf_counter() - start)
            with profiled(f"{NAME}-{query}") if attempt == 0 else contextlib.nullcontext():
                start = time.perf_counter()
                content = await tool()
                ours.append(time.perf_counter() - start)
        found = content.count("\n") + 1 if content and not content.startswith("No matches") else 0
        figures.append(
            Figure(
                NAME,
                f"grep_search {query!r} ({what}), {FILES:,} files",
                statistics.median(ours) * 1000,
                "ms",
                within_ratio(1.5),
                statistics.median(theirs) * 1000,
                "git grep",
                note=f"git grep found {expected} lines; grep_search returned {found} lines",
            )
        )
    await context.terminals.close()
    return figures
