"""The anthropic provider against the scripted server: streaming, caching, faults, cancel."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

import pytest

from tests.support.fake_anthropic import FakeAnthropic, estimate_tokens, text, thinking, tool_use
from tui.engine.model import remote
from tui.engine.model.pricing import cost_usd
from tui.engine.model.provider import (
    EPHEMERAL,
    AnthropicProvider,
    MissingKeyError,
    ModelRequest,
    ModelResponse,
    ProviderError,
    request_params,
)
from tui.engine.session.events import Event, Retry, Status, StreamReset, TextDelta, ThinkingDelta, ToolInputDelta

MODEL = "claude-sonnet-5-5"
SYSTEM = [{"type": "text", "text": "You are a careful pair programmer. " * 40}]
TOOLS = [
    {
        "name": name,
        "description": f"The {name} tool. " * 10,
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
    }
    for name in ("read_file", "list_dir", "run_in_terminal")
]


@pytest.fixture(scope="module", params=["in_process", "provider_process"], autouse=True)
def provider_path(request: pytest.FixtureRequest) -> Any:
    """Every test runs twice: the SDK in this process, and in the provider process (`stepwise`'s default)."""
    if request.param == "in_process":
        remote.stop()  # one that a test calling `main` started
        yield request.param
        return
    assert remote.start() is not None
    yield request.param
    remote.stop()


class Run:
    """Drives one provider against the fake server and records what it emits and sleeps."""

    def __init__(self, server: FakeAnthropic, **options: Any) -> None:
        self.events: list[Event] = []
        self.sleeps: list[float] = []
        self.cancel = asyncio.Event()
        self.provider = AnthropicProvider(api_key="test-key", base_url=server.url, sleep=self._sleep, **options)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    async def stream(self, messages: list[dict[str, Any]] | None = None, **fields: Any) -> ModelResponse:
        request = ModelRequest(model=MODEL, system=SYSTEM, tools=TOOLS, messages=messages or user("hi"), **fields)
        try:
            return await self.provider.stream(request, self.emit, self.cancel)
        finally:
            await self.provider.aclose()

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def shown_text(self) -> str:
        return "".join(e.text for e in self.of(TextDelta))


def user(value: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [text(value)]}]


def bare_request(**fields: Any) -> ModelRequest:
    """A one-question request without tools or system prompt."""
    return ModelRequest(model=MODEL, system=[], tools=[], messages=user("q"), **fields)


# --- streaming ---------------------------------------------------------------------


async def test_text_thinking_and_tool_use_reassembled_exactly(
    fake_anthropic: FakeAnthropic, provider_path: str
) -> None:
    call = tool_use("read_file", {"filePath": "src/a.py", "startLine": 1, "endLine": 40})
    fake_anthropic.script(thinking("First look at the file.", signature="sig-xyz"), text("Let me read **a.py**."), call)
    run = Run(fake_anthropic)

    response = await run.stream(thinking_budget=2000)

    assert response.content == [
        {"type": "thinking", "thinking": "First look at the file.", "signature": "sig-xyz"},
        {"type": "text", "text": "Let me read **a.py**."},
        call,
    ]
    assert response.stop_reason == "tool_use" and response.partial is False and response.model == MODEL
    assert "".join(e.text for e in run.of(ThinkingDelta)) == "First look at the file."
    assert {e.index for e in run.of(TextDelta)} == {1}
    if provider_path == "in_process":  # through the process, the deltas of one network read arrive as one
        assert len(run.of(TextDelta)) > 3
    assert run.shown_text() == "Let me read **a.py**."
    tool_deltas = run.of(ToolInputDelta)
    assert {(e.index, e.tool_use_id, e.name) for e in tool_deltas} == {(2, call["id"], "read_file")}
    assert json.loads("".join(e.partial_json for e in tool_deltas)) == call["input"]
    assert run.of(Status)[0].state == "streaming"
    assert fake_anthropic.message_requests[0].body["thinking"] == {"type": "enabled", "budget_tokens": 2000}


async def test_slow_stream_arrives_whole(fake_anthropic: FakeAnthropic, provider_path: str) -> None:
    fake_anthropic.script(text("slow but steady"), delay_s=0.001, chunk_size=2)
    run = Run(fake_anthropic)

    response = await run.stream()

    assert response.content == [text("slow but steady")]
    deltas = [e.text for e in run.of(TextDelta)]
    assert "".join(deltas) == "slow but steady"
    if provider_path == "in_process":
        assert deltas[:3] == ["sl", "ow", " b"]
    else:  # the process merges the deltas of one network read, whole ones only
        assert all(len(delta) % 2 == 0 for delta in deltas[:-1])


