"""The provider process's rehearsal: the SDK's real first request, answered inside the process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator

import pytest

from tests.support.fake_anthropic import FakeAnthropic, text
from tui.engine.model import rehearsal, sdk
from tui.engine.model.serving import Server
from tui.engine.model.wire import decode, encode


async def test_the_rehearsal_streams_its_canned_events_through_the_sdk_and_reaches_no_api(
    model_env: FakeAnthropic,
) -> None:
    events = await rehearsal.rehearse()

    expected = [event for event in rehearsal.STREAM if event["type"] != "ping"]  # the SDK drops pings
    assert [event["type"] for event in events] == [event["type"] for event in expected]
    assert events[2]["delta"] == {"type": "text_delta", "text": "Reading it."}
    assert events[5]["delta"] == {"type": "input_json_delta", "partial_json": '{"path": "a"}'}
    assert model_env.requests == []  # the environment's API was never asked


@pytest.fixture
def pipes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, int, int]]:
    """The process's standard input, a pipe (its writing end for the test), and its output pipe (both ends)."""
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    stdin = os.fdopen(read_in, "rb", buffering=0)
    monkeypatch.setattr(sys, "stdin", stdin)
    yield write_in, read_out, write_out
    stdin.close()
    for fd in (read_out, write_out):
        os.close(fd)


async def test_an_idle_process_rehearses_then_serves_the_first_request(
    fake_anthropic: FakeAnthropic, pipes: tuple[int, int, int]
) -> None:
    write_in, read_out, write_out = pipes
    server = Server(write_out)
    serving = asyncio.create_task(server.serve())
    await asyncio.sleep(0)  # serve() looks at its input (nothing waits), then starts the rehearsal
    assert server._rehearsal is not None
    await server._rehearsal

    fake_anthropic.script(text("the real answer"))
    assert await _answer(serving, write_in, read_out, fake_anthropic) == [
        {"id": 1, "content": [text("the real answer")]}
    ]
    assert len(fake_anthropic.requests) == 1  # only the real request reached the API


async def test_a_waiting_request_is_served_without_a_rehearsal(
    fake_anthropic: FakeAnthropic, pipes: tuple[int, int, int]
) -> None:
    write_in, read_out, write_out = pipes
    fake_anthropic.script(text("at once"))
    _ask(write_in, fake_anthropic)
    server = Server(write_out)
    serving = asyncio.create_task(server.serve())
    await asyncio.sleep(0)

    assert server._rehearsal is None  # a prompt given at launch does not wait for one
    assert await _answer(serving, write_in, read_out, fake_anthropic, asked=True) == [
        {"id": 1, "content": [text("at once")]}
    ]


def _ask(write_in: int, api: FakeAnthropic) -> None:
    client = sdk.default_options("test-key", api.url)
    params = {"model": "claude-sonnet-5-5", "max_tokens": 64, "messages": [{"role": "user", "content": "q"}]}
    os.write(write_in, encode({"op": "create", "id": 1, "client": client, "params": params}))


async def _answer(
    serving: asyncio.Task[None], write_in: int, read_out: int, api: FakeAnthropic, *, asked: bool = False
) -> list[dict[str, object]]:
    """Request 1's records; then the input closes (the app ends) and serving ends."""
    if not asked:
        _ask(write_in, api)
    data = await asyncio.get_running_loop().run_in_executor(None, os.read, read_out, 1 << 16)
    os.close(write_in)
    await serving
    return [decode(line) for line in data.splitlines()]


def test_the_rehearsal_is_shaped_like_stepwise_own_requests() -> None:
    from tui.engine.model.provider import ModelRequest, request_params

    shaped = request_params(
        ModelRequest(
            model=rehearsal.PARAMS["model"],
            max_tokens=rehearsal.PARAMS["max_tokens"],
            system=[{"type": "text", "text": "You are rehearsing."}],
            tools=[{k: v for k, v in rehearsal.PARAMS["tools"][0].items() if k != "cache_control"}],
            messages=[{"role": "user", "content": [{"type": "text", "text": "Rehearse."}]}],
        )
    )
    assert shaped == rehearsal.PARAMS
