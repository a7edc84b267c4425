"""The model conversation, and how it is rebuilt from logged events.

The loop appends to a `Conversation` as it goes; resume and replay rebuild the
same message list from the session log. Every `tool_use` is followed by exactly
one `tool_result` in the next user message: calls the log has no result for
(a crash mid-turn) get an error result, so a resumed conversation is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.engine.session.events import AssistantMessage, Event, ToolResult, UserMessage

INTERRUPTED = "The session ended before this tool call finished; it did not run to completion."


def user_content(
    text: str, attachments: list[dict[str, str]] | None = None, context: str = ""
) -> list[dict[str, Any]]:
    """Content blocks of a user message: the text, then each attached file, then what hooks added."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for item in attachments or []:
        blocks.append(
            {
                "type": "text",
                "text": f'<attached_file path="{item["path"]}">\n{item["content"]}\n</attached_file>',
            }
        )
    if context:
        blocks.append({"type": "text", "text": f"<system-reminder>\n{context}\n</system-reminder>"})
    return blocks


def tool_result_block(tool_use_id: str, content: str, is_error: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}
    if is_error:
        block["is_error"] = True
    return block


@dataclass
class Conversation:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add_user(self, blocks: list[dict[str, Any]]) -> None:
        # Consecutive user turns are merged: tool results and the next prompt
        # travel in one message, as the API expects.
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": "user", "content": list(blocks)})

    def add_assistant(self, content: list[dict[str, Any]]) -> None:
        self.close_open_tool_calls()
        if content:
            self.messages.append({"role": "assistant", "content": list(content)})

    def pending_tool_ids(self) -> list[str]:
        """Tool calls of the last assistant message that have no result yet."""
        for index in range(len(self.messages) - 1, -1, -1):
            message = self.messages[index]
            if message["role"] == "assistant":
                asked = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
                answered = {
                    b.get("tool_use_id")
                    for later in self.messages[index + 1 :]
                    for b in later["content"]
                    if b.get("type") == "tool_result"
                }
                return [tid for tid in asked if tid not in answered]
        return []

    def close_open_tool_calls(self, reason: str = INTERRUPTED) -> None:
        """Give every unanswered tool call an error result."""
        pending = self.pending_tool_ids()
        if pending:
            self.add_user([tool_result_block(tid, reason, True) for tid in pending])

    @classmethod
    def from_events(cls, events: list[Event]) -> Conversation:
        conversation = cls()
        for event in events:
            if isinstance(event, UserMessage):
                conversation.close_open_tool_calls()
                conversation.add_user(user_content(event.text, event.attachments, event.context))
            elif isinstance(event, AssistantMessage):
                conversation.add_assistant(event.content)
            elif isinstance(event, ToolResult) and event.tool_use_id in conversation.pending_tool_ids():
                conversation.add_user([tool_result_block(event.tool_use_id, event.content, event.is_error)])
        conversation.close_open_tool_calls()
        return conversation