async def test_usage_and_cost(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("Done."))
    run = Run(fake_anthropic)

    response = await run.stream()

    sent = fake_anthropic.message_requests[0].usage
    assert response.usage == {**sent, "output_tokens": estimate_tokens(text("Done."))}
    assert response.cost_usd == pytest.approx(cost_usd(MODEL, response.usage))
    assert response.cost_usd > 0


async def test_prices_are_configurable(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("Done."))
    per_token = {"input": 0, "output": 1_000_000, "cache_write": 0, "cache_read": 0}
    run = Run(fake_anthropic, prices={"claude-sonnet-5-5": per_token})

    response = await run.stream()

    assert response.cost_usd == pytest.approx(response.usage["output_tokens"])


# --- prompt caching ----------------------------------------------------------------------


def test_cache_breakpoints_on_copies() -> None:
    call = tool_use("list_dir", {"path": "."})
    messages = [
        {"role": "user", "content": "start"},
        {"role": "assistant", "content": [thinking("hm"), call]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call["id"], "content": "a/", "cache_control": EPHEMERAL},
                text("and then?"),
            ],
        },
    ]
    before = copy.deepcopy(messages)
    tools_before = copy.deepcopy(TOOLS)

    params = request_params(ModelRequest(model=MODEL, system=SYSTEM, tools=TOOLS, messages=messages))

    assert messages == before and tools_before == TOOLS
    assert [t.get("cache_control") for t in params["tools"]] == [None, None, EPHEMERAL]
    assert params["system"][-1]["cache_control"] == EPHEMERAL
    sent = params["messages"]
    assert sent[0]["content"] == [{"type": "text", "text": "start", "cache_control": EPHEMERAL}]
    assert sent[1] is messages[1]
    # The stale breakpoint on the tool result is removed; the newest block gets one.
    assert [b.get("cache_control") for b in sent[2]["content"]] == [None, EPHEMERAL]


def test_thinking_blocks_never_get_a_breakpoint() -> None:
    messages = [*user("q"), {"role": "assistant", "content": [text("a"), thinking("t")]}]
    params = request_params(ModelRequest(model=MODEL, system=[], tools=[], messages=messages))
    assert params["messages"][1]["content"] == [{**text("a"), "cache_control": EPHEMERAL}, thinking("t")]
    assert "tools" not in params and "system" not in params


def test_thinking_budget_must_fit_in_max_tokens() -> None:
    with pytest.raises(ProviderError, match="thinking budget") as caught:
        request_params(bare_request(max_tokens=1000, thinking_budget=1000))
    assert caught.value.kind == "bad_request"


async def test_growing_conversation_reads_mostly_from_the_cache(fake_anthropic: FakeAnthropic) -> None:
    turns = 8

    def answer(body: dict[str, Any]) -> list[dict[str, Any]]:
        done = sum(1 for m in body["messages"] if m["role"] == "assistant")
        if done < turns - 1:
            return [text(f"Step {done}."), tool_use("read_file", {"filePath": f"f{done}.py"})]
        return [text("All done.")]

    fake_anthropic.respond_with(answer)
    run = Run(fake_anthropic)
    messages = user("Read the files one by one.")
    for _ in range(turns):
        response = await run.stream(messages)
        messages = [*messages, {"role": "assistant", "content": response.content}]
        calls = [b for b in response.content if b["type"] == "tool_use"]
        if not calls:
            break
        results = [
            {"type": "tool_result", "tool_use_id": c["id"], "content": f"contents of {c['input']['filePath']}"}
            for c in calls
        ]
        messages.append({"role": "user", "content": results})

    requests = fake_anthropic.message_requests
    assert len(requests) == turns and all(r.status == 200 for r in requests)
    later = [r.usage for r in requests[1:]]
    read = sum(u["cache_read_input_tokens"] for u in later)
    total = sum(u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] + u["input_tokens"] for u in later)
    assert read / total >= 0.8, f"cache reads {read} of {total} input tokens"
    for r in requests:
        marks = json.dumps(r.body).count('"cache_control"')
        assert 3 <= marks <= 4


# --- faults -----------------------------------------------------------------------------


