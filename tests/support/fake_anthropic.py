"""A scripted Anthropic-compatible Messages API server on 127.0.0.1.

Tests start a `FakeAnthropic`, point the SDK at `server.url`, and script what
the "model" answers, one item per request:

    server.script(text("Hello"), tool_use("read_file", {"filePath": "a.py"}))
    server.fail(429, retry_after=0)                 # the next request is rate limited
    server.script(text("Hi"), error_after=3)         # an `error` event after 3 deltas
    server.respond_with(lambda body: [text("echo")])  # when the script is empty
    server.context_limit = 3000                        # 400 "prompt is too long" past 3000 tokens

It streams Server-Sent Events exactly like the real API (`message_start`,
`ping`, `content_block_start/delta/stop`, `message_delta`, `message_stop`)
with every block cut into small deltas, answers `stream: false` with plain
JSON, serves `/v1/messages/count_tokens`, checks the API key (`x-api-key` or
`Authorization: Bearer`), validates requests like the API does (tool_use /
tool_result pairing, at most 4 cache breakpoints), records every request, and
accounts prompt caching deterministically (see `PromptCache`).

Standalone, for tests that drive the real app in a terminal:

    python -m tests.support.fake_anthropic --script replies.json --port 0

prints `listening on http://127.0.0.1:PORT` and serves until interrupted. The
script file is a JSON list; each item is a list of content blocks, an object
with `content` plus the `Reply` options (`stop_reason`, `error_after`, ...),
or `{"error": {"status": 429, "message": "...", "retry_after": 0}}`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_KEY = "test-key"
MAX_CACHE_BREAKPOINTS = 4
HOLD_LIMIT_S = 30.0
"""A held stream gives up waiting for `release()` after this long, so no thread outlives a test run."""

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_tool_ids = itertools.count(1)


# --- content block builders ---------------------------------------------------


def text(value: str) -> dict[str, Any]:
    """A text block."""
    return {"type": "text", "text": value}


def thinking(value: str, signature: str = "sig-fake") -> dict[str, Any]:
    """A thinking block; its signature is streamed as one `signature_delta`."""
    return {"type": "thinking", "thinking": value, "signature": signature}


def tool_use(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:  # noqa: A002 - API field names
    """A tool_use block; without `id` a process-unique `toolu_fake_NNNN` is assigned."""
    return {"type": "tool_use", "id": id or f"toolu_fake_{next(_tool_ids):04d}", "name": name, "input": input}


def server_tool_use(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:  # noqa: A002
    """A server-side tool call the API made itself (`web_search`, `web_fetch`)."""
    return {"type": "server_tool_use", "id": id or f"srvtoolu_fake_{next(_tool_ids):04d}", "name": name, "input": input}


def web_search_result(tool_use_id: str, results: list[tuple[str, str]]) -> dict[str, Any]:
    """A `web_search_tool_result` block with one `web_search_result` per (title, url)."""
    content = [
        {"type": "web_search_result", "title": title, "url": url, "encrypted_content": "enc-fake", "page_age": None}
        for title, url in results
    ]
    return {"type": "web_search_tool_result", "tool_use_id": tool_use_id, "content": content}


def web_fetch_result(tool_use_id: str, url: str, title: str, body: str) -> dict[str, Any]:
    """A `web_fetch_tool_result` block holding the fetched page as a text document."""
    document = {
        "type": "document",
        "title": title,
        "source": {"type": "text", "media_type": "text/plain", "data": body},
    }
    return {
        "type": "web_fetch_tool_result",
        "tool_use_id": tool_use_id,
        "content": {"type": "web_fetch_result", "url": url, "content": document},
    }


def web_tool_error(tool_use_id: str, error_code: str, kind: str = "web_search") -> dict[str, Any]:
    """A server tool result that failed (`unavailable`, `max_uses_exceeded`, ...)."""
    error_type = "web_search_tool_result_error" if kind == "web_search" else "web_fetch_tool_result_error"
    return {
        "type": f"{kind}_tool_result",
        "tool_use_id": tool_use_id,
        "content": {"type": error_type, "error_code": error_code},
    }


def cited(value: str, *sources: tuple[str, str]) -> dict[str, Any]:
    """A text block citing web search results (title, url)."""
    citations = [
        {"type": "web_search_result_location", "url": url, "title": title, "cited_text": value, "encrypted_index": "ix"}
        for title, url in sources
    ]
    return {"type": "text", "text": value, "citations": citations}


# --- script items ------------------------------------------------------------


@dataclass
class Reply:
    """One successful model response, optionally with a fault part-way through the stream.

    Fault positions count `content_block_delta` events across all blocks:
    `error_after=0` fails before the first delta.
    """

    content: list[dict[str, Any]]
    stop_reason: str | None = None
    """Defaults to `tool_use` when the content has tool_use blocks, else `end_turn`."""
    chunk_size: int | None = None
    """Characters per delta; the server's default when None."""
    error_after: int | None = None
    """Send an `event: error` after this many deltas, then end the response."""
    error_type: str = "overloaded_error"
    drop_after: int | None = None
    """Close the socket abruptly after this many deltas."""
    malformed_after: int | None = None
    """Send a data line that is not JSON after this many deltas, then end the response."""
    end_after: int | None = None
    """End the response cleanly after this many deltas, without `message_stop` (a cut-off proxy)."""
    hold_after: int | None = None
    """Stop after this many deltas until `FakeAnthropic.release()` is called."""
    delay_s: float = 0.0
    """Pause between deltas (only for slow-stream tests; keep it tiny)."""
    input_chars: int | None = None
    """Stream only this many characters of each tool call's JSON input (with `stop_reason="max_tokens"`:
    a reply the output limit cut off inside a tool call)."""
    usage: dict[str, int] | None = None
    """Report this usage (`input_tokens`, `output_tokens`, `cache_*_input_tokens`) instead of the cache's
    accounting, for screens that show token counts and cost."""

    @property
    def final_stop_reason(self) -> str:
        if self.stop_reason:
            return self.stop_reason
        return "tool_use" if any(b.get("type") == "tool_use" for b in self.content) else "end_turn"


