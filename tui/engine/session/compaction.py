"""Context compaction: the model summarises the conversation so far, and the summary replaces it.

`Compactor` is attached to the agent loop. Before every request it estimates
the prompt size (the last request's usage, scaled by how much the prompt grew
since) and compacts when the request would pass `compact_at` of the context
window; `/compact [focus]` compacts on demand; and a request the API refuses
as too long is compacted and retried once (`is_overflow`).

A compaction is a separate request with the same system prompt and tools as
the session (so their cache prefix is read, not written again) whose messages
are the conversation with old tool outputs trimmed to a one-line note, and a
last user block asking for the summary (`COMPACTION_PROMPT`). The messages
the summary replaces are everything before the last assistant message when
that one still waits for its tool results (those two are kept, so every
`tool_use` keeps its `tool_result`), else all of them. The result is a
`Compaction` event; `Conversation.compact` applies it, live and on resume.

A failing summary request is retried by the provider like any request; when
it still fails, the conversation is kept as it was and an `Error` says so.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any, Literal, Protocol

from tui.engine.model.context import prompt_tokens
from tui.engine.model.provider import ModelRequest, ModelResponse, ProviderError
from tui.engine.session.conversation import SUMMARY_INTRO, Conversation
from tui.engine.session.events import Compaction, Error, Event, Retry, Status
from tui.engine.session.hooks import Hooks


class _Config(Protocol):
    @property
    def model(self) -> str: ...
    @property
    def system(self) -> list[dict[str, Any]]: ...
    @property
    def tools(self) -> list[dict[str, Any]]: ...
    @property
    def max_tokens(self) -> int: ...


class _Provider(Protocol):
    async def stream(
        self, request: ModelRequest, emit: Callable[[Event], None], cancel: asyncio.Event
    ) -> ModelResponse: ...


class CompactingLoop(Protocol):
    """What a compactor uses of the agent loop (its own protocol, so neither module imports the other)."""

    @property
    def config(self) -> _Config: ...
    @property
    def provider(self) -> _Provider: ...
    @property
    def conversation(self) -> Conversation: ...
    @property
    def cancel_event(self) -> asyncio.Event: ...
    @property
    def emit(self) -> Callable[[Event], None]: ...
    @property
    def hooks(self) -> Hooks | None: ...


Trigger = Literal["manual", "auto", "overflow"]

COMPACTION_PROMPT = """\
Stop the task for a moment: the conversation is about to be compacted to fit the context window. \
Write the summary that will replace everything above, for yourself to continue from. Do not call \
any tool. Be specific and complete; keep file paths, names, commands and error messages exact. \
Use these sections:

## Task
What the user asked for, in their words where it matters, and any constraints they set.
## Decisions
What was decided and why, including approaches that were tried and rejected.
## Files
Every file created, edited or deleted, each with its current state (what it holds now, what is \
still missing). Files that were only read: the facts learned from them that still matter.
## User decisions
What the user approved, denied (with their reasons) and undid or rewound, and any rule or \
preference they stated.
## Open todos
What is left to do, in order.
## Next step
The exact next action to take."""

FOCUS_PROMPT = "\n\nThe user asks the summary to focus on: {focus}"

SUMMARY_MAX_TOKENS = 8000
KEEP_RECENT_OUTPUTS = 3
"""Tool outputs this recent stay whole in the summary request; older ones become a one-line note."""
TRIM_ABOVE_CHARS = 400
SUMMARY_BUDGET = 0.7
"""Past this share of the window, the summary request is trimmed harder (every output, long inputs)."""
CHARS_PER_TOKEN = 4.0
"""The first estimate, before any usage has calibrated it."""
_OVERFLOW_PHRASES = ("prompt is too long", "too many tokens", "context window", "context length")
_TOO_LONG = re.compile(r"(\d+) tokens > (\d+) maximum")
"""The API's `prompt is too long: 31290 tokens > 30000 maximum` (the counts teach the estimate)."""


def is_overflow(exc: ProviderError) -> bool:
    """Whether the API refused a request for being longer than the context window, or the reply
    ran out of `max_tokens` inside a tool call's input (both are worth one compaction and a retry)."""
    if exc.kind == "max_tokens":
        return True
    message = exc.message.lower()
    return exc.status in (400, 413) and any(phrase in message for phrase in _OVERFLOW_PHRASES)


