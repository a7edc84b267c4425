"""Running shell commands: process groups, timeouts, output caps, background terminals.

Every command runs in its own session (process group) so that a timeout, a
cancel or quitting the app can stop everything it started, children included.
What goes back to the model is sanitised (no terminal escape sequences) and
capped, keeping the head and the tail of long output.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.exec.sandbox import Sandbox

DEFAULT_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 600.0
MAX_OUTPUT_CHARS = 30_000
KILL_GRACE_S = 2.0
"""How long a process group gets between SIGTERM and SIGKILL."""
DRAIN_GRACE_S = 1.0
"""How long output may keep flowing after the shell exits (from children it left behind)."""

_READ_CHUNK = 65536
_POLL_S = 0.02

_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                      # CSI: colours, cursor moves
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?    # OSC: titles, hyperlinks
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c\n]* (?:\x1b\\|\x9c)?  # DCS, SOS, PM, APC
    | \x1b [ -/]* [0-~]                                        # other ESC sequences (charset, keypad)
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PARTIAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b\n]*|[PX^_][^\x1b\n]*|[ -/]*)\Z")
_MAX_CARRY = 4096
"""Held-back text (a cut escape sequence, a progress line) is released past this size."""


_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
"""Characters a terminal interprets or does not show: controls (ESC, `\\r`, C1), bidi overrides and
isolates, zero-width and line-separator characters. Newlines and tabs are text."""


def show_controls(text: str) -> str:
    """`text` with every character a terminal would interpret, or not show, written out visibly:
    `\\r`, `\\x1b`, `U+202E`. Nothing is dropped, so what is shown is what is there
    (`touch p #\\r$ git status` cannot pass for `$ git status`); one character at a time, so it is
    safe on streamed chunks."""
    return _INVISIBLE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"U+{code:04X}"


def sanitize_terminal_text(text: str) -> str:
    """Text safe to show or send: escape sequences and control characters removed.

    Newlines and tabs stay. A carriage return that overwrites a line (progress
    bars) keeps only the last non-empty version of that line.
    """
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(_last_overwrite(line) for line in text.split("\n"))
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)


def _last_overwrite(line: str) -> str:
    if "\r" not in line:
        return line
    parts = [part for part in line.split("\r") if part]
    return parts[-1] if parts else ""


class _StreamSanitizer:
    """Sanitises a stream chunk by chunk.

    An escape sequence split across chunks, or a line still being redrawn, is
    held back until it is complete.
    """

    def __init__(self) -> None:
        self._carry = ""

    def feed(self, chunk: str) -> str:
        text = self._carry + chunk
        cut = len(text)
        partial = _PARTIAL_ESCAPE.search(text)
        if partial:
            cut = partial.start()
        # A line still being overwritten with \r (a progress bar) waits for its final version.
        line_start = text.rfind("\n", 0, cut) + 1
        if "\r" in text[line_start:cut]:
            cut = line_start
        if len(text) - cut > _MAX_CARRY:
            cut = len(text)
        self._carry = text[cut:]
        return sanitize_terminal_text(text[:cut])

    def flush(self) -> str:
        text, self._carry = self._carry, ""
        return sanitize_terminal_text(text)


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
    leftovers_killed: bool = False
    """The command exited but left processes holding its output open; they were stopped."""


class UnknownTerminal(StepwiseError, LookupError):
    """No background terminal has that id."""


@dataclass
class _Background:
    """A command running in a background terminal, and its output so far."""

    command: str
    process: asyncio.subprocess.Process
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
    ) -> None:
        self.max_output_chars = max_output_chars
        self.env = dict(env or {})
        """Set for every command (settings `env`), under stepwise's own no-pager variables."""
        self.kill_grace_s = kill_grace_s
        self.drain_grace_s = drain_grace_s
        self.sandbox = sandbox
        """When set, every command runs inside it (and fails, unrun, when it is unavailable)."""
        self._background: dict[str, _Background] = {}
        self._ids = itertools.count(1)

    async def run(
        self,
        command: str,
        cwd: Path,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_output: Callable[[str], None] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> CommandResult:
        """Run `command` in a shell in `cwd` and wait for it (or the timeout, or `cancel`).

        Output is passed to `on_output` as it arrives. On timeout or cancel the
        whole process group gets SIGTERM, then SIGKILL after the grace period.
        """
        started = time.monotonic()
        buffer = OutputBuffer(self.max_output_chars)
        process = await _spawn(command, cwd, self.sandbox, self.env)
        pump = asyncio.create_task(_pump(process, buffer, on_output))
        finished = asyncio.create_task(_wait_all(process, pump, self.drain_grace_s))
        cancel_wait = asyncio.create_task((cancel or asyncio.Event()).wait())
        timed_out = cancelled = leftovers = False
        try:
            done, _ = await asyncio.wait(
                {finished, cancel_wait}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if finished in done:
                leftovers = not finished.result()
            else:
                cancelled, timed_out = cancel_wait in done, cancel_wait not in done
            if timed_out or cancelled or leftovers:
                await self._kill_group(process)
                await _finish_pump(pump, self.kill_grace_s)
        except asyncio.CancelledError:
            await self._kill_group(process)
            pump.cancel()
            raise
        finally:
            for task in (finished, cancel_wait):
                task.cancel()
        return CommandResult(
            exit_code=process.returncode if not (timed_out or cancelled) else None,
            output=buffer.render(),
            timed_out=timed_out,
            cancelled=cancelled,
            duration_ms=int((time.monotonic() - started) * 1000),
            truncated=buffer.cut > 0,
            leftovers_killed=leftovers,
        )

    async def start_background(
        self, command: str, cwd: Path, on_output: Callable[[str], None] | None = None
    ) -> str:
        """Start `command` without waiting for it; returns the id for `output`."""
        process = await _spawn(command, cwd, self.sandbox, self.env)
        term_id = f"term-{next(self._ids)}"
        entry = _Background(command=command, process=process, buffer=OutputBuffer(self.max_output_chars))

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

    async def kill(self, term_id: str) -> None:
        """Stop a background terminal's whole process group."""
        entry = self._entry(term_id)
        await self._kill_group(entry.process)
        if entry.task is not None:
            await _finish_pump(entry.task, self.kill_grace_s)

    async def close(self) -> None:
        """Kill every background terminal still running."""
        for term_id, entry in list(self._background.items()):
            if entry.running:
                await self.kill(term_id)

    async def _kill_group(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after the grace period."""
        pgid = process.pid  # start_new_session makes the shell the group leader
        if not _signal_group(pgid, signal.SIGTERM):
            return
        deadline = time.monotonic() + self.kill_grace_s
        while time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
            # The exited shell stays a zombie (and keeps the group alive) until asyncio reaps it.
            if process.returncode is not None and not _group_alive(pgid):
                return
        _signal_group(pgid, signal.SIGKILL)
        await _exited(process, self.kill_grace_s)


def _shell() -> str:
    return shutil.which("bash") or "/bin/sh"


def _command_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    # Commands run without a terminal: no pagers, no editors, no colour negotiation.
    env.update(TERM="dumb", PAGER="cat", GIT_PAGER="cat", GIT_EDITOR="true")
    return env


async def _spawn(command: str, cwd: Path, sandbox: Sandbox | None, env: dict[str, str]) -> asyncio.subprocess.Process:
    argv = [_shell(), "-c", command]
    if sandbox is not None:
        argv = sandbox.wrap(argv, cwd)
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_command_env(env),
        start_new_session=True,
    )


async def _pump(
    process: asyncio.subprocess.Process, buffer: OutputBuffer, on_output: Callable[[str], None] | None
) -> None:
    """Copy the process output into `buffer` (and `on_output`) until EOF."""
    assert process.stdout is not None
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    sanitizer = _StreamSanitizer()

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


async def _wait_all(process: asyncio.subprocess.Process, pump: asyncio.Task[None], drain_s: float) -> bool:
    """Wait for the shell to exit and its output to end; False when the output outlives it."""
    # `Process.wait()` also waits for the pipes to close, which a child left running
    # in the background would delay forever, so the exit is watched by its return code.
    while process.returncode is None and not pump.done():
        await asyncio.wait({pump}, timeout=_POLL_S)
    try:
        await asyncio.wait_for(asyncio.shield(pump), drain_s)
    except TimeoutError:
        return False
    await process.wait()
    return True


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


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _group_alive(pgid: int) -> bool:
    return _signal_group(pgid, 0)  # type: ignore[arg-type]
