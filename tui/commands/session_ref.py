"""Opening the session a sub-command names (an id, an id prefix or a path)."""

from __future__ import annotations

import sys

from tui.engine.session.log import SessionLogError, SessionRecord, find_session, read_session


def open_record(ref: str) -> SessionRecord | None:
    """The session's record, its skipped lines reported on stderr; None (reported) when it cannot be read."""
    try:
        record = read_session(find_session(ref))
    except SessionLogError as exc:
        print(f"stepwise: {exc}", file=sys.stderr)
        return None
    for problem in record.problems:
        print(f"stepwise: warning: {problem}", file=sys.stderr)
    return record
