"""A rehearsal of the first request, in the provider process, before the user has typed anything.

The SDK's first streamed request does work that no later request repeats: it
builds pydantic's serializers for the stream's event classes, fills its request
transform's caches, and loads the connection pool, h11 and the SSE decoder. On
the user's first Enter that was ~45 ms of the ~50 ms before the first event
came back (on a warm process, ~3 ms). So once the SDK is loaded, and only when
no request is already waiting, the provider process sends one streamed request
shaped like stepwise's own (system, tools and a user message, with cache
breakpoints) through a client built as the real ones are, to a one-shot server
on 127.0.0.1 in this same process, which answers with a canned stream of a text
block and a tool call. Nothing reaches the API or leaves the loopback, and the
rehearsal's client is closed: the real client's connection is its own.

Any failure only means the first request does this work itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from tui.engine.model import sdk
from tui.engine.model.wire import ClientOptions

__all__ = ["PARAMS", "STREAM", "rehearse"]

TIMEOUT_S = 10.0

_CACHED = {"type": "ephemeral"}
PARAMS: dict[str, Any] = {
    "model": "claude-rehearsal",
    "max_tokens": 1024,
    "system": [{"type": "text", "text": "You are rehearsing.", "cache_control": _CACHED}],
    "tools": [
        {
            "name": "read_file",
            "description": "Read a file.",
            "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
            "cache_control": _CACHED,
        }
    ],
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Rehearse.", "cache_control": _CACHED}]}],
}
"""`messages.create`'s keyword arguments, in the shape `provider.request_params` gives them."""

_USAGE = {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
STREAM: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_rehearsal",
            "type": "message",
            "role": "assistant",
            "model": "claude-rehearsal",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": _USAGE,
        },
    },
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Reading it."}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_rehearsal", "name": "read_file", "input": {}},
    },
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"path": "a"}'}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 9},
    },
    {"type": "message_stop"},
]
"""The canned answer: the API's stream events, in its order."""


def _answer() -> bytes:
    body = "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in STREAM).encode()
    head = (
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _serve_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):  # whoever connected and however it went: the rehearsal is best effort
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        writer.write(_answer())
        await writer.drain()
    writer.close()


async def rehearse() -> list[dict[str, Any]]:
    """Stream `PARAMS` through a fresh client to a server of this process: the events the SDK gave.

    Raises:
        Exception: whatever failed (the caller ignores it).
    """
    server = await asyncio.start_server(_serve_once, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        client = sdk.make_client(ClientOptions(api_key="rehearsal", base_url=f"http://127.0.0.1:{port}"))
        try:
            async with asyncio.timeout(TIMEOUT_S):
                return [event async for event in sdk.stream_events(client, PARAMS)]
        finally:
            await client.close()
    finally:
        server.close()
