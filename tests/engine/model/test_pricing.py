"""Prices by model family or id, and the cost of a response's usage."""

from __future__ import annotations

import pytest

from tui.engine.model.pricing import DEFAULT_PRICES, cost_usd, price_for

MILLION = 1_000_000
USAGE = {
    "input_tokens": MILLION,
    "output_tokens": MILLION,
    "cache_creation_input_tokens": MILLION,
    "cache_read_input_tokens": MILLION,
}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-haiku-5-5", 1 + 5 + 1.25 + 0.1),
        ("claude-sonnet-5-5", 3 + 15 + 3.75 + 0.3),
        ("claude-opus-4-8", 5 + 25 + 6.25 + 0.5),
    ],
)
def test_default_prices_by_family(model: str, expected: float) -> None:
    assert cost_usd(model, USAGE) == pytest.approx(expected)


def test_longest_matching_key_wins_and_case_is_ignored() -> None:
    prices = {**DEFAULT_PRICES, "claude-sonnet-5-5": {"input": 10.0}}
    assert price_for("Claude-Sonnet-5-5", prices) == {"input": 10.0}
    assert price_for("claude-sonnet-4-6", prices) == DEFAULT_PRICES["sonnet"]
    assert cost_usd("claude-sonnet-5-5", {"input_tokens": 500_000, "output_tokens": 10}, prices) == pytest.approx(5.0)


def test_unpriced_model_costs_nothing() -> None:
    assert price_for("claude-fable-5-2", DEFAULT_PRICES) is None
    assert cost_usd("claude-fable-5-2", USAGE) == 0.0
    assert cost_usd("claude-sonnet-5-5", {}) == 0.0
