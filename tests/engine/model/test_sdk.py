"""`sdk.py` sends what `messages.create` sends, and reads the answer as it reads it.

stepwise posts its Messages requests through the client's `post` (see `sdk.py`
on why); each test here sends one request both ways to the scripted server and
compares what arrived: the path, every header and the body, and what the SDK
made of the answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.support.fake_anthropic import FakeAnthropic, RecordedRequest, text, thinking, tool_use
from tui.engine.model import rehearsal, sdk

PARAMS: list[dict[str, Any]] = [
    rehearsal.PARAMS,
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "Read a.py"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x = 1"}]},
        ],
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "u"},
        "stop_sequences": ["END"],
    },
]


Sent = tuple[RecordedRequest, Any]


async def _send(way: Callable[[Any], Awaitable[Any]]) -> Sent:
    """The request `way` sends with a client of its own to a scripted server of its own, and its result."""
    with FakeAnthropic() as server:
        server.script(
            thinking("Look first.", signature="sig"),
            text("Reading **a.py**."),
            tool_use("read_file", {"path": "a.py"}, id="toolu_2"),
        )
        client = sdk.make_client(sdk.default_options("test-key", server.url))
        try:
            result = await way(client)
        finally:
            await client.close()
        (request,) = server.message_requests
        return request, result


def _without_host(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "host"}  # each server has its own port


def _assert_same_request(sent: RecordedRequest, expected: RecordedRequest) -> None:
    assert sent.path == expected.path
    assert _without_host(sent.headers) == _without_host(expected.headers)
    assert json.loads(sent.raw) == json.loads(expected.raw)


@pytest.mark.parametrize("params", PARAMS, ids=["rehearsal", "every-field"])
async def test_a_stream_sends_and_reads_what_messages_create_does(params: dict[str, Any]) -> None:
    async def by_create(client: Any) -> list[dict[str, Any]]:
        async with await client.messages.create(**params, stream=True) as stream:
            return [event.model_dump(exclude_none=True) async for event in stream]

    async def by_sdk(client: Any) -> list[dict[str, Any]]:
        return [event async for event in sdk.stream_events(client, params)]

    expected, expected_events = await _send(by_create)
    sent, events = await _send(by_sdk)
    _assert_same_request(sent, expected)
    assert events == expected_events
    assert [event["type"] for event in events].count("content_block_start") == 3


async def test_a_request_without_a_stream_sends_and_reads_what_messages_create_does() -> None:
    params = PARAMS[1]

    async def by_create(client: Any) -> list[dict[str, Any]]:
        message = await client.messages.create(**params)
        return [block.model_dump(exclude_none=True) for block in message.content]

    expected, expected_content = await _send(by_create)
    sent, content = await _send(lambda client: sdk.create(client, params))
    _assert_same_request(sent, expected)
    assert content == expected_content
    assert [block["type"] for block in content] == ["thinking", "text", "tool_use"]
