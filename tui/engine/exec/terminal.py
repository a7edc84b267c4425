"""Running shell commands: process groups, timeouts, output caps, background terminals.

Every command runs in its own session (process group) and carries a marker in
its environment, so that a timeout, a cancel or the end of the session can stop
everything it started, also what left the group (`setsid`, `nohup`, `&`,
daemons: see `reaper`). What a command leaves running when it exits is stopped
too and named in its result. What goes back to the model is sanitised (no
terminal escape sequences) and capped, keeping the head and the tail of long
output.
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import itertools
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.exec import guard, reaper
from tui.engine.exec.guard import GuardReport
from tui.engine.exec.reaper import Owner, ProcessInfo
from tui.engine.exec.sandbox import LEFTOVER_REPORT, Sandbox
from tui.engine.exec.terminal_text import StreamSanitizer

DEFAULT_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 600.0
MAX_OUTPUT_CHARS = 30_000
KILL_GRACE_S = 2.0
"""How long a process group gets between SIGTERM and SIGKILL."""
DRAIN_GRACE_S = 1.0
"""How long output may keep flowing after the shell exits (from children it left behind)."""

SANDBOX_FAILURES = (
    "Read-only file system",
    "Device or resource busy",  # renaming over, or removing, a read-only mount (`git config`'s lock file)
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Could not resolve host",
    "Name or service not known",
)
"""What a command prints when the sandbox stopped it (a write outside the workspace, the network)."""

_READ_CHUNK = 65536
_POLL_S = 0.02
_managers = itertools.count(1)


class OutputBuffer:
    """Keeps the head and the tail of a stream, counting what falls in between."""

    def __init__(self, max_chars: int = MAX_OUTPUT_CHARS) -> None:
        self._half = max(1, max_chars // 2)
        self._head = ""
        self._tail = ""
        self.total = 0

    def append(self, text: str) -> None:
        if not text:
            return
        self.total += len(text)
        room = self._half - len(self._head)
        if room > 0:
            self._head += text[:room]
            text = text[room:]
        self._tail += text
        # Trim lazily so that many small appends stay linear.
        if len(self._tail) > 2 * self._half:
            self._tail = self._tail[-self._half :]

    @property
    def cut(self) -> int:
        return self.total - len(self._head) - min(len(self._tail), self._half)

    def render(self) -> str:
        """The text, with a marker saying how much was cut from the middle."""
        cut = self.cut
        if cut <= 0:
            return self._head + self._tail
        return f"{self._head}\n[... {cut:,} characters cut ...]\n{self._tail[-self._half :]}"


@dataclass(frozen=True)
class CommandResult:
    """How a command ended and what it printed."""

    exit_code: int | None
    """The exit status; negative when a signal ended it; None when it never finished."""
    output: str
    """Sanitised and capped stdout and stderr, interleaved."""
    timed_out: bool
    cancelled: bool
    duration_ms: int
    truncated: bool
    leftovers: tuple[ProcessInfo, ...] = ()
    """Processes still running when the command ended (it exited, timed out or was cancelled); all stopped."""
    sandboxed: bool = False
    guard: GuardReport | None = None
    """What the command changed in control files and git's config and hooks, and was undone."""

    @property
    def sandbox_failure(self) -> str:
        """Why the sandbox, not the command itself, most likely made it fail; empty when it did not."""
        if not self.sandboxed or self.cancelled or self.timed_out:
            return ""
        if self.guard:
            return "it changed files that configure git or an agent, which the sandbox keeps as they are"
        if self.exit_code == 0:
            return ""
        sign = next((sign for sign in SANDBOX_FAILURES if sign in self.output), None)
        return (
            f"it printed {sign!r}: the sandbox keeps everything but the workspace read-only and has no network"
            if sign
            else ""
        )


class UnknownTerminal(StepwiseError, LookupError):
    """No background terminal has that id."""


@dataclass
class _Background:
    """A command running in a background terminal, and its output so far."""

    command: str
    process: asyncio.subprocess.Process
    owner: Owner
    buffer: OutputBuffer
    task: asyncio.Task[None] | None = None
    exit_code: int | None = None
    running: bool = True
    started: float = field(default_factory=time.monotonic)