@dataclass
class HttpError:
    """An HTTP error answer with an Anthropic error body."""

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, request_id: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": self.error_type, "message": self.message}, "request_id": request_id}


def http_error(
    status: int,
    message: str | None = None,
    *,
    error_type: str | None = None,
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
) -> HttpError:
    """An `HttpError` with the API's error type for `status` and optional retry headers."""
    kind = error_type or _ERROR_TYPES.get(status, "api_error")
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    if retry_after_ms is not None:
        headers["retry-after-ms"] = f"{retry_after_ms:g}"
    return HttpError(status, kind, message or f"fake {kind} ({status})", headers)


ScriptItem = Reply | HttpError
Responder = Callable[[dict[str, Any]], "ScriptItem | list[dict[str, Any]]"]


@dataclass
class RecordedRequest:
    """One request as the server received it, and how it answered."""

    path: str
    headers: dict[str, str]
    """Lower-case header names."""
    body: Any
    """The parsed JSON body, or None when it was not JSON."""
    raw: bytes = b""
    """The body as sent."""
    request_id: str = ""
    status: int = 0
    """The status the server answered with (200 also for streams that then fail)."""
    usage: dict[str, int] | None = None
    """The usage the server reported (successful message requests only)."""


# --- request checks ------------------------------------------------------------


def tool_pairing_problems(messages: list[dict[str, Any]]) -> list[str]:
    """What the real API would reject about tool_use / tool_result pairing.

    Every tool_use in an assistant message needs a tool_result in the next
    (user) message, and every tool_result must answer a tool_use of the
    assistant message right before it.
    """
    problems = []
    for index, message in enumerate(messages):
        blocks = _blocks(message.get("content"))
        if message.get("role") == "assistant":
            ids = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
            following = messages[index + 1] if index + 1 < len(messages) else None
            answered = set()
            if following is not None and following.get("role") == "user":
                replies = _blocks(following.get("content"))
                answered = {b.get("tool_use_id") for b in replies if b.get("type") == "tool_result"}
            missing = [i for i in ids if i not in answered]
            if missing and following is not None:
                problems.append(
                    f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(map(str, missing))}. Each `tool_use` block must have a corresponding "
                    "`tool_result` block in the next message."
                )
        elif message.get("role") == "user":
            previous = messages[index - 1] if index > 0 else None
            offered = set()
            if previous is not None and previous.get("role") == "assistant":
                offered = {b.get("id") for b in _blocks(previous.get("content")) if b.get("type") == "tool_use"}
            for block in blocks:
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in offered:
                    problems.append(
                        f"messages.{index}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                        "`tool_use` block in the previous message."
                    )
    return problems