def kept_from(messages: list[dict[str, Any]]) -> int:
    """The index of the first message a compaction keeps (the rest before it is replaced)."""
    if len(messages) >= 2 and messages[-1]["role"] == "user" and _results(messages[-1]):
        return len(messages) - 2
    return len(messages)


def trimmed(messages: list[dict[str, Any]], *, keep_recent: int, long_inputs: bool = False) -> list[dict[str, Any]]:
    """A copy of `messages` with all but the `keep_recent` newest long tool outputs cut to a note.

    With `long_inputs`, long string arguments of tool calls (a created file's
    content) are cut too. The calls themselves always stay, so the summary
    knows what was done.
    """
    positions = [
        (i, j) for i, m in enumerate(messages) for j, b in enumerate(m["content"]) if b.get("type") == "tool_result"
    ]
    keep = set(positions[max(0, len(positions) - keep_recent) :]) if keep_recent else set()
    out = []
    for i, message in enumerate(messages):
        blocks = []
        for j, block in enumerate(message["content"]):
            if block.get("type") == "tool_result" and (i, j) not in keep:
                block = {**block, "content": _note(block.get("content"))}
            elif long_inputs and block.get("type") == "tool_use":
                block = {**block, "input": {k: _cut(v) for k, v in (block.get("input") or {}).items()}}
            blocks.append(block)
        out.append({**message, "content": blocks})
    return out


def _results(message: dict[str, Any]) -> bool:
    return any(b.get("type") == "tool_result" for b in message["content"])


def _note(content: Any) -> Any:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    if len(text) <= TRIM_ABOVE_CHARS:
        return content
    first = text.strip().splitlines()[0][:160] if text.strip() else ""
    return f"{first} [output trimmed before summarising: {len(text):,} characters, {text.count(chr(10)) + 1:,} lines]"


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > TRIM_ABOVE_CHARS:
        return value[:TRIM_ABOVE_CHARS] + f" [... {len(value) - TRIM_ABOVE_CHARS:,} more characters trimmed]"
    return value


def request_chars(system: list[dict[str, Any]], tools: list[dict[str, Any]], messages: list[dict[str, Any]]) -> int:
    """The size of a request's prompt as JSON characters (what the token estimate scales)."""
    return len(json.dumps([system, tools, messages], ensure_ascii=False))


