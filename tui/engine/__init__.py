"""The headless engine: agents, config, command execution, the model, permissions, the session,
the workspace and the tools. Nothing in it imports Textual."""

__all__ = [
    "agents",
    "config",
    "errors",
    "exec",
    "model",
    "permissions",
    "session",
    "tools",
    "workspace",
]
