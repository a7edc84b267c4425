"""The provider process: the same requests as in-process, its failures, and its lifetime."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_anthropic import FakeAnthropic, text
from tui.engine.exec import reaper
from tui.engine.model import remote
from tui.engine.model.provider import AnthropicProvider, ModelRequest
from tui.engine.model.wire import RequestFailed
from tui.engine.session.events import Event, Retry, TextDelta

MODEL = "claude-sonnet-5-5"
REQUEST = ModelRequest(
    model=MODEL,
    system=[{"type": "text", "text": "Be brief. é ✓"}],
    tools=[{"name": "read_file", "description": "Read.", "input_schema": {"type": "object", "properties": {}}}],
    messages=[{"role": "user", "content": [text("hi \u2028 \U0001f600")]}],
    thinking_budget=1024,
)


@pytest.fixture
def worker() -> Iterator[remote.Worker]:
    started = remote.start()
    assert started is not None
    yield started
    remote.stop()


async def _no_wait(_: float) -> None:
    return None


def _provider(server: FakeAnthropic) -> AnthropicProvider:
    return AnthropicProvider(api_key="test-key", base_url=server.url, sleep=_no_wait)


async def _stream(provider: AnthropicProvider, emit: Any = None) -> Any:
    try:
        return await provider.stream(REQUEST, emit or (lambda e: None), asyncio.Event())
    finally:
        await provider.aclose()


async def test_the_process_sends_what_the_sdk_sends_in_process(fake_anthropic: FakeAnthropic) -> None:
    remote.stop()  # one that a test calling `main` started
    fake_anthropic.script(text("in process"))
    fake_anthropic.script(text("in the provider process"))
    await _stream(_provider(fake_anthropic))
    started = remote.start()
    try:
        response = await _stream(_provider(fake_anthropic))
    finally:
        remote.stop()

    alone, through = fake_anthropic.message_requests
    assert through.body == alone.body
    same = {"content-length", "content-type", "x-api-key", "anthropic-version", "user-agent", "accept"}
    assert {k: through.headers.get(k) for k in same} == {k: alone.headers.get(k) for k in same}
    assert started is not None and response.content == [text("in the provider process")]


async def test_create_gives_the_same_blocks_and_errors_on_both_paths(
    fake_anthropic: FakeAnthropic, worker: remote.Worker
) -> None:
    params = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "q"}]}
    provider = _provider(fake_anthropic)
    fake_anthropic.script(text("through the process"))
    assert await provider.create_message(params) == [text("through the process")]
    fake_anthropic.fail(404, "model: not found")
    with pytest.raises(RequestFailed) as through:
        await provider.create_message(params)
    remote.stop()
    fake_anthropic.script(text("here"))
    assert await provider.create_message(params) == [text("here")]
    fake_anthropic.fail(404, "model: not found")
    with pytest.raises(RequestFailed) as here:
        await provider.create_message(params)
    await provider.aclose()

    differs = {"message"}  # it names the request id
    assert {k: v for k, v in through.value.error.items() if k not in differs} == {
        k: v for k, v in here.value.error.items() if k not in differs
    }
    assert through.value.error["message"].replace("0002", "0004") == here.value.error["message"]
    assert here.value.error["status"] == 404 and here.value.error["api_message"] == "model: not found"


async def test_a_process_that_dies_mid_stream_is_retried_in_this_process(
    fake_anthropic: FakeAnthropic, worker: remote.Worker
) -> None:
    fake_anthropic.script(text("Hello there, world"), hold_after=2)
    fake_anthropic.script(text("Hello there, world"))
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        if isinstance(event, TextDelta) and worker.process.poll() is None:
            worker.process.kill()

    response = await _stream(_provider(fake_anthropic), emit)
    fake_anthropic.release()

    assert response.content == [text("Hello there, world")]
    [retry] = [e for e in events if isinstance(e, Retry)]
    assert "the model provider process ended" in retry.reason
    assert remote.current() is None
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert shown == "Hello there, world"  # the retry shows only what was not shown yet


def test_the_module_that_starts_the_process_loads_no_asyncio() -> None:
    """`main` starts the process first of all: asyncio's import (~40 ms) would come before it."""
    code = "import sys\nfrom tui.engine.model import remote\nprint(sorted(m for m in sys.modules if m.startswith('asyncio')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_process_dies_with_its_parent() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; from tui.engine.model import remote; "
            "print(remote.start().pid, flush=True); sys.stdin.readline(); os.kill(os.getpid(), 9)",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None and parent.stdin is not None
    pid = int(parent.stdout.readline())
    assert _alive(pid)
    parent.stdin.write("\n")
    parent.stdin.flush()
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(pid), "the provider process outlived its parent"


