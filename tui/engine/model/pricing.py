"""Model prices and the cost of one response.

A price table maps a model family or id to USD per million tokens:
`{"sonnet": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}}`.
A model id is priced by the longest key it contains, so an exact id in the
settings wins over its family.
"""

from __future__ import annotations

from collections.abc import Mapping

Prices = Mapping[str, Mapping[str, float]]

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "haiku": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.1},
    "sonnet": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.3},
    "opus": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.5},
}

# usage key -> price key
_USAGE_PRICES = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_creation_input_tokens": "cache_write",
    "cache_read_input_tokens": "cache_read",
}


def price_for(model: str, prices: Prices) -> Mapping[str, float] | None:
    """The price entry for `model`: the longest table key contained in the id, or None."""
    model = model.lower()
    matches = [key for key in prices if key.lower() in model]
    return prices[max(matches, key=len)] if matches else None


def cost_usd(model: str, usage: Mapping[str, int], prices: Prices = DEFAULT_PRICES) -> float:
    """The cost of one response's `usage`; 0.0 for a model the table does not price."""
    price = price_for(model, prices)
    if price is None:
        return 0.0
    total = sum(usage.get(key, 0) * float(price.get(name, 0.0)) for key, name in _USAGE_PRICES.items())
    return total / 1_000_000
