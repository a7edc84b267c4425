"""MCP servers: configuration, trust, connections on the official `mcp` SDK, and their tools."""

__all__ = ["client", "config", "names", "report", "setup", "tools", "trust"]
