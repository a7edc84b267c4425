"""Append-only JSONL session files.

One file per session under the sessions folder: a versioned `session` header,
then one event per line (the wire format of `tui.engine.session.events`). Each event is
written with a single `write` and flushed at once, so a crash (even SIGKILL)
loses at most the line being written. The reader ignores a torn last line and
reports, then skips, a corrupt line anywhere else.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.config.home import sessions_dir
from tui.engine.errors import StepwiseError
from tui.engine.session.events import AssistantMessage, Error, Event, SessionHeader, event_from_dict, event_to_dict


class SessionLogError(StepwiseError, RuntimeError):
    """The session file cannot be written or read."""


def new_session_id() -> str:
    """A sortable, unique id: UTC start time plus random hex."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class SessionWriter:
    """Appends events to one session file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            self._drop_torn_tail()
        except OSError as exc:
            raise SessionLogError(f"cannot open the session log {path}: {exc.strerror}") from exc

    def _drop_torn_tail(self) -> None:
        """Cut a line a crash left half-written, so the next event starts on a line of its own."""
        end = os.lseek(self._fd, 0, os.SEEK_END)
        position = end
        while position > 0:
            start = max(0, position - 4096)
            chunk = os.pread(self._fd, position - start, start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                position = start + newline + 1
                break
            position = start
        if position != end:
            os.ftruncate(self._fd, position)

    def write(self, event: Event) -> None:
        """Append one event.

        Raises:
            SessionLogError: the line could not be written (for example a full
                disk); the file is cut back so it holds only whole events.
        """
        line = (json.dumps(event_to_dict(event), ensure_ascii=False, default=str) + "\n").encode()
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(28, "short write")
        except OSError as exc:
            # The reader drops a torn last line anyway.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise SessionLogError(f"could not write to the session log {self.path}: {exc.strerror or exc}") from exc

    def sync(self) -> None:
        """Push written events to stable storage (called at turn ends, not per event)."""
        with contextlib.suppress(OSError):
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass
class SessionRecord:
    """A session file as read back."""

    path: Path
    header: SessionHeader
    events: list[Event]
    problems: list[str] = field(default_factory=list)
    """Corrupt lines that were skipped, as `path:line: reason`."""


def read_session(path: Path) -> SessionRecord:
    """Read a session file tolerantly.

    Raises:
        SessionLogError: the file is missing or has no valid header.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionLogError(f"cannot read session {path}: {exc.strerror}") from exc
    lines = raw.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline
    events: list[Event] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            events.append(event_from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            problems.append(f"{path}:{number}: skipped a corrupt line ({exc})")
    if torn.strip():
        # A torn last line is what a crash mid-write leaves; a complete one
        # only lacks its newline, so keep it if it parses.
        with contextlib.suppress(ValueError, TypeError):
            events.append(event_from_dict(json.loads(torn)))
    if not events or not isinstance(events[0], SessionHeader):
        raise SessionLogError(f"{path} is not a stepwise session (no session header)")
    header = events.pop(0)
    assert isinstance(header, SessionHeader)
    return SessionRecord(path=path, header=header, events=events, problems=problems)


def failed_before_model(events: list[Event]) -> bool:
    """A run that ended in an error before any reply from the model (no API key, say): nothing to list or continue.

    A session cut off by a crash before the first reply has no such error, and stays resumable.
    """
    replied = any(isinstance(event, AssistantMessage) for event in events)
    return not replied and any(isinstance(event, Error) and event.fatal for event in events)


def read_header(path: Path) -> SessionHeader | None:
    """Only the header line, cheaply; None when the file is not a session."""
    try:
        with path.open("rb") as handle:
            first = handle.readline()
        event = event_from_dict(json.loads(first))
    except (OSError, ValueError, TypeError):
        return None
    return event if isinstance(event, SessionHeader) else None


def session_path(session_id: str, folder: Path | None = None) -> Path:
    return (folder or sessions_dir()) / f"{session_id}.jsonl"


def list_sessions(workspace: Path | None = None, folder: Path | None = None) -> list[tuple[Path, SessionHeader]]:
    """Sessions (oldest first), only those of `workspace` when given."""
    base = folder or sessions_dir()
    if not base.is_dir():
        return []
    wanted = str(workspace.resolve()) if workspace else None
    found = []
    for path in sorted(base.glob("*.jsonl")):
        header = read_header(path)
        if header and (wanted is None or header.workspace == wanted):
            found.append((path, header))
    return found


def find_session(ref: str, folder: Path | None = None) -> Path:
    """A session file by path, id or unique id prefix.

    Raises:
        SessionLogError: no session, or the prefix is ambiguous.
    """
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate
    if "/" in ref or os.sep in ref or candidate.suffix == ".jsonl":
        raise SessionLogError(f"no session file {ref}")
    base = folder or sessions_dir()
    exact = session_path(ref, base)
    if exact.is_file():
        return exact
    matches = sorted(base.glob(f"{glob.escape(ref)}*.jsonl")) if base.is_dir() and ref else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SessionLogError(f"no session {ref!r} in {base}; `stepwise sessions` lists them")
    raise SessionLogError(f"{ref!r} matches {len(matches)} sessions; give more of the id")