async def test_rate_limit_honours_retry_after(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.fail(429, retry_after=0.01)
    fake_anthropic.fail(429, retry_after_ms=20)
    fake_anthropic.script(text("Finally."))
    run = Run(fake_anthropic)

    response = await run.stream()

    assert response.content == [text("Finally.")]
    retries = run.of(Retry)
    assert [(r.attempt, r.status, r.wait_s) for r in retries] == [(1, 429, 0.01), (2, 429, 0.02)]
    assert "Rate limited (429)" in retries[0].reason
    assert run.sleeps == [0.01, 0.02]
    assert "retrying" in [s.state for s in run.of(Status)]
    assert run.of(StreamReset) == []


@pytest.mark.parametrize("status", [529, 500, 503])
async def test_server_errors_back_off_exponentially(fake_anthropic: FakeAnthropic, status: int) -> None:
    fake_anthropic.fail(status)
    fake_anthropic.fail(status)
    fake_anthropic.script(text("ok"))
    run = Run(fake_anthropic, backoff_base_s=0.5)

    response = await run.stream()

    assert response.content == [text("ok")]
    assert [(r.status, r.wait_s) for r in run.of(Retry)] == [(status, 0.5), (status, 1.0)]
    assert run.sleeps == [0.5, 1.0]


async def test_retries_run_out(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(3):
        fake_anthropic.fail(529, "Overloaded")
    run = Run(fake_anthropic, max_retries=2)

    with pytest.raises(ProviderError) as caught:
        await run.stream()

    assert caught.value.kind == "overloaded" and caught.value.status == 529
    assert "overloaded (529): Overloaded" in caught.value.message and "gave up after 2 retries" in caught.value.message
    assert len(fake_anthropic.message_requests) == 3


@pytest.mark.parametrize(
    "fault",
    [{"error_after": 3}, {"drop_after": 3}, {"malformed_after": 3}, {"end_after": 3}],
    ids=["mid-stream error", "dropped connection", "malformed json", "cut short"],
)
async def test_interrupted_stream_retries_without_duplicating_text(
    fake_anthropic: FakeAnthropic, fault: dict[str, int]
) -> None:
    blocks = [thinking("plan"), text("The quick brown fox jumps."), tool_use("list_dir", {"path": "."})]
    fake_anthropic.script(*blocks, **fault)
    fake_anthropic.script(*blocks)
    run = Run(fake_anthropic)

    response = await run.stream()

    assert response.content == blocks
    assert run.shown_text() == "The quick brown fox jumps."
    (retry,) = run.of(Retry)
    assert retry.attempt == 1 and retry.status is None
    # Fault after 3 deltas: thinking "plan" + signature + "The " were shown.
    (reset,) = run.of(StreamReset)
    assert reset.keep_chars == len("The ")
    states = [e.state for e in run.events if isinstance(e, Status)]
    assert states == ["streaming", "retrying", "streaming"]
    second_start = [i for i, e in enumerate(run.events) if isinstance(e, Status)][-1]
    assert run.events.index(retry) < run.events.index(reset) < second_start


async def test_mid_stream_error_reason_is_readable(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("abcdefgh"), error_after=1)
    fake_anthropic.script(text("abcdefgh"))
    run = Run(fake_anthropic)

    await run.stream()

    assert "overloaded_error mid-stream" in run.of(Retry)[0].reason


async def test_retry_that_says_something_else_only_shows_the_new_part(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("Hello world, how are you?"), drop_after=3)
    fake_anthropic.script(text("Hello there, friend."))
    run = Run(fake_anthropic)

    response = await run.stream()

    shown = "Hello world,"
    assert run.of(StreamReset)[0].keep_chars == len(shown)
    assert run.shown_text() == shown + " friend."
    assert response.content == [text("Hello there, friend.")]


async def test_non_retryable_mid_stream_error(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("abcdefgh"), error_after=1, error_type="invalid_request_error")
    run = Run(fake_anthropic)

    with pytest.raises(ProviderError, match="invalid_request_error mid-stream"):
        await run.stream()
    assert run.of(Retry) == []


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (400, "bad_request", "prompt is too long"),
        (401, "auth", "ANTHROPIC_API_KEY"),
        (403, "permission", "not allowed"),
        (404, "not_found", "model id"),
    ],
)
async def test_client_errors_end_with_a_readable_error(
    fake_anthropic: FakeAnthropic, status: int, kind: str, words: str
) -> None:
    fake_anthropic.fail(status, "prompt is too long: 250000 tokens > 200000 maximum" if status == 400 else None)
    run = Run(fake_anthropic)

    with pytest.raises(ProviderError) as caught:
        await run.stream()

    error = caught.value
    assert (error.status, error.kind) == (status, kind)
    assert f"({status} " in error.message and words in error.message
    assert str(error) == error.message
    assert len(fake_anthropic.message_requests) == 1 and run.of(Retry) == []


async def test_wrong_key_is_an_auth_error(fake_anthropic: FakeAnthropic) -> None:
    run = Run(fake_anthropic)
    run.provider.api_key = "sk-wrong"

    with pytest.raises(ProviderError) as caught:
        await run.stream()

    assert caught.value.kind == "auth" and "invalid x-api-key" in caught.value.message


