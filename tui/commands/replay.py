"""`stepwise replay SESSION [--verify [--rerun-commands]]`."""

from __future__ import annotations

import argparse
import sys

from tui.commands.session_ref import open_record


def run(args: argparse.Namespace) -> int:
    record = open_record(args.session)
    if record is None:
        return 2
    if args.verify:
        return _verify(record, args.rerun_commands, args.cwd)
    from tui.replay.app import ReplayApp

    ReplayApp(record, theme=args.theme).run()
    return 0


def _verify(record, rerun_commands: bool, repo) -> int:
    from tui.replay.verify import VerifyError, verify

    def report(result) -> None:
        print(f"step {result.step:>3}: {'OK' if result.ok else 'DIVERGED':<8} {result.label}")
        if result.detail:
            print(result.detail)

    try:
        results = verify(record, rerun_commands=rerun_commands, report=report, repo=repo)
    except VerifyError as exc:
        print(f"stepwise: cannot verify {record.header.session_id}: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"verify: diverged at step {failed[0].step}", file=sys.stderr)
        return 1
    print(f"verify: all {len(results)} steps match their checkpoints")
    return 0
