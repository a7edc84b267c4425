"""`stepwise export SESSION --format md|html|json [-o FILE]`."""

from __future__ import annotations

import argparse
import sys

from tui.commands.session_ref import open_record


def run(args: argparse.Namespace) -> int:
    from tui.presentation.export import FORMATS

    record = open_record(args.session)
    if record is None:
        return 2
    text = FORMATS[args.format](record)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
