"""`stepwise sessions [--json]`: the recorded sessions of this workspace."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from tui.engine.agents.discovery import project_root
from tui.engine.session.events import AssistantMessage, EditApplied, UserMessage
from tui.engine.session.log import SessionLogError, list_sessions, read_session


@dataclass
class SessionSummary:
    id: str
    started: str
    agent: str
    model: str
    turns: int
    edits: int
    cost_usd: float
    path: str


def summarize(path: Path) -> SessionSummary:
    record = read_session(path)
    events = record.events
    return SessionSummary(
        id=record.header.session_id,
        started=datetime.datetime.fromtimestamp(record.header.ts).isoformat(timespec="seconds"),
        agent=record.header.agent,
        model=record.header.model,
        turns=sum(isinstance(e, UserMessage) for e in events),
        edits=sum(isinstance(e, EditApplied) for e in events),
        cost_usd=round(sum(e.cost_usd for e in events if isinstance(e, AssistantMessage)), 6),
        path=str(path),
    )


def run(args: argparse.Namespace) -> int:
    summaries = []
    for path, _ in list_sessions(None if args.all else project_root(args.cwd)):
        try:
            summaries.append(summarize(path))
        except SessionLogError as exc:
            print(f"stepwise: warning: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps({"sessions": [asdict(s) for s in summaries]}, indent=2))
        return 0
    if not summaries:
        print("No sessions recorded in this workspace yet.")
        return 0
    print(f"{'ID':<23} {'STARTED':<19} {'AGENT':<16} {'TURNS':>5} {'EDITS':>5} {'COST':>8}  MODEL")
    for s in summaries:
        print(f"{s.id:<23} {s.started:<19} {s.agent[:16]:<16} {s.turns:>5} {s.edits:>5} ${s.cost_usd:>7.4f}  {s.model}")
    return 0

