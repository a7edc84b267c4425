"""MCP tool names: `mcp__<server>__<tool>`, the API-safe form, and what a rule or tool entry covers.

Pure functions, so that permission rules and agent files can name MCP tools
without importing the client.

Rules and agent tool entries take three forms: `mcp__server` and
`mcp__server__*` (every tool of that server) and `mcp__server__tool` (one
tool); `mcp__*` is every MCP tool.
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "mcp__"
MAX_NAME = 64
"""The longest tool name the Messages API takes."""
_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_TARGET_SEPARATOR = ": "

TRUST_REQUEST_PREFIX = "mcp-trust-"
"""The `ApprovalRequest.tool_use_id` prefix of the question whether to start an untrusted project server
(a request of kind MCP that is not a tool call)."""


def is_mcp_name(name: str) -> bool:
    return name.startswith(PREFIX)


def full_name(server: str, tool: str) -> str:
    """`mcp__<server>__<tool>` as the server names them (what rules are written against)."""
    return f"{PREFIX}{server}__{tool}"


def api_name(server: str, tool: str) -> str:
    """The name the model sees: `full_name`, shortened deterministically when the API would refuse it
    (the cleaned name cut short, plus 8 hex digits of the full name's digest)."""
    name = full_name(server, tool)
    cleaned = _BAD_CHARS.sub("_", name)
    if cleaned == name and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[: MAX_NAME - 9]}_{digest}"


def covers(entry: str, tool: str) -> bool:
    """Whether a rule or tool entry (`mcp__server`, `mcp__server__*`, `mcp__server__tool`, `mcp__*`)
    covers the MCP tool whose full name is `tool`."""
    if not (is_mcp_name(entry) and is_mcp_name(tool)):
        return False
    if entry == PREFIX + "*":
        return True
    if entry.endswith("__*"):
        return tool.startswith(entry[:-1])
    if "__" not in entry[len(PREFIX) :]:
        return tool.startswith(entry + "__")
    return tool == entry


def valid_entry(entry: str) -> bool:
    """Whether `entry` is a well-formed MCP rule or tool entry."""
    rest = entry[len(PREFIX) :] if is_mcp_name(entry) else ""
    if rest == "*":
        return True
    server, _, tool = rest.partition("__")
    return bool(server) and "*" not in server and (tool == "" or tool == "*" or "*" not in tool)


def call_target(server: str, tool: str) -> str:
    """How an MCP call's target is shown and recorded: `calc: add`."""
    return f"{server}{_TARGET_SEPARATOR}{tool}"


def split_target(target: str) -> tuple[str, str]:
    """(server, tool) of a `call_target`."""
    server, _, tool = target.partition(_TARGET_SEPARATOR)
    return server, tool


def is_trust_request(tool_use_id: str) -> bool:
    """Whether an approval request asks to start a project server rather than to call a tool."""
    return tool_use_id.startswith(TRUST_REQUEST_PREFIX)
