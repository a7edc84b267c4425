"""Agent files, their discovery and precedence, skills and project memory."""

__all__ = [
    "discovery",
    "files",
    "memory",
    "skills",
]
