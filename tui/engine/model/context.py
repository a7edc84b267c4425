"""Context windows: how many prompt tokens each model takes, and how full the last request was.

A window table maps a model family or id to its context window in tokens,
like the price table (the longest key contained in the id wins), so an exact
id in the settings (`context_windows`) overrides its family. The prompt size
of a request is what the API's usage reports for it: input plus cache read
plus cache write tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

Windows = Mapping[str, int]

DEFAULT_WINDOW = 200_000
"""Every Claude model of the installed SDK takes at least this many prompt tokens."""

DEFAULT_WINDOWS: dict[str, int] = {
    "haiku": DEFAULT_WINDOW,
    "sonnet": DEFAULT_WINDOW,
    "opus": DEFAULT_WINDOW,
    "fable": DEFAULT_WINDOW,
}
"""Context windows by family; the larger beta windows need a header stepwise does not send."""

DEFAULT_COMPACT_AT = 0.8
"""Compact automatically when the next request would pass this share of the window."""

PROMPT_KEYS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def context_window(model: str, windows: Windows = DEFAULT_WINDOWS) -> int:
    """The window of `model`: the longest table key contained in the id, else `DEFAULT_WINDOW`."""
    lowered = model.lower()
    matches = [key for key in windows if key.lower() in lowered]
    return int(windows[max(matches, key=len)]) if matches else DEFAULT_WINDOW


def prompt_tokens(usage: Mapping[str, int]) -> int:
    """The prompt size a response's usage reports: input + cache read + cache write."""
    return sum(int(usage.get(key, 0) or 0) for key in PROMPT_KEYS)
