"""The calls into the anthropic SDK, shared by the provider process and the in-process path.

Both paths build the client the same way, send the same Messages request, hand
on each raw stream event as the dict `model_dump(exclude_none=True)` makes of it,
and turn the SDK's exceptions into the same `ErrorRecord`s. Importing this module
does not import the SDK (about a second); the first call does.

The request goes through the client's own `post` (the SDK's documented way to
send any request), with the path, the response class and the stream class that
`messages.create` gives it, not through `messages.create` itself: that method
only adds what stepwise never uses (warnings about deprecated models, the
headers of two arguments it does not send, a timeout for clients on the
default one), and its module imports the whole beta API's types, a third of
the SDK's import, on the first request's path. `tests/engine/model/test_sdk.py`
sends a request both ways and compares what reaches the server.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from tui.engine.model.wire import ClientOptions, ErrorKind, ErrorRecord, RequestFailed

__all__ = [
    "CONNECT_TIMEOUT_S",
    "READ_TIMEOUT_S",
    "create",
    "default_options",
    "env_api_key",
    "error_record",
    "make_client",
    "response_classes",
    "stream_events",
    "unexpected_record",
]

_MESSAGES_PATH = "/v1/messages"
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0
"""The API pings during long streams, so two minutes of silence means the connection is gone."""


def env_api_key() -> str | None:
    """The key the environment gives: ANTHROPIC_API_KEY, then ANTHROPIC_AUTH_TOKEN."""
    return os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN") or None


def default_options(api_key: str | None = None, base_url: str | None = None) -> ClientOptions:
    """The key and address a client uses: those given, else the environment's key (`env_api_key`) and
    ANTHROPIC_BASE_URL, else none (the SDK's public API)."""
    return ClientOptions(
        api_key=api_key or env_api_key(),
        base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
    )


def make_client(options: ClientOptions) -> Any:
    """The SDK's `AsyncAnthropic`, its own retries off: every retry is the provider's, and shown."""
    import anthropic

    return anthropic.AsyncAnthropic(
        api_key=options["api_key"],
        base_url=options["base_url"],
        max_retries=0,
        timeout=anthropic.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
    )


async def stream_events(client: Any, params: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
    """The request `messages.create(**params, stream=True)` sends: one dict per raw stream event.

    Raises:
        RequestFailed: the request or the stream failed (an SDK error, a dropped
            connection, data that is not JSON).
    """
    try:
        stream = await _post_messages(client, {**params, "stream": True}, stream=True)
        async with stream:
            async for event in stream:
                yield event.model_dump(exclude_none=True)
    except _sdk_errors() as exc:
        raise RequestFailed(error_record(exc)) from None


async def create(client: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The request `messages.create(**params)` sends: the message's content blocks as dicts.

    Raises:
        RequestFailed: as `stream_events`.
    """
    try:
        message = await _post_messages(client, params, stream=False)
    except _sdk_errors() as exc:
        raise RequestFailed(error_record(exc)) from None
    return [block.model_dump(exclude_none=True) for block in message.content]


async def _post_messages(client: Any, body: dict[str, Any], *, stream: bool) -> Any:
    """`messages.create`'s request: its path, its response class, and its stream class when streaming."""
    message, stream_cls = response_classes()
    if stream:
        return await client.post(_MESSAGES_PATH, body=body, cast_to=message, stream=True, stream_cls=stream_cls)
    return await client.post(_MESSAGES_PATH, body=body, cast_to=message)


def response_classes() -> tuple[Any, Any]:
    """The classes a Messages response is read into: the message, and the stream of raw events."""
    from anthropic._streaming import AsyncStream
    from anthropic.types.message import Message
    from anthropic.types.raw_message_stream_event import RawMessageStreamEvent

    return Message, AsyncStream[RawMessageStreamEvent]


def _sdk_errors() -> tuple[type[Exception], ...]:
    """What the SDK raises for a failed request (httpx's own errors can escape a stream being read)."""
    import anthropic
    import httpx2

    return (anthropic.APIError, httpx2.TransportError, json.JSONDecodeError)


def error_record(exc: Exception) -> ErrorRecord:
    """The record of one of the SDK's failures (`_sdk_errors`)."""
    import anthropic
    import httpx2

    message = str(exc).strip() or type(exc).__name__
    if isinstance(exc, anthropic.APIStatusError):
        return ErrorRecord(
            kind="status",
            message=message,
            status=exc.status_code,
            error_type=exc.type or None,
            api_message=exc.api_message or None,
            retry_after=_retry_after(exc.response.headers),
        )
    kind: ErrorKind = "api"
    if isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError)):
        kind = "connection"
    elif isinstance(exc, json.JSONDecodeError):
        kind, message = "malformed", exc.msg
    return ErrorRecord(kind=kind, message=message, status=None, error_type=None, api_message=None, retry_after=None)


def unexpected_record(exc: BaseException) -> ErrorRecord:
    """The record of a bug in the provider process: the traceback goes to the app's debug log."""
    return ErrorRecord(
        kind="unexpected",
        message="".join(traceback.format_exception(exc)).strip(),
        status=None,
        error_type=None,
        api_message=None,
        retry_after=None,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from the `retry-after-ms` or `retry-after` header (a number or an HTTP date)."""
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                return float(value)
            except ValueError:
                import email.utils  # only for a Retry-After date, rare: kept off the start-up path

                return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None
    return None
