"""The scripted Anthropic server: wire format, auth, validation, cache accounting, standalone use."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_anthropic import (
    FakeAnthropic,
    PromptCache,
    Reply,
    estimate_tokens,
    http_error,
    item_from_json,
    load_script,
    text,
    thinking,
    tool_pairing_problems,
    tool_use,
)

ROOT = Path(__file__).resolve().parents[2]
USER_HI = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def post(server: FakeAnthropic, body: Any, path: str = "/v1/messages", headers: dict[str, str] | None = None):
    """(status, headers, raw body) of one POST; `headers` replace the default `x-api-key`."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"x-api-key": "test-key"} if headers is None else headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, raw


def sse_events(raw: bytes) -> list[tuple[str, Any]]:
    events = []
    for chunk in raw.decode().split("\n\n"):
        if chunk.strip():
            lines = dict(line.split(": ", 1) for line in chunk.splitlines())
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def request(**extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-5-5", "max_tokens": 100, "messages": USER_HI, **extra}


def test_stream_has_the_api_event_sequence_and_small_deltas(fake_anthropic: FakeAnthropic) -> None:
    call = tool_use("read_file", {"filePath": "a.py"})
    blocks = [thinking("let me see", signature="sig-1"), text("Hello there"), call]
    fake_anthropic.script(*blocks)

    status, headers, raw = post(fake_anthropic, request(stream=True))

    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 3
    deltas = [data["delta"] for name, data in events if name == "content_block_delta"]
    assert [d["text"] for d in deltas if d["type"] == "text_delta"] == ["Hell", "o th", "ere"]
    assert "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta") == "let me see"
    assert [d["signature"] for d in deltas if d["type"] == "signature_delta"] == ["sig-1"]
    tool_json = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert json.loads(tool_json) == call["input"]
    start = events[0][1]["message"]
    assert start["usage"]["input_tokens"] > 0 and start["content"] == []
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "tool_use"
    assert final["usage"]["output_tokens"] == sum(estimate_tokens(b) for b in blocks)


def test_plain_json_reply_and_stop_reason_override(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("cut"), stop_reason="max_tokens", chunk_size=1)

    status, _, raw = post(fake_anthropic, request())

    message = json.loads(raw)
    assert status == 200
    assert message["content"] == [text("cut")] and message["stop_reason"] == "max_tokens"
    assert set(message["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }


def test_scripted_usage_replaces_the_cache_accounting_in_both_forms(fake_anthropic: FakeAnthropic) -> None:
    usage = {"input_tokens": 100, "output_tokens": 50, "cache_creation_input_tokens": 7, "cache_read_input_tokens": 8}
    fake_anthropic.script(text("plain"), usage=usage)
    fake_anthropic.script(text("streamed"), usage=usage)

    _, _, raw = post(fake_anthropic, request())
    _, _, streamed = post(fake_anthropic, request(stream=True))

    assert json.loads(raw)["usage"] == usage
    events = sse_events(streamed)
    start = next(data for name, data in events if name == "message_start")["message"]["usage"]
    assert start == dict(usage, output_tokens=1)
    assert next(data for name, data in events if name == "message_delta")["usage"] == {"output_tokens": 50}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-api-key": "test-key"}, 200),
        ({"authorization": "Bearer test-key"}, 200),
        ({"x-api-key": "wrong"}, 401),
        ({"authorization": "Bearer wrong"}, 401),
        ({}, 401),
    ],
)
def test_key_checked_in_either_header(fake_anthropic: FakeAnthropic, headers: dict[str, str], expected: int) -> None:
    fake_anthropic.respond_with(lambda body: [text("ok")])
    status, _, raw = post(fake_anthropic, request(), headers=headers)
    assert status == expected
    if expected == 401:
        error = json.loads(raw)
        assert error["type"] == "error" and error["error"]["type"] == "authentication_error"