def request_problems(body: Any) -> list[str]:
    """Everything the real API would reject about a Messages request body."""
    if not isinstance(body, dict):
        return ["the request body must be a JSON object"]
    problems = []
    if not isinstance(body.get("model"), str) or not body.get("model"):
        problems.append("model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        problems.append("max_tokens: Field required (a positive integer)")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "messages: at least one message is required"]
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            problems.append(f"messages.{index}: role must be `user` or `assistant`")
        elif not isinstance(message.get("content"), (str, list)):
            problems.append(f"messages.{index}.content: must be a string or a list of content blocks")
    if problems:
        return problems
    if messages[0]["role"] != "user":
        problems.append("messages: the first message must use the `user` role")
    problems.extend(tool_pairing_problems(messages))
    breakpoints = sum(1 for unit in _prefix_units(body) if unit[1])
    if breakpoints > MAX_CACHE_BREAKPOINTS:
        problems.append(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {breakpoints}."
        )
    budget = (body.get("thinking") or {}).get("budget_tokens")
    if isinstance(budget, int) and isinstance(max_tokens, int) and budget >= max_tokens:
        problems.append("`max_tokens` must be greater than `thinking.budget_tokens`")
    return problems


# --- token and cache accounting ---------------------------------------------------


def estimate_tokens(unit: Any) -> int:
    """A deterministic token estimate: a quarter of the JSON length, at least 1."""
    return max(1, len(json.dumps(unit, sort_keys=True, ensure_ascii=False)) // 4)


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _prefix_units(body: dict[str, Any]) -> Iterator[tuple[Any, bool]]:
    """The request's cacheable units in prefix order (tools, system, messages).

    Yields each unit without its `cache_control`, and whether it carries one.
    """

    def strip(block: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in block.items() if k != "cache_control"}

    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            yield strip(tool), "cache_control" in tool
    system = body.get("system") or []
    for block in _blocks(system):
        yield {"system": strip(block)}, "cache_control" in block
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            for block in _blocks(message.get("content")):
                yield {"role": message.get("role"), "block": strip(block)}, "cache_control" in block


class PromptCache:
    """Prompt-cache accounting like the real API's, but deterministic.

    Each `cache_control` breakpoint writes the prefix up to and including its
    block to the cache. A request reads the longest stored prefix that equals
    its own prefix at one of its breakpoints; the tokens from there to its
    last breakpoint are written; the rest is plain input. Prefixes are keyed
    by model, as the real cache is.
    """

    def __init__(self) -> None:
        self._stored: set[str] = set()
        self._lock = threading.Lock()

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Usage for `body`, recording its breakpoints as written."""
        digest = hashlib.sha256(str(body.get("model")).encode())
        total = 0
        breakpoints: list[tuple[str, int]] = []
        for unit, marked in _prefix_units(body):
            digest.update(json.dumps(unit, sort_keys=True, ensure_ascii=False).encode())
            total += estimate_tokens(unit)
            if marked:
                breakpoints.append((digest.copy().hexdigest(), total))
        with self._lock:
            read = max((tokens for key, tokens in breakpoints if key in self._stored), default=0)
            self._stored.update(key for key, _ in breakpoints)
        cached_end = breakpoints[-1][1] if breakpoints else 0
        return {
            "input_tokens": total - cached_end,
            "cache_creation_input_tokens": cached_end - read,
            "cache_read_input_tokens": read,
        }


# --- the server ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each stream event is its own small write. With Nagle's algorithm on, every one after the
    # first waits for the client's delayed ACK (40 ms) on a reused connection; the API does not.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: tests read `FakeAnthropic.requests` instead."""

    def do_POST(self) -> None:
        self.server.fake.handle(self)

    def do_GET(self) -> None:
        self.server.fake.handle(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAnthropic

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping idle keep-alive connections is normal, not a server fault.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class FakeAnthropic:
    """The scripted server. Use as a context manager or call `start()` / `stop()`.

    Args:
        api_key: the key clients must send; None accepts any key.
        chunk_size: default characters per streamed delta.
        strict: reject requests the real API would reject (400 invalid_request_error).
        port: 0 picks a free port.
    """

    def __init__(
        self, *, api_key: str | None = DEFAULT_KEY, chunk_size: int = 4, strict: bool = True, port: int = 0
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self.api_key = api_key
        self.chunk_size = chunk_size
        self.strict = strict
        self.requests: list[RecordedRequest] = []
        self.cache = PromptCache()
        self.context_limit: int | None = None
        """Refuse (400 `prompt is too long: N tokens > LIMIT maximum`) a request whose prompt passes this,
        as the real API does past the context window; the script item stays for the next request."""
        self.on_request: Callable[[RecordedRequest], None] | None = None
        """Called with each request as its answer starts (the standalone server logs with it)."""
        self._script: deque[ScriptItem] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # lifecycle

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to give the SDK (`base_url` / `ANTHROPIC_BASE_URL`)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAnthropic:
        # A short poll interval keeps `stop()` (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-anthropic", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (standalone use)."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting

    def script(self, *blocks: dict[str, Any], **options: Any) -> Reply:
        """Queue one reply made of `blocks`; `options` are `Reply` fields."""
        reply = Reply(content=list(blocks), **options)
        self.enqueue(reply)
        return reply

    def fail(self, status: int, message: str | None = None, **options: Any) -> HttpError:
        """Queue one HTTP error answer; `options` as for `http_error`."""
        error = http_error(status, message, **options)
        self.enqueue(error)
        return error

    def enqueue(self, *items: ScriptItem) -> None:
        for item in items:
            if not isinstance(item, (Reply, HttpError)):
                raise TypeError(f"script items are Reply or HttpError, got {type(item).__name__}")
        with self._lock:
            self._script.extend(items)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with `responder(request_body)` whenever the script is empty."""
        self._responder = responder

    def release(self) -> None:
        """Let streams held by `hold_after` continue."""
        self._released.set()

    @property
    def pending(self) -> int:
        """Script items not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def message_requests(self) -> list[RecordedRequest]:
        """The recorded `POST /v1/messages` requests, oldest first."""
        return [r for r in self.requests if r.path == "/v1/messages"]

    # request handling (runs on server threads)

    def handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(
            path=handler.path.split("?", 1)[0],
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            raw=raw,
            request_id=f"req_fake_{next(self._ids):04d}",
        )
        with self._lock:
            self.requests.append(record)
        try:
            self._answer(handler, record, raw)
        except OSError:
            # The client went away mid-answer (a cancelled stream): nothing left to tell it.
            handler.close_connection = True

    def _answer(self, handler: _Handler, record: RecordedRequest, raw: bytes) -> None:
        if handler.command != "POST" or record.path not in ("/v1/messages", "/v1/messages/count_tokens"):
            return self._send_error(handler, record, http_error(404, f"Not found: {handler.command} {record.path}"))
        if self.api_key is not None and _sent_key(record.headers) != self.api_key:
            return self._send_error(handler, record, http_error(401, "invalid x-api-key"))
        if record.body is None:
            detail = "the request body is empty" if not raw else "the request body is not valid JSON"
            return self._send_error(handler, record, http_error(400, detail))
        if record.path.endswith("count_tokens"):
            total = sum(estimate_tokens(unit) for unit, _ in _prefix_units(record.body))
            return self._send_json(handler, record, 200, {"input_tokens": total})
        problems = request_problems(record.body) if self.strict else []
        if problems:
            return self._send_error(handler, record, http_error(400, "; ".join(problems)))
        size = sum(estimate_tokens(unit) for unit, _ in _prefix_units(record.body))
        if self.context_limit is not None and size > self.context_limit:
            refusal = http_error(400, f"prompt is too long: {size} tokens > {self.context_limit} maximum")
            return self._send_error(handler, record, refusal)
        item = self._next_item(record.body)
        if isinstance(item, HttpError):
            return self._send_error(handler, record, item)
        record.usage = self.cache.usage(record.body)
        if item.usage is not None:
            record.usage = dict(item.usage)
        message = _message(item, record.body.get("model", ""), record.usage, record.request_id)
        if record.body.get("stream"):
            return self._stream(handler, record, item, message)
        return self._send_json(handler, record, 200, message)

    def _next_item(self, body: dict[str, Any]) -> ScriptItem:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self._responder is None:
            return http_error(400, "fake server: the script is exhausted and no responder is set")
        try:
            answer = self._responder(body)
        except Exception as exc:  # noqa: BLE001 - a test's responder bug becomes a clear API error
            return http_error(400, f"fake server: the responder raised {type(exc).__name__}: {exc}")
        return Reply(content=list(answer)) if isinstance(answer, list) else answer

    def _commit(self, record: RecordedRequest, status: int) -> None:
        """Record the answer's status before sending it, so a client that has the answer sees the record."""
        record.status = status
        if self.on_request is not None:
            self.on_request(record)

    def _send_json(
        self,
        handler: _Handler,
        record: RecordedRequest,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._commit(record, status)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        handler.send_header("request-id", record.request_id)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()

    def _send_error(self, handler: _Handler, record: RecordedRequest, error: HttpError) -> None:
        self._send_json(handler, record, error.status, error.body(record.request_id), error.headers)

    def _stream(self, handler: _Handler, record: RecordedRequest, reply: Reply, message: dict[str, Any]) -> None:
        self._commit(record, 200)
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("transfer-encoding", "chunked")
        handler.send_header("request-id", record.request_id)
        handler.end_headers()

        def send(event: str, data: Any) -> None:
            payload = data if isinstance(data, str) else json.dumps(data)
            chunk = f"event: {event}\ndata: {payload}\n\n".encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()

        def end() -> None:
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()

        start = dict(message, content=[], stop_reason=None, usage=dict(message["usage"], output_tokens=1))
        send("message_start", {"type": "message_start", "message": start})
        send("ping", {"type": "ping"})
        deltas = 0
        for index, block in enumerate(reply.content):
            start_block = {"type": "content_block_start", "index": index, "content_block": _start_form(block)}
            send("content_block_start", start_block)
            for delta in _cut_input(_deltas(block, reply.chunk_size or self.chunk_size), reply.input_chars):
                if deltas == reply.error_after:
                    error = {"type": "error", "error": {"type": reply.error_type, "message": "fake mid-stream error"}}
                    send("error", error)
                    return end()
                if deltas == reply.drop_after:
                    handler.connection.shutdown(socket.SHUT_RDWR)
                    handler.close_connection = True
                    return None
                if deltas == reply.malformed_after:
                    send("content_block_delta", '{"type": "content_block_delta", "index": ')
                    return end()
                if deltas == reply.end_after:
                    return end()
                if deltas == reply.hold_after:
                    self._released.wait(HOLD_LIMIT_S)
                if reply.delay_s and deltas:
                    time.sleep(reply.delay_s)
                send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
                deltas += 1
            send("content_block_stop", {"type": "content_block_stop", "index": index})
        send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
        send("message_stop", {"type": "message_stop"})
        return end()


def _sent_key(headers: dict[str, str]) -> str | None:
    if "x-api-key" in headers:
        return headers["x-api-key"]
    auth = headers.get("authorization", "")
    return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


def _message(reply: Reply, model: str, usage: dict[str, int], request_id: str) -> dict[str, Any]:
    output = sum(estimate_tokens(block) for block in reply.content) if reply.content else 1
    return {
        "id": f"msg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.content,
        "stop_reason": reply.final_stop_reason,
        "stop_sequence": None,
        "usage": {"output_tokens": output, **usage},
    }


def _start_form(block: dict[str, Any]) -> dict[str, Any]:
    """A block as `content_block_start` announces it: the streamed parts empty."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": ""}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    if kind in ("tool_use", "server_tool_use"):
        return {"type": kind, "id": block["id"], "name": block["name"], "input": {}}
    return block


def _cut_input(deltas: list[dict[str, Any]], chars: int | None) -> list[dict[str, Any]]:
    """The deltas with only the first `chars` characters of tool input JSON kept (all for None)."""
    if chars is None:
        return deltas
    kept = []
    for delta in deltas:
        if delta["type"] == "input_json_delta":
            part = delta["partial_json"][: max(0, chars)]
            chars -= len(delta["partial_json"])
            if not part:
                continue
            delta = {**delta, "partial_json": part}
        kept.append(delta)
    return kept


def _chunks(value: str, size: int) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)]


def _deltas(block: dict[str, Any], size: int) -> list[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        parts = [{"type": "text_delta", "text": part} for part in _chunks(block["text"], size)]
        return [*parts, *({"type": "citations_delta", "citation": c} for c in block.get("citations") or [])]
    if kind == "thinking":
        parts = [{"type": "thinking_delta", "thinking": part} for part in _chunks(block["thinking"], size)]
        return [*parts, {"type": "signature_delta", "signature": block["signature"]}]
    if kind in ("tool_use", "server_tool_use"):
        parts = _chunks(json.dumps(block["input"]), size)
        return [{"type": "input_json_delta", "partial_json": part} for part in parts]
    return []


# --- standalone use ------------------------------------------------------------------


def item_from_json(data: Any) -> ScriptItem:
    """One script item from its JSON form (see the module docstring).

    Raises:
        ValueError: the item is neither a block list, a reply object nor an error object.
    """
    if isinstance(data, list):
        return Reply(content=[_block_from_json(b) for b in data])
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        spec = dict(data["error"])
        if "status" not in spec:
            raise ValueError(f"an error item needs a status: {data!r}")
        return http_error(int(spec.pop("status")), spec.pop("message", None), **spec)
    if isinstance(data, dict) and isinstance(data.get("content"), list):
        options = {k: v for k, v in data.items() if k != "content"}
        return Reply(content=[_block_from_json(b) for b in data["content"]], **options)
    raise ValueError(f"a script item is a list of blocks, {{'content': [...]}} or {{'error': {{...}}}}, got {data!r}")


def _block_from_json(data: Any) -> dict[str, Any]:
    if isinstance(data, str):
        return text(data)
    if isinstance(data, dict) and data.get("type") == "tool_use" and "id" not in data:
        return tool_use(data["name"], data.get("input", {}))
    if isinstance(data, dict) and data.get("type") in ("text", "thinking", "tool_use"):
        return data
    raise ValueError(f"unknown content block in script: {data!r}")


def load_script(path: Path) -> list[ScriptItem]:
    """The items of a JSON script file.

    Raises:
        ValueError: the file is not a JSON list of valid items.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: a script is a JSON list of replies")
    return [item_from_json(item) for item in data]


def log_requests(server: FakeAnthropic, path: Path, line: Callable[[RecordedRequest], dict[str, Any]]) -> None:
    """Append `line(request)` as one JSON line to `path` for every request the server answers
    (a server in another process, whose requests a test or benchmark reads afterwards)."""

    def log(record: RecordedRequest) -> None:
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line(record)) + "\n")

    server.on_request = log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.fake_anthropic", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--script", type=Path, required=True, help="JSON list of replies")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--key", default=DEFAULT_KEY, help="expected API key ('' accepts any)")
    parser.add_argument("--chunk-size", type=int, default=4)
    parser.add_argument("--requests-log", type=Path, help="append each request as one JSON line")
    parser.add_argument("--context-limit", type=int, help="answer 400 `prompt is too long` past this many tokens")
    args = parser.parse_args(argv)
    try:
        items = load_script(args.script)
    except (OSError, ValueError, TypeError) as exc:
        print(f"fake_anthropic: {exc}", file=sys.stderr)
        return 2
    server = FakeAnthropic(api_key=args.key or None, chunk_size=args.chunk_size, port=args.port)
    server.enqueue(*items)
    server.context_limit = args.context_limit
    if args.requests_log:
        log_path: Path = args.requests_log

        log_requests(
            server,
            log_path,
            lambda record: {"path": record.path, "status": record.status, "usage": record.usage, "body": record.body},
        )
    print(f"listening on {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
