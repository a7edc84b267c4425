"""`stepwise export SESSION --format md|html|json [-o FILE]`."""

from __future__ import annotations

import argparse
import sys

from tui.engine.session_log import SessionLogError, find_session, read_session


def run(args: argparse.Namespace) -> int:
    from tui.replay.export import FORMATS

    try:
        record = read_session(find_session(args.session))
    except SessionLogError as exc:
        print(f"stepwise: {exc}", file=sys.stderr)
        return 2
    for problem in record.problems:
        print(f"stepwise: warning: {problem}", file=sys.stderr)
    text = FORMATS[args.format](record)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
