"""Running commands: process groups, timeouts, output caps, the bubblewrap sandbox, the guard of
protected files, and the reaper of what commands leave running."""

__all__ = [
    "guard",
    "reaper",
    "sandbox",
    "terminal",
    "terminal_text",
]
