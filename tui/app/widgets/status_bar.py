"""The status bar: agent, model, mode, git state, tokens, context share, cost and what is happening."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.app.fit import SEPARATOR, fit_parts
from tui.engine.exec.terminal_text import show_controls

ACTIVITY_LABELS = {
    "idle": "ready",
    "starting": "starting…",
    "streaming": "streaming…",
    "waiting": "waiting for you",
    "running": "running a command…",
    "retrying": "retrying…",
    "compacting": "compacting the conversation…",
}


def cache_share(usage: dict[str, int]) -> float:
    """Share of prompt tokens read from the cache: cache_read / (input + cache_read + cache_write)."""
    read = usage.get("cache_read_input_tokens", 0)
    total = usage.get("input_tokens", 0) + read + usage.get("cache_creation_input_tokens", 0)
    return read / total if total else 0.0


def format_tokens(count: int) -> str:
    """`950`, `12.3k`, `4.1M`."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


class StatusBar(Static):
    """One line at the bottom of the main screen."""

    agent: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    mode: reactive[str] = reactive("")
    branch: reactive[str | None] = reactive(None)
    dirty: reactive[bool] = reactive(False)
    usage: reactive[dict[str, int]] = reactive(dict, always_update=True)
    cost_usd: reactive[float] = reactive(0.0)
    context_share: reactive[float] = reactive(0.0)
    """How full the model's context window was at the last request."""
    activity: reactive[str] = reactive("starting")
    detail: reactive[str] = reactive("")
    mcp: reactive[str] = reactive("")
    """The MCP servers' states (`MCP 1 ready, 1 starting`), empty without servers."""
    unsandboxed: reactive[bool] = reactive(False)
    """Commands run without the sandbox (off, or bubblewrap cannot run here)."""

    def render(self) -> Content:
        # What is happening stays whole; the other parts leave, least useful first.
        parts, tail = self._parts()
        return Content(fit_parts(parts, tail, self.size.width))

    def summary(self) -> str:
        """The bar's text (plain), uncut."""
        parts, tail = self._parts()
        return SEPARATOR.join([*(text for text, _ in parts), tail])

    def _parts(self) -> tuple[list[tuple[str, int]], str]:
        """The bar's parts with the rank each keeps its place by (higher stays longer), and the activity."""
        parts: list[tuple[str, int]] = []
        if self.agent:
            parts.append((self.agent, 8))
        if self.model:
            parts.append((self.model, 5))
        if self.mode:
            parts.append((f"mode: {self.mode}", 7))
        if self.branch is not None:
            parts.append((f"⎇ {self.branch}{'*' if self.dirty else ''}", 1))
        if self.unsandboxed:
            # Only a session sets it, which has loaded the sandbox; the first frame need not.
            from tui.engine.exec.sandbox import UNSANDBOXED

            parts.append((UNSANDBOXED, 9))
        usage = self.usage or {}
        prompt = sum(
            usage.get(key, 0) for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
        )
        total = prompt + usage.get("output_tokens", 0)
        if total:
            parts.append((f"{format_tokens(total)} tok ({cache_share(usage):.0%} cached)", 2))
        if self.context_share:
            parts.append((f"ctx {self.context_share:.0%}", 4))
        if self.mcp:
            parts.append((self.mcp, 3))
        parts.append((f"${self.cost_usd:.4f}", 6))
        label = ACTIVITY_LABELS.get(self.activity, self.activity)
        if self.detail and self.activity in ("running", "retrying", "waiting"):
            label += f" {show_controls(self.detail)}"
        return parts, label
