"""`stepwise replay SESSION [--verify [--rerun-commands]]`."""

from __future__ import annotations

import argparse
import sys

from tui.engine.session_log import SessionLogError, find_session, read_session


def run(args: argparse.Namespace) -> int:
    try:
        record = read_session(find_session(args.session))
    except SessionLogError as exc:
        print(f"stepwise: {exc}", file=sys.stderr)
        return 2
    for problem in record.problems:
        print(f"stepwise: warning: {problem}", file=sys.stderr)
    if args.verify:
        return _verify(record, args.rerun_commands)
    from tui.replay.app import ReplayApp

    ReplayApp(record, theme=args.theme).run()
    return 0


def _verify(record, rerun_commands: bool) -> int:
    from tui.replay.verify import VerifyError, verify

    def report(result) -> None:
        print(f"step {result.step:>3}: {'OK' if result.ok else 'DIVERGED':<8} {result.label}")
        if result.detail:
            print(result.detail)

    try:
        results = verify(record, rerun_commands=rerun_commands, report=report)
    except VerifyError as exc:
        print(f"stepwise: cannot verify {record.header.session_id}: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"verify: diverged at step {failed[0].step}", file=sys.stderr)
        return 1
    print(f"verify: all {len(results)} steps match their checkpoints")
    return 0
