"""What a tool does, as the permission engine and the approval pane see it.

A leaf module: the approval request names a kind without importing the tool contract.
"""

from __future__ import annotations

from enum import StrEnum


class ToolKind(StrEnum):
    READ = "read"
    EDIT = "edit"
    EXECUTE = "execute"
    PLAN = "plan"
    META = "meta"
    """Acts only on the session itself (the task list, delegation): needs no permission.
    A sub-agent's own edits and commands still ask, one by one."""
    MCP = "mcp"
    """A tool of an MCP server: asks in every mode but bypassPermissions unless a rule allows it."""
    WEB = "web"
    """Web search and fetch, run by the API's server-side tools: asks unless a rule allows it."""