class Compactor:
    """Decides when to compact, and compacts the loop's conversation.

    Args:
        loop: the agent loop whose provider, config, conversation and emit are used.
        window: the model's context window in tokens.
        compact_at: the share of the window past which a request is compacted first.
    """

    def __init__(self, loop: CompactingLoop, window: int, compact_at: float) -> None:
        self.loop = loop
        self.window = window
        self.compact_at = compact_at
        self.tokens_per_char = 1 / CHARS_PER_TOKEN
        self._sent_chars = 0

    # --- estimates -------------------------------------------------------------

    def estimate(self, messages: list[dict[str, Any]] | None = None) -> int:
        """Prompt tokens of a request with `messages` (default: the conversation now)."""
        config = self.loop.config
        chars = request_chars(
            config.system, config.tools, self.loop.conversation.messages if messages is None else messages
        )
        return int(chars * self.tokens_per_char)

    def sent(self, messages: list[dict[str, Any]]) -> None:
        """A request with `messages` is going out: remember its size for `calibrate`."""
        self._sent_chars = request_chars(self.loop.config.system, self.loop.config.tools, messages)

    def calibrate(self, usage: dict[str, int]) -> None:
        """Scale later estimates by what the API counted for the request just sent."""
        tokens = prompt_tokens(usage)
        if tokens and self._sent_chars:
            self.tokens_per_char = tokens / self._sent_chars

    def recoverable(self, exc: ProviderError) -> bool:
        """Whether compacting may get `exc`'s request through; learns the real window from the refusal."""
        found = _TOO_LONG.search(exc.message)
        if found:
            tokens, maximum = int(found[1]), int(found[2])
            self.window = min(self.window, maximum)
            if self._sent_chars:
                self.tokens_per_char = tokens / self._sent_chars
        return is_overflow(exc)

    def explained(self, exc: ProviderError, *, retried: bool) -> ProviderError:
        """The error that ends the turn: after a compaction and a retry, it says so."""
        if not (retried and is_overflow(exc)):
            return exc
        return ProviderError(
            f"{exc.message} This was after compacting the conversation and retrying once, so the turn "
            "stopped here; nothing is lost and the session goes on. Send a smaller request, "
            "`/compact` with a focus, or start a new session.",
            status=exc.status,
            kind=exc.kind,
        )

    # --- compaction ------------------------------------------------------------

    async def before_request(self) -> None:
        """Compact first when the next request would pass `compact_at` of the window.

        Not when all it could replace is the previous summary: what is too big
        then is the current step itself, and compacting again would not help.
        """
        messages = self.loop.conversation.messages
        replaced = kept_from(messages)
        only_summary = replaced == 1 and messages[0]["content"][0].get("text", "").startswith(SUMMARY_INTRO)
        if replaced > 0 and not only_summary and self.estimate() > self.compact_at * self.window:
            await self.compact("auto")

    async def compact(self, trigger: Trigger, focus: str = "") -> Compaction | None:
        """Summarise the conversation and replace it; None (and an `Error` event) when it cannot be done."""
        loop = self.loop
        messages = loop.conversation.messages
        replaced = kept_from(messages)
        if replaced < 1:
            loop.emit(
                Error(message="Nothing to compact yet: the conversation is only the current step.", kind="compaction")
            )
            return None
        when = "manual" if trigger == "manual" else "auto"
        if loop.hooks is not None:
            # Claude Code's PreCompact: it cannot stop the compaction, only see it coming.
            await loop.hooks.record("PreCompact", {"trigger": when, "custom_instructions": focus})
        before = self.estimate()
        loop.emit(Status(state="compacting"))
        try:
            response = await loop.provider.stream(
                self._request(messages[:replaced], focus), self._forward, loop.cancel_event
            )
        except ProviderError as exc:
            loop.emit(
                Error(message=f"Compaction failed ({exc}); the conversation was kept as it was.", kind="compaction")
            )
            return None
        summary = "".join(b.get("text", "") for b in response.content if b.get("type") == "text").strip()
        if response.partial or not summary:
            why = "was interrupted" if response.partial else "got no summary from the model"
            loop.emit(Error(message=f"Compaction {why}; the conversation was kept as it was.", kind="compaction"))
            return None
        after = Conversation(messages=list(messages))
        after.compact(replaced, summary)
        event = Compaction(
            summary=summary,
            replaced=replaced,
            tokens_before=before,
            tokens_after=self.estimate(after.messages),
            trigger=trigger,
            focus=focus,
            usage=dict(response.usage),
            cost_usd=response.cost_usd,
        )
        loop.emit(event)  # logged first: if the log cannot be written, the conversation stays whole
        loop.conversation.compact(replaced, summary)
        if loop.hooks is not None:
            await loop.hooks.record("PostCompact", {"trigger": when, "compact_summary": summary})
        return event

    def _request(self, messages: list[dict[str, Any]], focus: str) -> ModelRequest:
        config = self.loop.config
        summary_messages = trimmed(messages, keep_recent=KEEP_RECENT_OUTPUTS)
        if self.estimate(summary_messages) > SUMMARY_BUDGET * self.window:
            summary_messages = trimmed(messages, keep_recent=0, long_inputs=True)
        conversation = Conversation(messages=summary_messages)
        conversation.close_open_tool_calls()
        prompt = COMPACTION_PROMPT + (FOCUS_PROMPT.format(focus=focus) if focus else "")
        conversation.add_user([{"type": "text", "text": prompt}])
        # The session's own system prompt and tools: their cached prefix is read, not written again.
        return ModelRequest(
            model=config.model,
            system=config.system,
            tools=config.tools,
            messages=conversation.messages,
            max_tokens=min(SUMMARY_MAX_TOKENS, config.max_tokens),
        )

    def _forward(self, event: Event) -> None:
        """Pass on what the user should see of the summary request: its retries, not its text."""
        if isinstance(event, Retry) or (isinstance(event, Status) and event.state == "retrying"):
            self.loop.emit(event)
