"""The model provider on the official anthropic SDK: streaming, retries, prompt caching, cost.

`AnthropicProvider.stream` sends one `ModelRequest`, emits deltas as they
arrive and returns the complete `ModelResponse`. The SDK's own retries are off
(`max_retries=0`) so that every retry is an event the user sees:

- HTTP 408, 409, 429 and 5xx (529 overloaded included) are retried with
  exponential backoff that honours `retry-after-ms` / `retry-after`.
- A mid-stream `error` event of a transient type, a dropped connection, a
  stream that ends before `message_stop`, and malformed stream data (a data
  line that is not JSON) retry the whole turn.
- 400, 401, 403, 404 and other client errors end with a `ProviderError` whose
  message is the API's own explanation.

Retried turns never show text twice. The provider remembers, per text block
index, the text it has shown. After a failed attempt that showed anything it
emits `StreamReset(keep_chars=N)` (N = characters of text shown so far, all
blocks): listeners keep that text and drop the failed attempt's thinking and
tool input. While the retry streams, a text delta is emitted only for the part
of its block beyond what was shown at that index. The returned content is the
successful attempt's own content.

Requests go to the provider process (`remote.py`, `worker.py`) when one runs, else
through the SDK in this process (`sdk.py`); either way the provider sees the
same raw events as dicts and the same `ErrorRecord`s, so retries and errors do
not depend on the path. In-process, the `anthropic` package is imported on
first use: it takes about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tui.engine.errors import StepwiseError
from tui.engine.model import remote, sdk
from tui.engine.model.pricing import DEFAULT_PRICES, Prices, cost_usd
from tui.engine.model.wire import ClientOptions, ErrorRecord, RequestFailed
from tui.engine.session.events import Event, Retry, Status, StreamReset, TextDelta, ThinkingDelta, ToolInputDelta

EPHEMERAL = {"type": "ephemeral"}
MAX_RETRY_AFTER_S = 60.0
"""A longer `retry-after` is ignored in favour of our own backoff."""
MAX_BACKOFF_S = 30.0
YIELD_EVERY_S = 0.005
"""A stream that is read faster than it is parsed yields to the event loop this often."""
RETRY_STATUSES = frozenset({408, 409, 429})
RETRY_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
"""Error types of a mid-stream `error` event that are worth retrying."""
_UNCACHEABLE_BLOCKS = frozenset({"thinking", "redacted_thinking"})
_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_STATUS_KINDS = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    413: "bad_request",
    422: "bad_request",
}
_KIND_HINTS = {
    "auth": "Check ANTHROPIC_API_KEY.",
    "permission": "The API key is not allowed to do this.",
    "not_found": "Check the model id.",
}
_log = logging.getLogger(__name__)

SubRequest = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]
"""Sends one Messages request outside the conversation (its `messages.create` parameters) and
gives its content blocks: the web tools' sub-requests."""


@dataclass
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    """System text blocks."""
    tools: list[dict[str, Any]]
    """Tool schemas."""
    messages: list[dict[str, Any]]
    """Anthropic message dicts (content as block lists)."""
    max_tokens: int = 16000
    thinking_budget: int | None = None


@dataclass
class ModelResponse:
    content: list[dict[str, Any]]
    """Content blocks exactly as they must be sent back: text, thinking with signature, tool_use with parsed input."""
    stop_reason: str | None
    usage: dict[str, int]
    """input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens."""
    model: str
    partial: bool = False
    """Cancelled: `content` holds the text shown so far and only complete blocks."""
    cost_usd: float = 0.0