async def test_unreachable_server_is_a_connection_error() -> None:
    with FakeAnthropic() as server:
        url = server.url
    provider = AnthropicProvider(api_key="test-key", base_url=url, max_retries=1, sleep=lambda s: asyncio.sleep(0))

    with pytest.raises(ProviderError) as caught:
        await provider.stream(bare_request(), lambda e: None, asyncio.Event())

    assert caught.value.kind == "connection" and "gave up after 1 retries" in caught.value.message


# --- cancel -------------------------------------------------------------------------------


async def test_cancel_from_a_listener_stops_at_once(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("One two three four five."), tool_use("list_dir", {"path": "."}))
    run = Run(fake_anthropic)

    def emit(event: Event) -> None:
        run.events.append(event)
        if isinstance(event, TextDelta):
            run.cancel.set()

    run.emit = emit  # type: ignore[method-assign]
    response = await run.stream()

    assert response.partial is True
    # What was shown when Esc came, nothing after it: the tool call never starts.
    assert response.content == [text(run.shown_text())]


async def test_cancel_while_the_stream_stalls(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("Partial answer here"), hold_after=2)
    run = Run(fake_anthropic)
    two_shown = asyncio.Event()

    def emit(event: Event) -> None:
        run.events.append(event)
        if run.shown_text() == "Partial ":  # the two deltas before the stall (one record, through the process)
            two_shown.set()

    async def press_escape() -> None:
        await two_shown.wait()
        run.cancel.set()

    run.emit = emit  # type: ignore[method-assign]
    response, _ = await asyncio.gather(run.stream(), press_escape())

    assert response.partial is True and response.content == [text("Partial ")]
    fake_anthropic.release()


async def test_cancel_drops_an_incomplete_tool_call(fake_anthropic: FakeAnthropic) -> None:
    call = tool_use("read_file", {"filePath": "a_long_file_name.py"})
    fake_anthropic.script(text("Reading."), call)
    run = Run(fake_anthropic)

    def emit(event: Event) -> None:
        run.events.append(event)
        if isinstance(event, ToolInputDelta):
            run.cancel.set()

    run.emit = emit  # type: ignore[method-assign]
    response = await run.stream()

    assert response.partial is True and response.content == [text("Reading.")]


async def test_cancel_during_backoff_keeps_the_shown_text(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(text("Before the drop"), drop_after=2)
    run = Run(fake_anthropic)
    never = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        run.cancel.set()
        await never.wait()

    run.provider._sleep = slow_sleep
    response = await run.stream()

    assert response.partial is True and response.content == [text("Before t")]
    assert len(run.of(Retry)) == 1


# --- keys ----------------------------------------------------------------------------------


async def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    provider = AnthropicProvider(base_url="http://127.0.0.1:9")

    with pytest.raises(MissingKeyError) as caught:
        await provider.stream(bare_request(), lambda e: None, asyncio.Event())

    assert isinstance(caught.value, ProviderError) and caught.value.kind == "missing_key"
    assert "ANTHROPIC_API_KEY" in caught.value.message and "ANTHROPIC_BASE_URL" in caught.value.message


async def test_key_and_base_url_from_the_environment(
    fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    fake_anthropic.script(text("from env"))
    provider = AnthropicProvider()

    response = await provider.stream(bare_request(), lambda e: None, asyncio.Event())
    await provider.aclose()

    assert response.content == [text("from env")]
    assert fake_anthropic.message_requests[0].headers["authorization"] == "Bearer test-key"


async def test_warm_up_in_a_thread_builds_the_client_the_first_turn_uses(
    fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, provider_path: str
) -> None:
    import anthropic

    built: list[object] = []
    real_client = anthropic.AsyncAnthropic

    def slow_client(**options: object) -> object:
        time.sleep(0.05)  # long enough for the other threads to arrive while this one builds
        built.append(real_client(**options))
        return built[-1]

    monkeypatch.setattr(anthropic, "AsyncAnthropic", slow_client)
    fake_anthropic.script(text("warm"))
    provider = AnthropicProvider(api_key="test-key", base_url=fake_anthropic.url)

    await asyncio.gather(*(asyncio.to_thread(provider.warm_up) for _ in range(4)))
    response = await provider.stream(bare_request(), lambda e: None, asyncio.Event())

    if provider_path == "in_process":
        assert len(built) == 1  # one client, whichever thread came first; the turn used it
    else:
        assert built == []  # the provider process has its own: nothing of the SDK's runs here
    assert response.content == [text("warm")]
    await provider.aclose()


def test_warm_up_without_a_key_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    provider = AnthropicProvider(base_url="http://127.0.0.1:9")

    provider.warm_up()  # no MissingKeyError: the app calls this at start-up, before any key is needed

    assert provider._client is None
