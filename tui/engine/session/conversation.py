"""The model conversation, and how it is rebuilt from logged events.

The loop appends to a `Conversation` as it goes; resume and replay rebuild the
same message list from the session log. Every `tool_use` is followed by exactly
one `tool_result` in the next user message: calls the log has no result for
(a crash mid-turn) get an error result, so a resumed conversation is valid.

Three events reshape the conversation, live and on resume alike: a
`Compaction` replaces its first messages by the model's summary; a rewind
(`Rewind`, and `ConversationRewind`) of the conversation truncates it to what
it was when the checkpoint was recorded; and every undo or rewind of the files,
like files changed outside stepwise before a turn, adds a short note for the
model, sent with the next request, saying what changed and which step the files
are at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    Compaction,
    ConversationRewind,
    Event,
    Rewind,
    ToolResult,
    UserMessage,
)

INTERRUPTED = "The session ended before this tool call finished; it did not run to completion."
REWOUND = "The user rewound the conversation to before this call's result; treat it as not run."
SUMMARY_INTRO = (
    "This conversation was compacted to fit the context window: the earlier messages were replaced "
    "by the summary below. The files on disk are the source of truth: read a file again before editing it."
)
MAX_NOTE_FILES = 20


def user_content(text: str, attachments: list[dict[str, str]] | None = None, context: str = "") -> list[dict[str, Any]]:
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


def summary_blocks(summary: str) -> list[dict[str, Any]]:
    """The user content that stands for the compacted messages."""
    return [{"type": "text", "text": f"{SUMMARY_INTRO}\n\n<summary>\n{summary.strip()}\n</summary>"}]


def rewind_note(event: Rewind | ConversationRewind) -> list[dict[str, Any]]:
    """The note that tells the model what an undo or a rewind did."""
    if isinstance(event, ConversationRewind):
        text = (
            f"[stepwise] The user rewound the conversation to checkpoint {event.to_step}; "
            "the messages after it were withdrawn. The files were not changed."
        )
        return [{"type": "text", "text": text}]
    files = sorted({*event.written, *event.deleted})
    shown = ", ".join(files[:MAX_NOTE_FILES]) + (
        f" and {len(files) - MAX_NOTE_FILES} more" if len(files) > MAX_NOTE_FILES else ""
    )
    what = "undid the last step" if event.undo else f"rewound the files to checkpoint {event.to_step}"
    text = (
        f"[stepwise] The user {what}: the workspace is back at step {event.to_step}"
        + (f"; files restored: {shown}" if files else "; no file changed")
        + ". Changes made after that step are gone from disk: read a file again before building on it."
    )
    if event.conversation:
        text += " The conversation was rewound to that step as well."
    if event.not_restored:
        text += f" {not_restored_note(event.not_restored)}"
    return [{"type": "text", "text": text}]


def not_restored_note(paths: list[str]) -> str:
    """What an undo or a rewind says of edits in additional directories, which it leaves as they are."""
    return (
        f"Not taken back (in an additional directory, outside the workspace's git): {', '.join(paths)}; "
        "they stay as they are."
    )


def outside_note(event: Checkpoint) -> list[dict[str, Any]]:
    """The note that tells the model about files changed outside stepwise before this turn."""
    files = event.outside
    shown = ", ".join(files[:MAX_NOTE_FILES]) + (
        f" and {len(files) - MAX_NOTE_FILES} more" if len(files) > MAX_NOTE_FILES else ""
    )
    text = (
        f"[stepwise] Since the last step, files were changed outside this conversation (by the user or "
        f"another program): {shown}. They are recorded as step {event.step}; read a file again before editing it."
    )
    return [{"type": "text", "text": text}]


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

    def compact(self, replaced: int, summary: str) -> None:
        """Replace the first `replaced` messages by the summary (a user message; the kept ones follow)."""
        kept = self.messages[replaced:]
        self.messages = []
        self.add_user(summary_blocks(summary))
        for message in kept:
            if message["role"] == "user":
                self.add_user(message["content"])
            else:
                self.messages.append({**message, "content": list(message["content"])})

    @classmethod
    def from_events(cls, events: list[Event], open_reason: str = INTERRUPTED) -> Conversation:
        """The conversation `events` build; calls left without a result get `open_reason`."""
        conversation = cls()
        for position, event in enumerate(events):
            if isinstance(event, UserMessage):
                conversation.close_open_tool_calls()
                conversation.add_user(user_content(event.text, event.attachments, event.context))
            elif isinstance(event, AssistantMessage):
                conversation.add_assistant(event.content)
            elif isinstance(event, ToolResult):
                if event.tool_use_id in conversation.pending_tool_ids():
                    conversation.add_user([tool_result_block(event.tool_use_id, event.content, event.is_error)])
            elif isinstance(event, Checkpoint) and event.outside:
                conversation.close_open_tool_calls()
                conversation.add_user(outside_note(event))
            elif isinstance(event, Compaction):
                if event.replaced <= len(conversation.messages):
                    conversation.compact(event.replaced, event.summary)
            elif isinstance(event, (Rewind, ConversationRewind)):
                if isinstance(event, ConversationRewind) or event.conversation:
                    conversation.messages = at_checkpoint(events[:position], event.to_step).messages
                # The note follows every tool result: the API wants results first in a user message.
                conversation.close_open_tool_calls(REWOUND)
                conversation.add_user(rewind_note(event))
        conversation.close_open_tool_calls(open_reason)
        return conversation


def at_checkpoint(events: list[Event], step: int) -> Conversation:
    """The conversation as it was when checkpoint `step` was recorded (the last one of that number).

    Calls of that moment still waiting for their result are answered as rewound.
    """
    for position in range(len(events) - 1, -1, -1):
        event = events[position]
        if isinstance(event, Checkpoint) and event.step == step:
            return Conversation.from_events(events[: position + 1], open_reason=REWOUND)
    return Conversation.from_events(events)