class ProviderError(StepwiseError):
    """The model could not answer; `message` is readable by the user.

    `kind` is one of `auth`, `permission`, `bad_request`, `not_found`,
    `rate_limit`, `overloaded`, `server`, `connection`, `bad_response`,
    `max_tokens` (the reply was cut off inside a tool call's input),
    `missing_key` or `api_error`.
    """

    def __init__(self, message: str, *, status: int | None = None, kind: str = "api_error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind


class MissingKeyError(ProviderError):
    """No API key was given or found in the environment."""

    def __init__(self) -> None:
        super().__init__(
            "No Anthropic API key: set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-...). "
            "For an Anthropic-compatible server, also set ANTHROPIC_BASE_URL to its address.",
            kind="missing_key",
        )


def request_params(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `messages.create`, with prompt-cache breakpoints placed.

    Breakpoints go on the last tool, the last system block, the last cacheable
    block of the newest message and of the user message before it (at most
    four), so each request reads the prefix the previous one wrote. Blocks
    that get a breakpoint, or lose a stale one, are copied; the caller's
    messages are never changed.

    Raises:
        ProviderError: the thinking budget does not fit in `max_tokens`.
    """
    if request.thinking_budget is not None and request.thinking_budget >= request.max_tokens:
        raise ProviderError(
            f"The thinking budget ({request.thinking_budget} tokens) must be smaller than "
            f"max_tokens ({request.max_tokens}).",
            kind="bad_request",
        )
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": _mark_messages(request.messages),
    }
    if request.tools:
        params["tools"] = _mark_last(request.tools)
    if request.system:
        params["system"] = _mark_last(request.system)
    if request.thinking_budget is not None:
        params["thinking"] = {"type": "enabled", "budget_tokens": request.thinking_budget}
    return params


def _mark_last(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*(_unmarked(b) for b in blocks[:-1]), {**blocks[-1], "cache_control": EPHEMERAL}]


def _unmarked(block: dict[str, Any]) -> dict[str, Any]:
    if "cache_control" not in block:
        return block
    return {k: v for k, v in block.items() if k != "cache_control"}


def _mark_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    marked = set()
    if messages:
        marked.add(len(messages) - 1)
        earlier_users = [i for i, m in enumerate(messages[:-1]) if m.get("role") == "user"]
        if earlier_users:
            marked.add(earlier_users[-1])
    result = []
    for index, message in enumerate(messages):
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        target = -1
        if index in marked:
            cacheable = [i for i, b in enumerate(blocks) if b.get("type") not in _UNCACHEABLE_BLOCKS]
            target = cacheable[-1] if cacheable else -1
        new_blocks = [{**b, "cache_control": EPHEMERAL} if i == target else _unmarked(b) for i, b in enumerate(blocks)]
        unchanged = isinstance(content, list) and all(a is b for a, b in zip(new_blocks, content, strict=True))
        result.append(message if unchanged else {**message, "content": new_blocks})
    return result


# --- one streamed attempt ---------------------------------------------------------


@dataclass
class _Failure:
    """Why an attempt failed; `retry` says whether another attempt may help."""

    reason: str
    kind: str
    retry: bool
    status: int | None = None
    retry_after: float | None = None


_CANCELLED = object()


@dataclass
class _Attempt:
    """The blocks of one streamed attempt, assembled from raw events as they arrive."""

    emit: Callable[[Event], None]
    shown: dict[int, str]
    """Text shown per text block index, across attempts (the dedup rule)."""
    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    tool_json: dict[int, list[str]] = field(default_factory=dict)
    complete: set[int] = field(default_factory=set)
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_USAGE_KEYS, 0))
    model: str = ""
    stop_reason: str | None = None
    stopped: bool = False
    emitted: bool = False
    unparsed: str | None = None
    """A tool call whose input is not valid JSON: stream corruption, or `max_tokens` cut it off."""

    def handle(self, event: dict[str, Any]) -> None:
        """Fold one raw stream event (the SDK's, as a dict) in, emitting what the user should see."""
        kind = event["type"]
        if kind == "message_start":
            self.model = event["message"]["model"]
            self._add_usage(event["message"].get("usage"))
        elif kind == "content_block_start":
            block = event["content_block"]
            self.blocks[event["index"]] = block
            if "input" in block:
                # tool_use (and server-side tool calls) stream their input as JSON fragments.
                self.tool_json[event["index"]] = []
        elif kind == "content_block_delta":
            self._delta(event["index"], event["delta"])
        elif kind == "content_block_stop":
            self._finish_block(event["index"])
        elif kind == "message_delta":
            self.stop_reason = event["delta"].get("stop_reason")
            self._add_usage(event.get("usage"))
        elif kind == "message_stop":
            self.stopped = True

    def _add_usage(self, usage: dict[str, Any] | None) -> None:
        # message_delta repeats the counts cumulatively, so the latest value wins.
        for key in _USAGE_KEYS:
            value = (usage or {}).get(key)
            if isinstance(value, int):
                self.usage[key] = value

    def _delta(self, index: int, delta: dict[str, Any]) -> None:
        block = self.blocks[index]
        kind = delta["type"]
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
            seen = self.shown.get(index, "")
            if len(block["text"]) > len(seen):
                new = block["text"][len(seen) :]
                self.shown[index] = seen + new
                self._emit(TextDelta(index=index, text=new))
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta["thinking"]
            self._emit(ThinkingDelta(index=index, text=delta["thinking"]))
        elif kind == "signature_delta":
            block["signature"] = block.get("signature", "") + delta["signature"]
        elif kind == "input_json_delta":
            partial = delta["partial_json"]
            self.tool_json[index].append(partial)
            tool_use_id, name = block.get("id", ""), block.get("name", "")
            self._emit(ToolInputDelta(index=index, tool_use_id=tool_use_id, name=name, partial_json=partial))
        elif kind == "citations_delta":
            block.setdefault("citations", []).append(delta["citation"])

    def _emit(self, event: Event) -> None:
        self.emitted = True
        self.emit(event)

    def _finish_block(self, index: int) -> None:
        block = self.blocks[index]
        if index in self.tool_json:
            raw = "".join(self.tool_json[index]).strip()
            try:
                block["input"] = json.loads(raw) if raw else {}
            except json.JSONDecodeError as exc:
                # Only the stop reason, which comes later, tells a cut-off reply from a corrupt stream.
                self.unparsed = f"{block.get('name', 'a tool')} ({exc.msg})"
                return
        self.complete.add(index)

    def content(self) -> list[dict[str, Any]]:
        """The complete response's blocks, in order (empty text blocks dropped: the API refuses them)."""
        return [b for _, b in sorted(self.blocks.items()) if not (b.get("type") == "text" and not b.get("text"))]

    def partial_content(self) -> list[dict[str, Any]]:
        """What a cancelled turn keeps: the text shown so far and every complete non-text block."""
        result = []
        for index in sorted(set(self.blocks) | set(self.shown)):
            block = self.blocks.get(index)
            if block is None or block.get("type") == "text":
                if self.shown.get(index):
                    result.append({**(block or {"type": "text"}), "text": self.shown[index]})
            elif index in self.complete:
                result.append(block)
        return result


# --- the provider -----------------------------------------------------------------


class AnthropicProvider:
    """Streams model responses through the official SDK's async client.

    Args:
        api_key: defaults to ANTHROPIC_API_KEY, then ANTHROPIC_AUTH_TOKEN.
        base_url: defaults to ANTHROPIC_BASE_URL, then the public API.
        prices: USD per million tokens by family or model id (see `tui.engine.model.pricing`).
        max_retries: retries per `stream` call before giving up.
        backoff_base_s: the first backoff; it doubles per retry (capped at 30 s).
        sleep: the backoff sleep; tests pass one that does not wait.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        prices: Prices | None = None,
        max_retries: int = 6,
        backoff_base_s: float = 0.5,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        options = sdk.default_options(api_key, base_url)
        self.api_key = options["api_key"]
        self.base_url = options["base_url"]
        self.prices = prices if prices is not None else DEFAULT_PRICES
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self._sleep = sleep
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._said_in_process = False

    def ensure_key(self) -> None:
        """Raise `MissingKeyError` when there is no API key (call early to fail fast)."""
        if not self.api_key:
            raise MissingKeyError()

    def client(self) -> Any:
        """The SDK's `AsyncAnthropic` client, created (and the SDK imported) on first use."""
        self.ensure_key()
        with self._client_lock:  # `warm_up` may be creating it in another thread
            if self._client is None:
                self._client = sdk.make_client(self._options())
            return self._client

    def _options(self) -> ClientOptions:
        return ClientOptions(api_key=self.api_key, base_url=self.base_url)

    def _worker(self) -> remote.Worker | None:
        worker = remote.current()
        if worker is None and not self._said_in_process:
            self._said_in_process = True
            _log.debug("no model provider process: the SDK runs in this process")
        return worker

    def warm_up(self) -> None:
        """Import the SDK and build the client now, from any thread, unless the provider process does that.

        Both take about a second; without a provider process an app calls this
        in a thread at start-up so that the first turn does not wait for them.
        Without a key it does nothing.
        """
        if self.api_key and remote.current() is None:
            self.client()

    def _events(self, params: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        worker = self._worker()
        if worker is not None:
            return worker.stream(self._options(), params)
        return sdk.stream_events(self.client(), params)

    def sub_requests(self) -> SubRequest:
        """The web tools' sub-requests go through this provider's client: `create_message`."""
        return self.create_message

    async def create_message(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One request without streaming (`messages.create(**params)`): the reply's content blocks.

        Raises:
            MissingKeyError: no API key.
            RequestFailed: the request failed (its `error` says how).
        """
        self.ensure_key()
        worker = self._worker()
        if worker is not None:
            return await worker.create(self._options(), params)
        return await sdk.create(self.client(), params)

    async def aclose(self) -> None:
        """Close the HTTP connections (the provider can be used again afterwards)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def stream(
        self, request: ModelRequest, emit: Callable[[Event], None], cancel: asyncio.Event
    ) -> ModelResponse:
        """Stream one model response, retrying transient failures.

        Emits `TextDelta`, `ThinkingDelta` and `ToolInputDelta` as deltas
        arrive, `Status` (`streaming`, `retrying`), `Retry` before every retry
        and `StreamReset` when a retried attempt had shown output. When
        `cancel` is set the stream stops and a `partial=True` response with
        the text shown so far is returned.

        Raises:
            MissingKeyError: no API key.
            ProviderError: the API refused the request, or retries ran out.
        """
        self.ensure_key()
        params = request_params(request)
        shown: dict[int, str] = {}
        retries = 0
        while True:
            attempt = _Attempt(emit=emit, shown=shown)
            emit(Status(state="streaming"))
            outcome = await _until_cancelled(self._run(params, attempt, cancel), cancel)
            if outcome is _CANCELLED:
                return self._response(request.model, attempt, attempt.partial_content(), partial=True)
            if outcome is None:
                return self._response(request.model, attempt, attempt.content())
            failure: _Failure = outcome
            if not failure.retry or retries >= self.max_retries:
                suffix = f" (gave up after {retries} retries)" if failure.retry else ""
                raise ProviderError(failure.reason + suffix, status=failure.status, kind=failure.kind)
            retries += 1
            wait = self._wait_s(retries, failure.retry_after)
            emit(Retry(attempt=retries, reason=failure.reason, wait_s=wait, status=failure.status))
            emit(Status(state="retrying", detail=f"{failure.reason}; retry {retries} in {wait:g} s"))
            if attempt.emitted:
                emit(StreamReset(keep_chars=sum(len(text) for text in shown.values())))
            if await _until_cancelled(self._sleep(wait), cancel) is _CANCELLED:
                waiting = _Attempt(emit=emit, shown=shown)
                return self._response(request.model, waiting, waiting.partial_content(), partial=True)

    def _wait_s(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None and 0 <= retry_after <= MAX_RETRY_AFTER_S:
            return retry_after
        return min(self.backoff_base_s * 2 ** (retry - 1), MAX_BACKOFF_S)

    def _response(
        self, model: str, attempt: _Attempt, content: list[dict[str, Any]], partial: bool = False
    ) -> ModelResponse:
        model_id = attempt.model or model
        return ModelResponse(
            content=content,
            stop_reason=attempt.stop_reason,
            usage=dict(attempt.usage),
            model=model_id,
            partial=partial,
            cost_usd=cost_usd(model_id, attempt.usage, self.prices),
        )

    async def _run(self, params: dict[str, Any], attempt: _Attempt, cancel: asyncio.Event) -> object:
        """One attempt: None on success, `_CANCELLED`, or a `_Failure`."""
        try:
            loop = asyncio.get_running_loop()
            yielded = loop.time()
            async with contextlib.aclosing(self._events(params)) as events:
                async for event in events:
                    attempt.handle(event)
                    # Checked per event so a cancel from an `emit` listener stops at once.
                    if cancel.is_set():
                        return _CANCELLED
                    if loop.time() - yielded >= YIELD_EVERY_S:
                        # Events that arrived in one read are parsed without any await that
                        # suspends: let the loop (a UI drawing the deltas) run now and then.
                        await asyncio.sleep(0)
                        yielded = loop.time()
        except RequestFailed as exc:
            return _failure(exc.error)
        if not attempt.stopped:
            return _Failure("The response stream ended early (no message_stop)", "connection", retry=True)
        if attempt.unparsed is not None:
            if attempt.stop_reason == "max_tokens":
                return _Failure(
                    f"The reply reached max_tokens inside the input of {attempt.unparsed}", "max_tokens", retry=False
                )
            return _Failure(
                f"The API sent a tool call whose input is not JSON: {attempt.unparsed}", "bad_response", retry=True
            )
        return None


async def _until_cancelled(work: Awaitable[Any], cancel: asyncio.Event) -> Any:
    """`await work`, or `_CANCELLED` as soon as `cancel` is set (the work is then cancelled)."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(cancel.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        return _CANCELLED
    finally:
        for pending in (task, waiter):
            if not pending.done():
                pending.cancel()
        await asyncio.gather(task, waiter, return_exceptions=True)


def _failure(error: ErrorRecord) -> _Failure:
    """What a failed request means for the turn: its wording, its kind, whether to retry."""
    first_line = error["message"].splitlines()[0]
    kind = error["kind"]
    if kind == "connection":
        return _Failure(f"Connection to the API failed: {first_line}", "connection", retry=True)
    if kind == "malformed":
        return _Failure(f"The API sent malformed stream data ({first_line})", "bad_response", retry=True)
    if kind == "unexpected":
        _log.debug("the model provider process failed: %s", error["message"])
        return _Failure(f"The model provider failed: {error['message'].splitlines()[-1]}", "api_error", retry=False)
    if kind != "status" or error["status"] is None:
        return _Failure(f"The API request failed: {first_line}", "api_error", retry=False)
    return _status_failure(error, first_line)


def _status_failure(error: ErrorRecord, first_line: str) -> _Failure:
    status = error["status"] or 0
    kind_of_error = error["error_type"] or ""
    detail = error["api_message"] or first_line
    if status == 200:
        # An `error` event in the middle of a stream; the HTTP status was already 200.
        return _Failure(
            f"The API reported {kind_of_error or 'an error'} mid-stream: {detail}",
            "overloaded" if kind_of_error == "overloaded_error" else "server",
            retry=kind_of_error in RETRY_STREAM_ERRORS,
        )
    if status in RETRY_STATUSES or status >= 500:
        kind = "rate_limit" if status == 429 else "overloaded" if status == 529 else "server"
        label = {429: "Rate limited", 529: "The API is overloaded"}.get(status, "The API failed")
        return _Failure(
            f"{label} ({status}): {detail}", kind, retry=True, status=status, retry_after=error["retry_after"]
        )
    kind = _STATUS_KINDS.get(status, "api_error")
    hint = _KIND_HINTS.get(kind)
    message = f"The API refused the request ({status} {kind_of_error or 'error'}): {detail}"
    return _Failure(f"{message} {hint}" if hint else message, kind, retry=False, status=status)
