"""The model provider (the anthropic SDK, in its own process when it can), model aliases and prices."""

__all__ = [
    "aliases",
    "context",
    "pricing",
    "provider",
    "remote",
    "sdk",
    "wire",
    "worker",
]
