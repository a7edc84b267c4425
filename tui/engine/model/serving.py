"""The provider process's server: the requests of `wire.py`, answered through `sdk.py`, several at once.

`worker.py` starts the process and hands over to `run`, which loads what the
first request needs, rehearses it when nothing is waiting (`rehearsal.py`), and
serves the app's requests until its standard input closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import os
import select
import sys
from typing import Any

from tui.engine.model import _lazy_import, rehearsal, sdk
from tui.engine.model.wire import ClientOptions, RequestFailed, decode, encode

__all__ = ["Server", "merge_delta", "run"]

_READ_LIMIT = 1 << 30
"""One request line holds a whole conversation."""
_CALLED_LATER = (
    "anthropic._error_classes",  # `make_status_error`: an error status
    "anthropic.lib._tracing._api_call",  # the rest: an enabled OpenTelemetry tracer
    "anthropic.lib._tracing._streaming",
    "anthropic.lib._tracing._utils",
)
"""SDK modules that the first request's modules import functions from, but that it never calls: with
their imports (the beta API's types among them), a fifth of the SDK's import before the first request."""


class Server:
    def __init__(self, out: int) -> None:
        self._out = out
        self._pending: list[dict[str, Any]] = []
        self._clients: dict[tuple[str | None, str | None], Any] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._rehearsal: asyncio.Task[None] | None = None

    def _write(self, record: dict[str, Any]) -> None:
        # Records made in one turn of the event loop (the events of one network read) leave in
        # one write: the app's reader thread then wakes, and hands its loop a batch, once for all.
        # Consecutive deltas of one block among them leave as one: each record costs the app ~40 us.
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        elif merge_delta(self._pending[-1], record):
            return
        self._pending.append(record)

    def _flush(self) -> None:
        data = b"".join(encode(record) for record in self._pending)
        self._pending.clear()
        while data:
            data = data[os.write(self._out, data) :]

    def prepare(self, options: ClientOptions) -> None:
        """Load what the first request needs, before it arrives: the SDK's client and its response classes.

        The SDK's package `__init__`s load what they re-export when it is first used
        (`_lazy_import`), so this imports a fraction of the SDK; where that fails
        in any way the SDK is imported as usual.
        """
        if _lazy_import.defer_package_inits("anthropic", functions_of=_CALLED_LATER):
            try:
                self._client(options)
                sdk.response_classes()
                return
            except Exception:  # noqa: BLE001 - any failure of the deferred import: import it as usual
                _lazy_import.forget("anthropic")
                self._clients.clear()
        with contextlib.suppress(Exception):  # a bad option fails again, reported, with the first request
            self._client(options)
            sdk.response_classes()

    def _client(self, options: ClientOptions) -> Any:
        key = (options["api_key"], options["base_url"])
        if key not in self._clients:
            self._clients[key] = sdk.make_client(options)
        return self._clients[key]

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        if not select.select([sys.stdin], [], [], 0)[0]:
            # Nobody is waiting yet (a prompt given at launch would be): do the first request's
            # one-time work now. A request that comes meanwhile runs beside it.
            self._rehearsal = asyncio.create_task(_quietly(rehearsal.rehearse()))
        reader = asyncio.StreamReader(limit=_READ_LIMIT)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            request = decode(line)
            request_id = request["id"]
            if request["op"] == "cancel":
                task = self._tasks.pop(request_id, None)
                if task is not None:
                    task.cancel()
                continue
            task = asyncio.create_task(self._run(request))
            self._tasks[request_id] = task
            task.add_done_callback(functools.partial(self._forget, request_id))
        running = [*self._tasks.values(), *([self._rehearsal] if self._rehearsal else [])]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._flush()
        for client in self._clients.values():
            await client.close()

    def _forget(self, request_id: int, _: object) -> None:
        self._tasks.pop(request_id, None)

    async def _run(self, request: dict[str, Any]) -> None:
        request_id = request["id"]
        try:
            client = self._client(request["client"])
            if request["op"] == "stream":
                async for event in sdk.stream_events(client, request["params"]):
                    self._write({"id": request_id, "event": event})
                self._write({"id": request_id, "end": True})
            else:
                content = await sdk.create(client, request["params"])
                self._write({"id": request_id, "content": content})
        except RequestFailed as exc:
            self._write({"id": request_id, "error": exc.error})
        except Exception as exc:  # noqa: BLE001 - a bug here is reported to the app, which logs it
            self._write({"id": request_id, "error": sdk.unexpected_record(exc)})


_MERGED_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}
"""The deltas that only append to their block, and the field they append."""


def merge_delta(last: dict[str, Any], record: dict[str, Any]) -> bool:
    """Append `record`'s delta to `last`'s when both are deltas of one kind to one block of one stream.

    The app folds them into the same block text either way; only deltas whose one field
    appends (`_MERGED_FIELDS`) are merged, so nothing else of an event is lost.
    """
    before, after = last.get("event"), record.get("event")
    if last["id"] != record["id"] or before is None or after is None:
        return False
    if before.get("type") != "content_block_delta" or after.get("type") != "content_block_delta":
        return False
    old, new = before.get("delta", {}), after.get("delta", {})
    field = _MERGED_FIELDS.get(old.get("type"))
    if (
        field is None
        or before.get("index") != after.get("index")
        or old.get("type") != new.get("type")
        or old.keys() != {"type", field}
        or new.keys() != {"type", field}
    ):
        return False
    old[field] += new[field]
    return True


async def _quietly(rehearsing: Any) -> None:
    with contextlib.suppress(Exception):
        await rehearsing


def run(out: int) -> None:
    """Serve the requests on standard input, writing the answers' records to `out`, until it closes."""
    server = Server(out)
    # The SDK's import makes ~100k objects that live as long as the process: collecting during it
    # costs about a tenth of it, and walking them later costs every full collection.
    gc.disable()
    server.prepare(sdk.default_options())
    gc.freeze()
    gc.enable()
    asyncio.run(server.serve())
