"""Finding and stopping every process a command started, also those that left its process group.

A command can leave processes behind that its process group does not hold:
`setsid x &`, `nohup x &`, a daemon that double-forks, `env -i` to drop the
environment. On Linux stepwise makes itself a child subreaper
(`prctl(PR_SET_CHILD_SUBREAPER)`), so such orphans are re-parented to stepwise
instead of init and stay findable. A process belongs to a command when any of
these holds:

- it carries the command's marker in its environment (`STEPWISE_COMMAND`);
- it is in the command's session (every command starts a session of its own);
- it descends from one of the above;
- it is an orphan re-parented to stepwise, outside stepwise's own session,
  that started while the command ran (nothing stepwise itself starts, such as
  git or a search, leaves stepwise's session).

Where `/proc` does not exist (not Linux), nothing beyond the process group is found.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MARKER = "STEPWISE_COMMAND"
"""The environment variable each command and its descendants carry: `<stepwise pid>-<n>`."""
_PR_SET_CHILD_SUBREAPER = 36
_PROC = Path("/proc")
_POLL_S = 0.02


@dataclass(frozen=True)
class ProcessInfo:
    """One process as /proc shows it."""

    pid: int
    ppid: int
    sid: int
    state: str
    """`R`, `S`, ... `Z` for a zombie."""
    start: float
    """When it started, in seconds since boot (`now()` is on the same clock)."""
    command: str
    """Its command line, arguments joined by spaces (the name in brackets when it has none)."""


@cache
def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); whether that worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


@cache
def _ticks_per_second() -> int:
    return os.sysconf("SC_CLK_TCK")


def now() -> float:
    """Seconds since boot, the clock of `ProcessInfo.start`."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


@dataclass
class Owner:
    """What makes a process one command's: its marker, its session, the time it ran."""

    marker: str
    """Its `STEPWISE_COMMAND` value."""
    sessions: frozenset[int]
    started: float
    """When the command's shell started (`ProcessInfo.start`)."""
    ended: float | None = None
    """None while it runs."""


def process_info(pid: int) -> ProcessInfo | None:
    """`pid` as /proc shows it, or None when it is gone (or there is no /proc)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    # The name in parentheses may itself hold spaces and parentheses: split at the last ')'.
    name = stat[stat.find("(") + 1 : stat.rfind(")")]
    fields = stat[stat.rfind(")") + 2 :].split()
    command = " ".join(os.fsdecode(part) for part in raw.split(b"\0") if part) or f"[{name}]"
    start = int(fields[19]) / _ticks_per_second()
    return ProcessInfo(pid=pid, ppid=int(fields[1]), sid=int(fields[3]), state=fields[0], start=start, command=command)


def all_processes() -> list[ProcessInfo]:
    """Every process visible in /proc (empty where there is no /proc)."""
    found = []
    try:
        entries = os.listdir(_PROC)
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit() and (info := process_info(int(entry))) is not None:
            found.append(info)
    return found


def _marker_of(pid: int) -> str | None:
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    prefix = f"{MARKER}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return os.fsdecode(entry[len(prefix) :])
    return None


def command_processes(owners: list[Owner], exclude: set[int]) -> list[ProcessInfo]:
    """The live processes that belong to any of `owners` (see the module docstring), by pid.

    `exclude` are processes someone else waits for (the commands' own shells): they are neither
    returned nor stopped here, but their descendants are found.
    """
    me = os.getpid()
    my_sid = os.getsid(0)
    markers = {owner.marker for owner in owners}
    sessions = {sid for owner in owners for sid in owner.sessions}
    processes = [p for p in all_processes() if p.pid != me and p.state != "Z"]
    found: dict[int, ProcessInfo] = {}
    for proc in processes:
        orphan = proc.ppid == me and proc.sid != my_sid
        if (
            proc.sid in sessions
            or _marker_of(proc.pid) in markers
            or (orphan and any(_ran_during(proc, owner) for owner in owners))
        ):
            found[proc.pid] = proc
    # Descendants of what was found, to any depth (a child that dropped the marker and the session).
    children: dict[int, list[ProcessInfo]] = {}
    for proc in processes:
        children.setdefault(proc.ppid, []).append(proc)
    todo = [*found, *exclude]
    while todo:
        for child in children.get(todo.pop(), []):
            if child.pid not in found and child.pid not in exclude:
                found[child.pid] = child
                todo.append(child.pid)
    return sorted((p for pid, p in found.items() if pid not in exclude), key=lambda p: p.pid)


def _ran_during(proc: ProcessInfo, owner: Owner) -> bool:
    # Start times are whole clock ticks; `started` is the command shell's own start time.
    tick = 1 / _ticks_per_second()
    return owner.started <= proc.start and (owner.ended is None or proc.start <= owner.ended + tick)


def stop(processes: list[ProcessInfo], grace_s: float, group: int | None = None) -> None:
    """SIGTERM `processes` (and the process `group`), SIGKILL what still runs after `grace_s`, and reap
    those re-parented to us.

    Polls their state (bounded by `grace_s`, then again after SIGKILL); blocking, so callers in the
    event loop run it in a thread.
    """
    pids = {p.pid for p in processes}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if group is not None:
            _signal_group(group, sig)
        for pid in pids:
            _signal(pid, sig)
        if _wait_gone(pids, group, grace_s):
            return


def _wait_gone(pids: set[int], group: int | None, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        _reap(pids)
        if not any(_running(pid) for pid in pids) and (group is None or not _group_running(group)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_S)


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs (zombies waiting for their parent do not count)."""
    if not _PROC.is_dir():
        return _signal_group(group, 0)
    return any(p.state != "Z" for p in all_processes() if _pgid(p.pid) == group)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _reap(pids: set[int]) -> None:
    """Collect the exit status of those of `pids` that are our children (orphans re-parented to us)."""
    me = os.getpid()
    for pid in pids:
        info = process_info(pid)
        if info is not None and info.ppid == me and info.state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def _running(pid: int) -> bool:
    info = process_info(pid)
    if info is None:
        return _signal(pid, 0) if not _PROC.is_dir() else False
    return info.state != "Z"


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def describe_processes(processes: list[ProcessInfo] | tuple[ProcessInfo, ...], limit: int = 5) -> str:
    """`sleep 300 (pid 12), ...` for telling the user and the model what was still running."""
    shown = [f"{_short(p.command)} (pid {p.pid})" for p in processes[:limit]]
    if len(processes) > limit:
        shown.append(f"and {len(processes) - limit} more")
    return ", ".join(shown)


def _short(command: str, width: int = 80) -> str:
    # Not escaped here: each place that shows it (print mode's `say`, the chat) writes controls out.
    return command if len(command) <= width else command[: width - 3] + "..."


def _signal_group(group: int, sig: int) -> bool:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True
