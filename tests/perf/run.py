"""Run the benchmark suite and print one table: figure, baseline, ratio, target, PASS/MISS.

    python -m tests.perf.run                      # every benchmark (a few minutes)
    python -m tests.perf.run diff search          # only these
    python -m tests.perf.run --profile DIR        # pyinstrument reports of the measured sections into DIR

Needs `pip install pyinstrument psutil` (not project dependencies) and tmux
for the first-frame benchmark. Everything runs in a temporary folder with its
own STEPWISE_HOME; nothing outside it is touched.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.perf.harness import PROFILE_ENV, Figure, render_table

BENCHMARKS = {
    "first_frame": "tests.perf.bench_first_frame",
    "launch": "tests.perf.bench_launch",
    "streaming": "tests.perf.bench_streaming",
    "long_session": "tests.perf.bench_long_session",
    "diff": "tests.perf.bench_diff",
    "search": "tests.perf.bench_search",
    "checkpoints": "tests.perf.bench_checkpoints",
    "tokens": "tests.perf.bench_tokens",
    "compaction": "tests.perf.bench_compaction",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", metavar="BENCH", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write pyinstrument reports into DIR")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    missing = [name for name in ("pyinstrument", "psutil") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"the benchmarks need {' and '.join(missing)}: pip install pyinstrument psutil", file=sys.stderr)
        return 2
    if args.profile:
        os.environ[PROFILE_ENV] = str(args.profile.resolve())
    figures: list[Figure] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="stepwise-perf-") as tmp:
        os.environ["STEPWISE_HOME"] = str(Path(tmp) / "home")
        for name in args.only or list(BENCHMARKS):
            work = Path(tmp) / name
            work.mkdir()
            start = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            try:
                figures.extend(importlib.import_module(BENCHMARKS[name]).run(work))
            except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
                failed.append(name)
                traceback.print_exc()
            print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(render_table(figures))
    misses = sum(1 for f in figures if f.passed is False)
    print(
        f"\n{len(figures)} figures, {misses} MISS"
        + (f"; benchmarks that failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
