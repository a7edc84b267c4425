"""The app's side of the provider process (`worker.py`): start it, send it requests, read its answers.

`start()` is called at the very top of `stepwise`'s `main` for the commands that
talk to the model, before Textual or the engine load, so the SDK's import runs
on the other core from the first millisecond, or, when no prompt is waiting,
from the app's first frame (`release()`). The provider (`provider.py`) asks
`current()` for the running process at each request and falls back to the SDK
in its own process when there is none (never started, failed to start, or
ended): the debug log says so.

One reader thread reads the process's output and hands each request's records
to the event loop that awaits them, a batch per read, so any loop (the app's,
print mode's, a test's) can use it. The process ends with the launch: at exit
`stop()` kills it (it holds nothing to save), and it dies with its parent anyway. It holds nothing
but SDK clients, so one process serves every session of a launch (`/model`,
`/resume`, or the tests that call `main` many times).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from tui.engine.model.wire import ClientOptions, ErrorRecord, RequestFailed, decode, encode

__all__ = ["Worker", "current", "release", "start", "stop"]

_log = logging.getLogger(__name__)
_ENDED = ErrorRecord(
    kind="connection",
    message="the model provider process ended",
    status=None,
    error_type=None,
    api_message=None,
    retry_after=None,
)

if TYPE_CHECKING:
    # Imported where a request is made: `start()` comes first in `main`, before asyncio's ~40 ms.
    import asyncio

    _Inbox = tuple[asyncio.AbstractEventLoop, asyncio.Queue[list[dict[str, Any]]]]


class Worker:
    """One running provider process and the requests waiting for its answers."""

    def __init__(self, process: subprocess.Popen[bytes], hold: int | None = None) -> None:
        """`hold`: the pipe end whose closing lets a held process load the SDK (`start`)."""
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._hold = hold
        self._in = process.stdin.fileno()
        self._out = process.stdout.fileno()
        self._ids = itertools.count(1)
        self._inboxes: dict[int, _Inbox] = {}
        self._lock = threading.Lock()
        self._outgoing: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.alive = True
        threading.Thread(target=self._read, name="stepwise-provider-reader", daemon=True).start()
        threading.Thread(target=self._write, name="stepwise-provider-writer", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    # --- the reader thread --------------------------------------------------------

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._out, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            batches: dict[int, list[dict[str, Any]]] = {}
            for line in lines:
                record = decode(line)
                batches.setdefault(record["id"], []).append(record)
            for request_id, batch in batches.items():
                self._deliver(request_id, batch)
        self.alive = False
        _log.debug("the model provider process (pid %s) ended", self.pid)
        with self._lock:
            waiting = list(self._inboxes)
        for request_id in waiting:
            self._deliver(request_id, [{"id": request_id, "error": _ENDED}])

    def _deliver(self, request_id: int, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            inbox = self._inboxes.get(request_id)
        if inbox is None:
            return  # cancelled: the records still on the way are dropped
        loop, arrived = inbox
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(arrived.put_nowait, batch)

    # --- requests -----------------------------------------------------------------

    def _send(self, record: dict[str, Any]) -> None:
        """Queue one record for the writer thread: a request holds a whole conversation, more than a pipe
        takes at once, and the process reads nothing while it loads the SDK, so writing here could block
        the event loop for as long."""
        if not self.alive:
            raise OSError("the model provider process has ended")
        self.release()
        self._outgoing.put(encode(record))

    def release(self) -> None:
        """Let the process load the SDK, if it was held (`start`)."""
        with self._lock:
            hold, self._hold = self._hold, None
        if hold is not None:
            os.close(hold)

    def _write(self) -> None:
        while (data := self._outgoing.get()) is not None:
            try:
                while data:
                    data = data[os.write(self._in, data) :]
            except OSError:
                return  # it ended: the reader thread sees its end of file and fails what waits
        with contextlib.suppress(OSError):
            # Through its file object: closing the bare descriptor would leave that object to close
            # the same number again later, by then perhaps someone else's (an event loop's socket).
            self.process.stdin.close()  # type: ignore[union-attr]

    async def _records(
        self, op: str, client: ClientOptions, params: dict[str, Any]
    ) -> AsyncGenerator[dict[str, Any], None]:
        import asyncio

        request_id = next(self._ids)
        arrived: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        with self._lock:
            self._inboxes[request_id] = (asyncio.get_running_loop(), arrived)
        finished = False
        try:
            if not self.alive:
                raise RequestFailed(_ENDED)
            try:
                self._send({"op": op, "id": request_id, "client": client, "params": params})
            except OSError:
                raise RequestFailed(_ENDED) from None
            while True:
                for record in await arrived.get():
                    if "error" in record:
                        finished = True
                        raise RequestFailed(record["error"])
                    if "end" in record:
                        finished = True
                        return
                    if "content" in record:
                        finished = True
                        yield record
                        return
                    yield record
        finally:
            with self._lock:
                self._inboxes.pop(request_id, None)
            if not finished and self.alive:
                with contextlib.suppress(OSError):
                    self._send({"op": "cancel", "id": request_id})

    async def stream(self, client: ClientOptions, params: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """As `sdk.stream_events`, in the provider process; closing it early cancels the request there."""
        records = self._records("stream", client, params)
        try:
            async for record in records:
                yield record["event"]
        finally:
            await records.aclose()

    async def create(self, client: ClientOptions, params: dict[str, Any]) -> list[dict[str, Any]]:
        """As `sdk.create`, in the provider process."""
        records = self._records("create", client, params)
        try:
            async for record in records:
                content: list[dict[str, Any]] = record["content"]
                return content
        finally:
            await records.aclose()
        raise RequestFailed(_ENDED)

    def close(self) -> None:
        """End it now: it holds nothing to save, and may still be importing the SDK (deaf to its input)."""
        self.alive = False
        self.release()
        self._outgoing.put(None)
        self.process.kill()
        self.process.wait()


_worker: Worker | None = None


def start(*, held: bool = False) -> Worker | None:
    """Launch the provider process for this launch (once); None when it cannot start.

    Held, it starts (the interpreter and its entry module, `worker.py`) but loads
    nothing more, the SDK above all, until `release()` is called, a request comes,
    or the app ends. The app holds it until its first frame is drawn when no
    prompt is waiting: on a machine with two cores, the SDK's import beside that
    frame delayed it by about a tenth.
    """
    global _worker
    if _worker is None:
        hold = os.pipe() if held else None
        command = [sys.executable, "-m", "tui.engine.model.worker", str(os.getpid())]
        try:
            process = subprocess.Popen(
                [*command, *([str(hold[0])] if hold else [])],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Its stderr would land on the app's screen; what goes wrong reaches the app as records.
                stderr=subprocess.DEVNULL,
                pass_fds=hold[:1] if hold else (),
            )
        except OSError as exc:
            if hold:
                os.close(hold[0])
                os.close(hold[1])
            _log.debug("the model provider process could not start (%s): the SDK runs in this process", exc)
            return None
        if hold:
            os.close(hold[0])
        _worker = Worker(process, hold[1] if hold else None)
        atexit.register(stop)
    return _worker


def release() -> None:
    """Let a held provider process load the SDK now (see `start`); nothing when none is held."""
    if _worker is not None:
        _worker.release()


def current() -> Worker | None:
    """The running provider process, or None (requests then go through the SDK in this process)."""
    if _worker is not None and _worker.alive:
        return _worker
    return None


def stop() -> None:
    """End the provider process (at exit); a later `start()` launches a new one."""
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        worker.close()
