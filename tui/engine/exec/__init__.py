"""Running commands: process groups, timeouts, output caps, and the bubblewrap sandbox."""

__all__ = [
    "sandbox",
    "terminal",
]
