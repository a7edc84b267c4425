"""MCP tools as stepwise tools: repaired schemas, bounded results, the `Tool` adapter.

A server's tool `add` on server `calc` is offered to the model as
`mcp__calc__add` (shortened when the API would refuse it: see
`tui.engine.mcp.names`); `stepwise mcp get` shows the mapping.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from tui.engine.exec.terminal import MAX_OUTPUT_CHARS, OutputBuffer
from tui.engine.exec.terminal_text import sanitize_terminal_text
from tui.engine.mcp.names import call_target, full_name
from tui.engine.session.approval import Approval
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput

_UNSUPPORTED_TOP_LEVEL = ("oneOf", "anyOf", "allOf")


def repair_schema(schema: Any) -> tuple[dict[str, Any] | None, str]:
    """(a schema the API accepts, what was changed) or (None, why the tool is skipped)."""
    if not isinstance(schema, dict):
        return None, "its input schema is not a JSON object"
    kind = schema.get("type")
    if kind is not None and kind != "object":
        return None, f"its input schema has type {kind!r}; the API takes only object schemas"
    fixed = dict(schema)
    notes = []
    if kind is None:
        fixed["type"] = "object"
        notes.append("added the missing `type: object`")
    if "properties" in fixed and not isinstance(fixed["properties"], dict):
        return None, "its input schema's `properties` is not a mapping"
    dropped = [key for key in _UNSUPPORTED_TOP_LEVEL if key in fixed]
    if dropped:
        for key in dropped:
            del fixed[key]
        notes.append(f"dropped top-level {', '.join(dropped)} (the API refuses them; the server still checks)")
    return fixed, "; ".join(notes)


@dataclass(frozen=True)
class McpToolInfo:
    """One tool a server lists, ready to offer."""

    server: str
    tool: str
    """The server's own name for it."""
    name: str
    """The API name (see `api_name`)."""
    description: str
    input_schema: dict[str, Any]
    read_only_hint: bool | None = None
    note: str = ""
    """How the schema was repaired, if it was."""

    @property
    def full_name(self) -> str:
        return full_name(self.server, self.tool)

    def schema(self) -> dict[str, Any]:
        description = self.description or f"The {self.tool} tool of the MCP server {self.server}."
        return {"name": self.name, "description": description[:4000], "input_schema": self.input_schema}


def result_text(content: list[Any], structured: Any = None) -> str:
    """A tool result's content as text: text as is, binary as a placeholder, resource links as their URI."""
    parts: list[str] = []
    for block in content:
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {block.mime_type}, {_decoded_size(block.data):,} bytes, not shown]")
        elif kind == "resource_link":
            label = f" ({block.name})" if getattr(block, "name", None) else ""
            parts.append(f"[resource link: {block.uri}{label}]")
        elif kind == "resource":
            resource = block.resource
            if hasattr(resource, "text"):
                parts.append(resource.text)
            else:
                mime = getattr(resource, "mime_type", None) or "binary"
                parts.append(f"[resource {resource.uri}: {mime}, {_decoded_size(resource.blob):,} bytes, not shown]")
        else:
            parts.append(f"[{kind or 'unknown'} content, not shown]")
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, indent=2))
    return "\n".join(parts)


def bounded(text: str, max_chars: int = MAX_OUTPUT_CHARS) -> str:
    """`text` stripped of escape sequences and capped like command output (head and tail kept)."""
    buffer = OutputBuffer(max_chars)
    buffer.append(sanitize_terminal_text(text))
    return buffer.render()


def _decoded_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data)


Caller = Callable[[str, str, dict[str, Any]], Awaitable[ToolOutput]]
"""(server, tool, arguments) -> the result; provided by the connection manager."""


class McpTool(Tool):
    """One MCP tool of one server, for the agent loop."""

    kind: ClassVar[ToolKind] = ToolKind.MCP

    def __init__(self, info: McpToolInfo, call: Caller) -> None:
        """`call` runs the tool on its server (the session's `McpManager.call`)."""
        self.info = info
        self.name = info.name  # type: ignore[misc]  # instances, not classes, name MCP tools
        self.description = info.description  # type: ignore[misc]
        self.input_schema = info.input_schema  # type: ignore[misc]
        self._call = call

    def schema(self) -> dict[str, Any]:
        return self.info.schema()

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        if not isinstance(args, dict):
            raise ToolInputError(f"the input of {self.name} must be a JSON object")
        return Action(
            tool=self.info.full_name,
            kind=ToolKind.MCP,
            input=args,
            target=call_target(self.info.server, self.info.tool),
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        return await self._call(self.info.server, self.info.tool, action.input)
