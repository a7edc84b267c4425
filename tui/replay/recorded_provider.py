"""A model provider whose turns come from a recording instead of the API.

Used by `stepwise --demo` (a bundled script) and `--replay-model SESSION`
(the assistant messages of a recorded session), so a user can walk the same
session again with no key and no network, and decide differently. Text is
re-streamed in small deltas so the app behaves as it does live.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.engine.model.provider import ModelRequest, ModelResponse
from tui.engine.session.events import (
    AssistantMessage,
    Event,
    Status,
    TextDelta,
    ThinkingDelta,
    ToolInputDelta,
    flat_events,
)

CHUNK = 24
"""Characters per streamed delta."""

END_OF_RECORDING = "The recording has no more model turns."


class RecordedProvider:
    """Plays back a list of recorded responses, one per model request."""

    def __init__(self, responses: list[dict[str, Any]], *, delay_s: float = 0.0) -> None:
        self._responses = list(responses)
        self._next = 0
        self.delay_s = delay_s

    @classmethod
    def from_session(cls, ref: str) -> RecordedProvider:
        """The assistant turns of a recorded session (id, id prefix or path)."""
        from tui.engine.session.log import find_session, read_session

        record = read_session(find_session(ref))
        return cls(
            [
                {"content": e.content, "stop_reason": e.stop_reason, "usage": e.usage, "model": e.model}
                for e in flat_events(record.events)
                if isinstance(e, AssistantMessage) and not e.partial
            ]
        )

    @classmethod
    def from_script(cls, path: Path, **kwargs: Any) -> RecordedProvider:
        """A JSON file holding `{"responses": [{"content": [...]}, ...]}`.

        A response may carry `if_partial` and `if_denied`: the response to give instead once
        an edit landed only in part (some hunks rejected), or when the calls just answered were
        denied or failed (an error, a command's non-zero exit), so that a script follows what the
        user did (the demo does not say "those pass" after a test run the user denied).
        """
        return cls(json.loads(path.read_text(encoding="utf-8"))["responses"], **kwargs)

    def warm_up(self) -> None:
        """Nothing to load: the recording is in memory."""

    def sub_requests(self) -> None:
        """None: a recording sends no requests (its web tools are not offered)."""

    async def aclose(self) -> None:
        """No connections to release."""

    async def stream(
        self, request: ModelRequest, emit: Callable[[Event], None], cancel: asyncio.Event
    ) -> ModelResponse:
        if self._next >= len(self._responses):
            ending = [{"type": "text", "text": END_OF_RECORDING}]
            return ModelResponse(content=ending, stop_reason="end_turn", usage={}, model=request.model)
        recorded = _branch(self._responses[self._next], request.messages)
        self._next += 1
        emit(Status(state="streaming"))
        content: list[dict[str, Any]] = []
        for index, block in enumerate(recorded["content"]):
            streamed, finished = await self._stream_block(index, block, emit, cancel)
            if streamed:
                content.append(streamed)
            if not finished:
                return ModelResponse(content=content, stop_reason=None, usage={}, model=request.model, partial=True)
        has_tools = any(b.get("type") == "tool_use" for b in content)
        return ModelResponse(
            content=content,
            stop_reason=recorded.get("stop_reason") or ("tool_use" if has_tools else "end_turn"),
            usage=dict(recorded.get("usage") or {}),
            model=recorded.get("model") or request.model,
        )

    async def _stream_block(
        self, index: int, block: dict[str, Any], emit: Callable[[Event], None], cancel: asyncio.Event
    ) -> tuple[dict[str, Any] | None, bool]:
        """Emit one block's deltas; returns (what was streamed, whether it finished)."""
        kind = block.get("type")
        if kind == "tool_use":
            if cancel.is_set():
                return None, False
            emit(
                ToolInputDelta(
                    index=index, tool_use_id=block["id"], name=block["name"], partial_json=json.dumps(block["input"])
                )
            )
            return dict(block), True
        field, delta = ("thinking", ThinkingDelta) if kind == "thinking" else ("text", TextDelta)
        text = block.get(field, "")
        for start in range(0, len(text), CHUNK):
            if cancel.is_set():
                return ({**block, field: text[:start]} if start else None), False
            emit(delta(index=index, text=text[start : start + CHUNK]))
            # Yield to the event loop so the UI paints while a recording plays.
            await asyncio.sleep(self.delay_s)
        return dict(block), True


_FAILED_EXIT = re.compile(r"Exit code: [1-9]\d*\s*$")
"""How a command's tool_result ends when it exited non-zero (`tools/run_in_terminal.py`)."""
PARTIAL_MARK = "the user rejected the others"
"""How an edit's tool_result says only some hunks landed (`tools/_edit.py`)."""


def _branch(recorded: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The response to play: `if_partial` once an edit landed in part, `if_denied` after denied or failed calls."""
    results = [
        block
        for message in messages
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]
    last_message = messages[-1] if messages else {}
    last = [b for b in results if isinstance(last_message.get("content"), list) and b in last_message["content"]]
    if "if_partial" in recorded and any(PARTIAL_MARK in _text(b) for b in results):
        return recorded["if_partial"]
    if "if_denied" in recorded and any(b.get("is_error") or _FAILED_EXIT.search(_text(b)) for b in last):
        return recorded["if_denied"]
    return recorded


def _text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))
