"""The provider process's wire format: one JSON object a line, in both directions, defined once.

The app (or print mode) sends requests to the provider process (`model/worker.py`,
which serves them through `model/serving.py`) on its standard input, and reads
what comes back on its standard output:

    -> {"op": "stream", "id": 1, "client": {...}, "params": {...}}    messages.create(stream=True)
    -> {"op": "create", "id": 2, "client": {...}, "params": {...}}    messages.create()
    -> {"op": "cancel", "id": 1}                                      stop request 1 (its stream is closed)
    <- {"id": 1, "event": {...}}     one raw stream event, as `model_dump(exclude_none=True)` gives it
                                     (text, thinking or tool-input deltas of one block that come
                                     in one read arrive as one, their text joined)
    <- {"id": 2, "content": [...]}   a whole message's content blocks, dumped the same way
    <- {"id": 1, "end": true}        the stream ended (the last record of a stream)
    <- {"id": 1, "error": {...}}     the request failed: an `ErrorRecord` (the last record too)

Errors travel as `ErrorRecord`s so that the in-process path and the process path raise
the same `RequestFailed`, and the provider decides retries from the record alone.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypedDict

from tui.engine.errors import StepwiseError

__all__ = [
    "ClientOptions",
    "ErrorKind",
    "ErrorRecord",
    "RequestFailed",
    "decode",
    "encode",
]

ErrorKind = Literal["status", "connection", "malformed", "api", "unexpected"]
"""`status`: the API answered with an error (also a mid-stream `error` event, status 200);
`connection`: the connection failed or dropped; `malformed`: stream data that is not JSON;
`api`: any other SDK error; `unexpected`: a bug (the record's message holds the traceback)."""


class ClientOptions(TypedDict):
    """What the SDK client is built from: the same values the in-process client gets."""

    api_key: str | None
    base_url: str | None


class ErrorRecord(TypedDict):
    kind: ErrorKind
    message: str
    """The exception's text (`str(exc)`, or its class name when that is empty)."""
    status: int | None
    error_type: str | None
    """The API's error type (`overloaded_error`, ...), when it said one."""
    api_message: str | None
    """The API's own explanation, when it gave one."""
    retry_after: float | None
    """Seconds from the `retry-after-ms` / `retry-after` header, read when the error arrived."""


class RequestFailed(StepwiseError):
    """A request through the SDK failed; `error` says how (the same record from either path)."""

    def __init__(self, error: ErrorRecord) -> None:
        super().__init__(error["message"])
        self.error = error


def encode(record: dict[str, Any]) -> bytes:
    """One record as one line."""
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """One line back into its record.

    Raises:
        ValueError: the line is not a JSON object.
    """
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError(f"not a record: {line[:80]!r}")
    return record
