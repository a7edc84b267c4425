"""One live session: its events, log, conversation, approvals and the agent loop."""

__all__ = [
    "approval",
    "attachments",
    "compaction",
    "context",
    "conversation",
    "events",
    "log",
    "loop",
    "preview",
    "review",
    "session",
]