class TerminalManager:
    """Runs commands for the agent and tracks its background terminals."""

    def __init__(
        self,
        *,
        max_output_chars: int = MAX_OUTPUT_CHARS,
        kill_grace_s: float = KILL_GRACE_S,
        drain_grace_s: float = DRAIN_GRACE_S,
        sandbox: Sandbox | None = None,
        env: dict[str, str] | None = None,
        root: Path | None = None,
        extra_roots: tuple[Path, ...] = (),
    ) -> None:
        self.max_output_chars = max_output_chars
        self.env = dict(env or {})
        """Set for every command (settings `env`), under stepwise's own no-pager variables."""
        self.kill_grace_s = kill_grace_s
        self.drain_grace_s = drain_grace_s
        self.sandbox = sandbox
        """When set, every command runs inside it (and fails, unrun, when it is unavailable)."""
        self.root = root
        """The workspace: when set, its control files and git config and hooks are guarded (`guard`)."""
        self.extra_roots = extra_roots
        """Additional directories, guarded like the workspace."""
        self._background: dict[str, _Background] = {}
        self._ids = itertools.count(1)
        self._owners: list[Owner] = []
        """Every command started, so that the end of the session finds what each left behind."""
        self._marker = f"{os.getpid()}.{next(_managers)}"
        reaper.become_subreaper()

    async def run(
        self,
        command: str,
        cwd: Path,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_output: Callable[[str], None] | None = None,
        cancel: asyncio.Event | None = None,
        *,
        outside_sandbox: bool = False,
        guarded: bool = True,
    ) -> CommandResult:
        """Run `command` in a shell in `cwd` and wait for it (or the timeout, or `cancel`).

        Output is passed to `on_output` as it arrives. On timeout or cancel the
        whole process group gets SIGTERM, then SIGKILL after the grace period.
        `outside_sandbox` runs it without the sandbox (the user approved exactly
        that); `guarded=False` lets it change protected files (a command the
        user approved in person, run without the sandbox).
        """
        started = time.monotonic()
        buffer = OutputBuffer(self.max_output_chars)
        sandboxed = self.sandbox is not None and not outside_sandbox
        # Inside the sandbox the guard always holds: only a run outside it, approved as such, escapes.
        before = await self._guard_snapshot() if guarded or sandboxed else None
        process, owner, report = await self._spawn(command, cwd, sandboxed=sandboxed)
        pump = asyncio.create_task(_pump(process, buffer, on_output))
        finished = asyncio.create_task(_wait_all(process, pump, self.drain_grace_s))
        cancel_wait = asyncio.create_task((cancel or asyncio.Event()).wait())
        timed_out = cancelled = False
        try:
            done, _ = await asyncio.wait(
                {finished, cancel_wait}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if finished not in done:
                cancelled, timed_out = cancel_wait in done, cancel_wait not in done
            # Whatever still runs now (held the output open, detached, or the whole command on a
            # timeout) is stopped and named.
            leftovers = await self._stop(process, owner)
            await _finish_pump(pump, self.kill_grace_s)
        except asyncio.CancelledError:
            await self._stop(process, owner)
            pump.cancel()
            raise
        finally:
            for task in (finished, cancel_wait):
                task.cancel()
            sandbox_leftovers = _read_report(report)
            undone = await asyncio.to_thread(guard.restore, before) if before is not None else None
        return CommandResult(
            exit_code=process.returncode if not (timed_out or cancelled) else None,
            output=buffer.render(),
            timed_out=timed_out,
            cancelled=cancelled,
            duration_ms=int((time.monotonic() - started) * 1000),
            truncated=buffer.cut > 0,
            leftovers=tuple(leftovers) + sandbox_leftovers,
            sandboxed=sandboxed,
            guard=undone or None,
        )

    async def start_background(self, command: str, cwd: Path, on_output: Callable[[str], None] | None = None) -> str:
        """Start `command` without waiting for it; returns the id for `output`."""
        process, owner, report = await self._spawn(command, cwd, sandboxed=self.sandbox is not None)
        if report is not None:
            os.close(report)  # what a background terminal leaves is found when it is stopped
        term_id = f"term-{next(self._ids)}"
        entry = _Background(command=command, process=process, owner=owner, buffer=OutputBuffer(self.max_output_chars))

        async def follow() -> None:
            try:
                await _pump(process, entry.buffer, on_output)
                entry.exit_code = await process.wait()
            finally:
                entry.running = False

        entry.task = asyncio.create_task(follow())
        self._background[term_id] = entry
        return term_id

    def output(self, term_id: str) -> tuple[str, bool, int | None]:
        """(output so far, still running, exit code) of a background terminal.

        Raises:
            UnknownTerminal: no background terminal has this id.
        """
        entry = self._entry(term_id)
        return entry.buffer.render(), entry.running, entry.exit_code

    def _entry(self, term_id: str) -> _Background:
        entry = self._background.get(term_id)
        if entry is None:
            known = ", ".join(self._background) or "none"
            raise UnknownTerminal(f"no background terminal with id {term_id!r} (known ids: {known})")
        return entry

    async def wait(self, term_id: str) -> int | None:
        """Wait for a background terminal to finish; its exit code."""
        entry = self._entry(term_id)
        if entry.task is not None:
            await asyncio.shield(entry.task)
        return entry.exit_code

    async def kill(self, term_id: str) -> list[ProcessInfo]:
        """Stop a background terminal: its shell and everything it started; what was still running."""
        entry = self._entry(term_id)
        stopped = await self._stop(entry.process, entry.owner, shell_command=entry.command)
        if entry.task is not None:
            await _finish_pump(entry.task, self.kill_grace_s)
        return stopped

    async def close(self) -> list[ProcessInfo]:
        """Stop every background terminal and whatever any command left running; what was stopped."""
        stopped: list[ProcessInfo] = []
        for term_id, entry in list(self._background.items()):
            if entry.running:
                stopped += await self.kill(term_id)
        now = reaper.now()
        for owner in self._owners:
            if owner.ended is None:
                owner.ended = now
        found = await asyncio.to_thread(reaper.command_processes, self._owners, set())
        if found:
            await asyncio.to_thread(reaper.stop, found, self.kill_grace_s)
        return stopped + found

    async def _spawn(
        self, command: str, cwd: Path, *, sandboxed: bool
    ) -> tuple[asyncio.subprocess.Process, Owner, int | None]:
        """Start `command`; its process, its owner (for the reaper), and the sandbox's report pipe."""
        marker = f"{self._marker}-{len(self._owners) + 1}"
        report = None
        if sandboxed:
            report, write_end = os.pipe()
            os.set_blocking(report, False)
        try:
            sandbox = self.sandbox if sandboxed else None
            process = await _spawn(command, cwd, sandbox, self.env, marker, write_end if report is not None else None)
        except BaseException:
            if report is not None:
                os.close(report)
            raise
        finally:
            if report is not None:
                os.close(write_end)
        shell = reaper.process_info(process.pid)
        owner = Owner(marker=marker, sessions=frozenset({process.pid}), started=shell.start if shell else reaper.now())
        self._owners.append(owner)
        return process, owner, report

    async def _guard_snapshot(self) -> guard.Snapshot | None:
        if self.root is None:
            return None
        return await asyncio.to_thread(guard.snapshot, self.root, self.extra_roots)

    async def _stop(
        self, process: asyncio.subprocess.Process, owner: Owner, *, shell_command: str | None = None
    ) -> list[ProcessInfo]:
        """Stop the command's process group and every process it left elsewhere; those that still ran.

        The shell itself is left out of the answer unless `shell_command` names it (a background
        terminal, named by its command; asyncio reaps the shell, stopped with its group).
        """
        shell = reaper.process_info(process.pid) if shell_command and process.returncode is None else None
        if shell is not None and shell_command is not None:
            shell = dataclasses.replace(shell, command=shell_command)
        if owner.ended is None and process.returncode is not None:
            owner.ended = reaper.now()
        found = await asyncio.to_thread(reaper.command_processes, [owner], {process.pid})
        # One signal for the group (the shell, its children) and what left it, so that the shell does
        # not see its children die first; orphans re-parented to us are reaped on the way.
        await asyncio.to_thread(reaper.stop, found, self.kill_grace_s, process.pid)
        await _exited(process, self.kill_grace_s)
        if owner.ended is None:
            owner.ended = reaper.now()
        return ([shell] if shell else []) + [p for p in found if not _sandbox_machinery(p)]


def _shell() -> str:
    return shutil.which("bash") or "/bin/sh"


def _command_env(extra: dict[str, str], marker: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    # Commands run without a terminal: no pagers, no editors, no colour negotiation.
    env.update(TERM="dumb", PAGER="cat", GIT_PAGER="cat", GIT_EDITOR="true")
    env[reaper.MARKER] = marker
    return env


async def _spawn(
    command: str, cwd: Path, sandbox: Sandbox | None, env: dict[str, str], marker: str, report_fd: int | None
) -> asyncio.subprocess.Process:
    argv = [_shell(), "-c", command]
    if sandbox is not None:
        argv = sandbox.wrap(argv, cwd, report_fd)
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_command_env(env, marker),
        start_new_session=True,
        pass_fds=(report_fd,) if report_fd is not None else (),
    )


def _read_report(report: int | None) -> tuple[ProcessInfo, ...]:
    """What the sandbox's wrapper said the command left running (pids inside its PID namespace)."""
    if report is None:
        return ()
    data = b""
    try:
        while chunk := os.read(report, _READ_CHUNK):
            data += chunk
    except BlockingIOError:
        pass  # the wrapper was killed before it could report (timeout, cancel): found by the reaper
    finally:
        os.close(report)
    found = []
    for line in data.decode("utf-8", "replace").splitlines():
        pid, _, command = line.partition("\t")
        if pid.isdigit():
            found.append(ProcessInfo(pid=int(pid), ppid=0, sid=0, state="S", start=0.0, command=command))
    return tuple(found)


def _sandbox_machinery(process: ProcessInfo) -> bool:
    """bubblewrap itself and the wrapper shell inside it: stopped with the command, never named."""
    bwrap = shutil.which("bwrap") or "bwrap"
    if process.command in ("[bwrap]", bwrap) or process.command.startswith(("bwrap ", bwrap + " ")):
        return True
    return f" {LEFTOVER_REPORT} " in process.command


async def _pump(
    process: asyncio.subprocess.Process, buffer: OutputBuffer, on_output: Callable[[str], None] | None
) -> None:
    """Copy the process output into `buffer` (and `on_output`) until EOF."""
    assert process.stdout is not None
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    sanitizer = StreamSanitizer()

    def emit(text: str) -> None:
        if text:
            buffer.append(text)
            if on_output is not None:
                on_output(text)

    try:
        while chunk := await process.stdout.read(_READ_CHUNK):
            emit(sanitizer.feed(decoder.decode(chunk)))
    finally:
        emit(sanitizer.feed(decoder.decode(b"", final=True)) + sanitizer.flush())


async def _wait_all(process: asyncio.subprocess.Process, pump: asyncio.Task[None], drain_s: float) -> None:
    """Wait for the shell to exit and its output to end, or `drain_s` past the exit for the output."""
    # `Process.wait()` also waits for the pipes to close, which a child left running
    # in the background would delay forever, so the exit is watched by its return code.
    while process.returncode is None and not pump.done():
        await asyncio.wait({pump}, timeout=_POLL_S)
    try:
        await asyncio.wait_for(asyncio.shield(pump), drain_s)
    except TimeoutError:
        return  # a process it left behind holds the output open: the caller stops it
    await process.wait()


async def _exited(process: asyncio.subprocess.Process, timeout_s: float) -> None:
    """Wait until the shell has exited (not for its pipes), at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while process.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)


async def _finish_pump(pump: asyncio.Task[None], grace_s: float) -> None:
    """Let the reader drain what the killed group wrote; give up on processes that escaped it."""
    try:
        await asyncio.wait_for(asyncio.shield(pump), grace_s)
    except TimeoutError:
        pump.cancel()