def _alive(pid: int) -> bool:
    info = reaper.process_info(pid)
    if info is not None and info.state == "Z" and info.ppid == os.getpid():
        os.waitpid(pid, os.WNOHANG)  # re-parented to this (subreaper) test process
    return info is not None and info.state != "Z"


def test_ctrl_c_in_the_terminal_leaves_the_process_to_its_parent(worker: remote.Worker) -> None:
    os.kill(worker.pid, signal.SIGINT)
    assert worker.process.poll() is None
    assert remote.current() is worker


def test_print_mode_streams_through_the_process_without_the_sdk_in_its_own(
    git_repo: Any, model_env: FakeAnthropic
) -> None:
    model_env.script(text("Answered from the provider process."))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", "-p", "hello", "--cwd", str(git_repo)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Answered from the provider process."
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert "tui.engine.model.provider" in imported
    assert not [name for name in imported if name.split(".")[0] in ("anthropic", "pydantic")]


async def test_a_request_bigger_than_a_pipe_sent_while_the_process_still_loads(fake_anthropic: FakeAnthropic) -> None:
    remote.stop()
    started = remote.start()  # it reads nothing until the SDK is loaded: the request waits in the writer thread
    assert started is not None
    fake_anthropic.script(text("read it all"))
    provider = _provider(fake_anthropic)
    long = "a line of a long conversation\n" * 40_000  # 1.2 MB
    params = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": long}]}
    try:
        assert await provider.create_message(params) == [text("read it all")]
    finally:
        remote.stop()
    assert fake_anthropic.message_requests[0].body["messages"][0]["content"] == long


_PROC_WCHAN = Path(f"/proc/{os.getpid()}/wchan")


def _waits_for_release(pid: int) -> bool:
    """Blocked in `select` on its hold pipe: the only place it sleeps in before the SDK is loaded."""
    return "poll_schedule_timeout" in Path(f"/proc/{pid}/wchan").read_text()


def _loaded_the_sdk(pid: int) -> bool:
    return "pydantic_core" in Path(f"/proc/{pid}/maps").read_text()


def _loaded_asyncio(pid: int) -> bool:
    """Whether asyncio's C module is mapped (False also where the interpreter has it built in)."""
    import _asyncio

    return (
        bool(getattr(_asyncio, "__file__", None))
        and Path(_asyncio.__file__).name in Path(f"/proc/{pid}/maps").read_text()
    )


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.skipif(not _PROC_WCHAN.exists(), reason="reads where the process sleeps from /proc")
@pytest.mark.parametrize("released_by", ["release", "request"])
async def test_a_held_process_loads_the_sdk_only_once_released(fake_anthropic: FakeAnthropic, released_by: str) -> None:
    remote.stop()
    held = remote.start(held=True)
    assert held is not None
    try:
        _until(lambda: _waits_for_release(held.pid))
        assert not _loaded_the_sdk(held.pid) and not _loaded_asyncio(held.pid)  # nothing but the wait
        if released_by == "release":
            remote.release()
            _until(lambda: _loaded_the_sdk(held.pid))
        fake_anthropic.script(text("loaded when let"))
        params = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
        assert await _provider(fake_anthropic).create_message(params) == [text("loaded when let")]
        assert remote.current() is held and _loaded_the_sdk(held.pid)  # the process answered, not this one
    finally:
        remote.stop()
