"""One live session: its events, log, conversation, approvals and the agent loop."""

__all__ = [
    "approval",
    "attachments",
    "conversation",
    "events",
    "log",
    "loop",
    "review",
    "session",
]