def test_scripted_http_errors_carry_retry_headers(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.fail(429, retry_after=0.01)
    fake_anthropic.fail(529)

    status, headers, raw = post(fake_anthropic, request())
    assert (status, headers["retry-after"]) == (429, "0.01")
    assert json.loads(raw)["error"]["type"] == "rate_limit_error"
    status, _, raw = post(fake_anthropic, request())
    assert status == 529 and json.loads(raw)["error"]["type"] == "overloaded_error"
    assert [r.status for r in fake_anthropic.requests] == [429, 529]


def test_invalid_requests_are_rejected_like_the_api(fake_anthropic: FakeAnthropic) -> None:
    call = tool_use("read_file", {"filePath": "a.py"})
    unanswered = [*USER_HI, {"role": "assistant", "content": [call]}, {"role": "user", "content": "go on"}]

    status, _, raw = post(fake_anthropic, request(messages=unanswered))
    assert status == 400
    assert call["id"] in json.loads(raw)["error"]["message"]

    marked = [{"type": "text", "text": str(i), "cache_control": {"type": "ephemeral"}} for i in range(5)]
    status, _, raw = post(fake_anthropic, request(messages=[{"role": "user", "content": marked}]))
    assert status == 400 and "maximum of 4" in json.loads(raw)["error"]["message"]

    status, _, raw = post(fake_anthropic, b"{not json")
    assert status == 400 and "not valid JSON" in json.loads(raw)["error"]["message"]


def test_a_prompt_past_the_context_limit_is_refused_like_the_api(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("fits"))
    fake_anthropic.context_limit = 50
    big = [{"role": "user", "content": [{"type": "text", "text": "x" * 400}]}]
    status, _, raw = post(fake_anthropic, request(messages=big))
    error = json.loads(raw)["error"]
    assert status == 400 and error["type"] == "invalid_request_error"
    assert error["message"].startswith("prompt is too long: ") and error["message"].endswith("tokens > 50 maximum")
    status, _, raw = post(fake_anthropic, request())
    assert status == 200 and json.loads(raw)["content"] == [text("fits")]  # the refusal kept the script item


def test_exhausted_script_and_responder(fake_anthropic: FakeAnthropic) -> None:
    status, _, raw = post(fake_anthropic, request())
    assert status == 400 and "script is exhausted" in json.loads(raw)["error"]["message"]

    fake_anthropic.respond_with(lambda body: [text(f"{len(body['messages'])} messages")])
    status, _, raw = post(fake_anthropic, request())
    assert json.loads(raw)["content"] == [text("1 messages")]

    fake_anthropic.respond_with(lambda body: body["missing"])
    status, _, raw = post(fake_anthropic, request())
    assert status == 400 and "responder raised KeyError" in json.loads(raw)["error"]["message"]


def test_count_tokens(fake_anthropic: FakeAnthropic) -> None:
    status, _, raw = post(fake_anthropic, request(), path="/v1/messages/count_tokens")
    assert status == 200 and json.loads(raw)["input_tokens"] >= 1


def test_tool_pairing_problems() -> None:
    call = tool_use("list_dir", {"path": "."})
    answered = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "a/"}]}
    assert tool_pairing_problems([*USER_HI, {"role": "assistant", "content": [call]}, answered]) == []
    stray = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": ""}]}
    assert "toolu_x" in tool_pairing_problems([*USER_HI, {"role": "assistant", "content": [text("hi")]}, stray])[0]


def test_prompt_cache_reads_the_longest_stored_prefix() -> None:
    cache = PromptCache()
    system = [{"type": "text", "text": "S" * 400, "cache_control": {"type": "ephemeral"}}]
    question = {"type": "text", "text": "q" * 40, "cache_control": {"type": "ephemeral"}}
    first = {"model": "m", "system": system, "messages": [{"role": "user", "content": [question]}]}
    usage = cache.usage(first)
    assert usage["cache_read_input_tokens"] == 0
    assert usage["cache_creation_input_tokens"] > 100 and usage["input_tokens"] == 0

    second = json.loads(json.dumps(first))
    second["messages"] += [
        {"role": "assistant", "content": [text("a" * 40)]},
        {"role": "user", "content": [text("more")]},
    ]
    usage_again = cache.usage(second)
    # The old breakpoint is still in place: its prefix is read, the rest is plain input.
    assert usage_again["cache_read_input_tokens"] == usage["cache_creation_input_tokens"]
    assert usage_again["cache_creation_input_tokens"] == 0 and usage_again["input_tokens"] > 0

    other_model = dict(first, model="n")
    assert cache.usage(other_model)["cache_read_input_tokens"] == 0


def test_script_items_from_json(tmp_path: Path) -> None:
    assert item_from_json(["Hi"]) == Reply(content=[text("Hi")])
    call = {"type": "tool_use", "name": "list_dir", "input": {"path": "."}}
    reply = item_from_json({"content": [call], "error_after": 1})
    assert isinstance(reply, Reply) and reply.error_after == 1 and reply.content[0]["id"].startswith("toolu_fake_")
    assert item_from_json({"error": {"status": 429, "retry_after": 0}}) == http_error(429, retry_after=0)
    with pytest.raises(ValueError, match="a script item is"):
        item_from_json(42)
    with pytest.raises(ValueError, match="unknown content block"):
        item_from_json([{"type": "image"}])
    bad = tmp_path / "bad.json"
    bad.write_text('{"content": []}')
    with pytest.raises(ValueError, match="JSON list"):
        load_script(bad)


def test_standalone_server_serves_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([["Hello from the script"]]))
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.fake_anthropic",
            "--script",
            str(script),
            "--port",
            "0",
            "--requests-log",
            str(log),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/v1/messages", body=json.dumps(request()), headers={"x-api-key": "test-key"})
        message = json.loads(conn.getresponse().read())
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    assert message["content"] == [text("Hello from the script")]
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["path"], r["status"]) for r in logged] == [("/v1/messages", 200)]


def test_bad_script_file_exits_with_a_message(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text("[42]")
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.fake_anthropic", "--script", str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "a script item is" in done.stderr
