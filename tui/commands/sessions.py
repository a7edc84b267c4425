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
from tui.engine.session.log import SessionLogError, failed_before_model, list_sessions, read_session

PREVIEW = 48
"""Characters of the first prompt shown in the `/resume` picker."""


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
    first_prompt: str
    failed_before_model: bool
    """A run that ended in an error before any model reply (no API key, say): not listed, not continued."""


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
        first_prompt=next((e.text for e in events if isinstance(e, UserMessage)), ""),
        failed_before_model=failed_before_model(events),
    )


def count(number: int, noun: str) -> str:
    """`1 turn`, `2 turns`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def workspace_sessions(root: Path) -> list[SessionSummary]:
    """The sessions of `root` that reached the model, oldest first; unreadable ones are skipped."""
    found = []
    for path, _ in list_sessions(root):
        try:
            summary = summarize(path)
        except SessionLogError:
            continue
        if not summary.failed_before_model:
            found.append(summary)
    return found


def resume_choices(root: Path) -> list[tuple[str, str]]:
    """(id, label) of `root`'s sessions for the `/resume` picker, newest first, with a preview of the first prompt."""
    choices = []
    for s in reversed(workspace_sessions(root)):
        prompt = " ".join(s.first_prompt.split())
        preview = prompt if len(prompt) <= PREVIEW else prompt[: PREVIEW - 1] + "…"
        label = f"{s.started}  {s.agent}  {count(s.turns, 'turn')}  {count(s.edits, 'edit')}  “{preview}”"
        choices.append((s.id, label))
    return choices


def run(args: argparse.Namespace) -> int:
    summaries = []
    for path, _ in list_sessions(None if args.all else project_root(args.cwd)):
        try:
            summary = summarize(path)
        except SessionLogError as exc:
            print(f"stepwise: warning: {exc}", file=sys.stderr)
            continue
        if not summary.failed_before_model:
            summaries.append(summary)
    if args.json:
        print(json.dumps({"sessions": [asdict(s) for s in summaries]}, indent=2))
        return 0
    if not summaries:
        where = "recorded yet" if args.all else f"recorded in {project_root(args.cwd)} yet"
        hint = "" if args.all else " (`stepwise sessions --all` lists every workspace's, the demo's included)"
        print(f"No sessions {where}{hint}.")
        return 0
    print(f"{'ID':<23} {'STARTED':<19} {'AGENT':<16} {'TURNS':>5} {'EDITS':>5} {'COST':>8}  MODEL")
    for s in summaries:
        print(f"{s.id:<23} {s.started:<19} {s.agent[:16]:<16} {s.turns:>5} {s.edits:>5} ${s.cost_usd:>7.4f}  {s.model}")
    return 0
