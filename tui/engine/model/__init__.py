"""The model provider (the anthropic SDK), model aliases and prices."""

__all__ = [
    "aliases",
    "context",
    "pricing",
    "provider",
]
