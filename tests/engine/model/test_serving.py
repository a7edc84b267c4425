"""The provider process's server: what it writes back, and how."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.fake_anthropic import FakeAnthropic, text
from tui.engine.model import remote, sdk
from tui.engine.model.serving import merge_delta


def _delta(kind: str, value: str, *, index: int = 0, request: int = 1, **extra: Any) -> dict[str, Any]:
    field = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}.get(kind, "x")
    delta = {"type": kind, field: value, **extra}
    return {"id": request, "event": {"type": "content_block_delta", "index": index, "delta": delta}}


@pytest.mark.parametrize("kind", ["text_delta", "thinking_delta", "input_json_delta"])
def test_deltas_that_append_to_one_block_merge(kind: str) -> None:
    last, record = _delta(kind, "Hel"), _delta(kind, "lo")
    assert merge_delta(last, record)
    assert last == _delta(kind, "Hello")


@pytest.mark.parametrize(
    "record",
    [
        _delta("text_delta", "x", index=1),  # another block
        _delta("text_delta", "x", request=2),  # another request's stream
        _delta("thinking_delta", "x"),  # another kind
        _delta("signature_delta", "x"),  # not an append
        _delta("text_delta", "x", citation={"n": 1}),  # a field more: kept whole
        {"id": 1, "event": {"type": "content_block_stop", "index": 0}},
        {"id": 1, "end": True},
    ],
)
def test_anything_else_stays_its_own_record(record: dict[str, Any]) -> None:
    last = _delta("text_delta", "Hel")
    before = copy.deepcopy((last, record))
    assert not merge_delta(last, record)
    assert (last, record) == before


async def test_a_fast_stream_through_the_process_arrives_whole_in_fewer_records(fake_anthropic: FakeAnthropic) -> None:
    reply = " ".join(f"word{n}" for n in range(3000))
    fake_anthropic.script(text(reply), chunk_size=3)
    worker = remote.start()
    assert worker is not None
    try:
        params = {"model": "claude-sonnet-5-5", "max_tokens": 64, "messages": [{"role": "user", "content": "q"}]}
        events = [event async for event in worker.stream(sdk.default_options("test-key", fake_anthropic.url), params)]
    finally:
        remote.stop()
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert "".join(deltas) == reply
    assert len(deltas) < len(reply) // 3  # the server sent one event per 3 characters
