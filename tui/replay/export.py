"""Session transcripts: Markdown, one self-contained HTML file, or JSON.

Every format carries the same content: the messages, each tool call with who
decided and why, the diffs that landed, checkpoints, rewinds and errors.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass

from tui.app.chat_history import event_note
from tui.engine.session.events import (
    AssistantMessage,
    Checkpoint,
    EditApplied,
    PermissionDecision,
    ToolCall,
    ToolResult,
    UserMessage,
    event_to_dict,
)
from tui.engine.session.log import SessionRecord

RESULT_LIMIT = 4000
"""Characters of a tool result kept in md/html (the JSON export keeps everything)."""


@dataclass
class Entry:
    """One item of the transcript, format-neutral."""

    kind: str  # "user", "assistant", "thinking", "tool", "edit", "note"
    title: str = ""
    text: str = ""
    code: str = ""
    code_lang: str = ""
    status: str = ""


def _clip(text: str) -> str:
    if len(text) <= RESULT_LIMIT:
        return text
    return text[:RESULT_LIMIT] + f"\n[... {len(text) - RESULT_LIMIT:,} more characters in the session log ...]"


def entries(record: SessionRecord) -> Iterator[Entry]:
    """The transcript of a session, in order."""
    calls: dict[str, ToolCall] = {}
    decisions: dict[str, PermissionDecision] = {}
    for event in record.events:
        if isinstance(event, UserMessage):
            attached = "".join(f"\n\n(attached `{a['path']}`)" for a in event.attachments)
            yield Entry("user", "You", event.text + attached)
        elif isinstance(event, AssistantMessage):
            for block in event.content:
                if block.get("type") == "text" and block.get("text"):
                    yield Entry("assistant", "Agent", block["text"])
                elif block.get("type") == "thinking" and block.get("thinking"):
                    yield Entry("thinking", "Thinking", block["thinking"])
        elif isinstance(event, ToolCall):
            calls[event.tool_use_id] = event
        elif isinstance(event, PermissionDecision):
            decisions[event.tool_use_id] = event
        elif isinstance(event, ToolResult):
            call = calls.get(event.tool_use_id)
            decision = decisions.get(event.tool_use_id)
            title = f"{call.tool if call else 'tool'}: {call.target if call and call.target else ''}".rstrip(": ")
            yield Entry(
                "tool",
                title,
                text=_decision_text(decision),
                code=_clip(event.content),
                code_lang="text",
                status="failed" if event.is_error else "done",
            )
        elif isinstance(event, EditApplied):
            how = (
                "edited by the user before applying"
                if event.edited_by_user
                else f"{len(event.hunks_applied)} of {event.hunks_total} hunks applied"
            )
            yield Entry("edit", f"Edit applied: {event.path}", how, code=event.diff, code_lang="diff")
        elif isinstance(event, Checkpoint):
            yield Entry("note", text=f"Checkpoint {event.step}: {event.label} (`{event.commit[:10]}`)")
        elif (note := event_note(event)) is not None:
            # The same wording as the chat shows (rewinds, mode changes, retries, errors, odd turn ends).
            yield Entry("note", text=note.text, status="failed" if note.kind == "error" else "")

def _decision_text(decision: PermissionDecision | None) -> str:
    if decision is None:
        return "Not run: the call was invalid."
    verb = "Allowed" if decision.behavior == "allow" else "Denied"
    by = {
        "user": "by the user" + (f" ({decision.choice})" if decision.choice else ""),
        "rule": f"by rule `{decision.rule}`" if decision.rule else "by a rule",
        "mode": f"by mode {decision.mode}",
        "hard_limit": "by a hard limit",
        "session": "by a session grant",
        "headless": "in print mode (never prompts)",
    }.get(decision.decided_by, f"by {decision.decided_by}")
    text = f"{verb} {by}: {decision.reason}"
    if decision.message:
        text += f" Message to the agent: {decision.message}"
    return text


def _started(record: SessionRecord) -> str:
    return datetime.datetime.fromtimestamp(record.header.ts).strftime("%Y-%m-%d %H:%M")


def to_json(record: SessionRecord) -> str:
    return json.dumps(
        {"header": event_to_dict(record.header), "events": [event_to_dict(e) for e in record.events]},
        ensure_ascii=False,
        indent=1,
    )


def to_markdown(record: SessionRecord) -> str:
    h = record.header
    out = [
        f"# stepwise session {h.session_id}",
        "",
        f"- Agent: {h.agent}\n- Model: {h.model}\n- Mode: {h.permission_mode}\n"
        f"- Workspace: {h.workspace}\n- Started: {_started(record)}",
        "",
    ]
    for entry in entries(record):
        if entry.kind in ("user", "assistant"):
            out += [f"## {entry.title}", "", entry.text, ""]
        elif entry.kind == "thinking":
            out += ["<details><summary>Thinking</summary>", "", entry.text, "", "</details>", ""]
        elif entry.kind in ("tool", "edit"):
            fence = "~~~~"
            out += [f"### {entry.title}", "", entry.text, "", f"{fence}{entry.code_lang}", entry.code, fence, ""]
        else:
            out += [f"> {entry.text}", ""]
    return "\n".join(out)


CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 980px; margin: 2rem auto; padding: 0 1rem;
       color: #1d2430; background: #fbfbfd; }
header { border-bottom: 1px solid #d0d4dc; margin-bottom: 1.5rem; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
header dt { font-weight: 600; } header dd { margin: 0; }
.entry { margin: 1rem 0; padding: .6rem 1rem; border-radius: 8px; border: 1px solid #e1e4ea; background: #fff; }
.entry h2, .entry h3 { margin: .2rem 0 .5rem; font-size: 1rem; }
.user { border-left: 4px solid #3b82f6; } .assistant { border-left: 4px solid #8b5cf6; }
.tool { border-left: 4px solid #64748b; } .edit { border-left: 4px solid #16a34a; }
.failed { border-left-color: #dc2626; }
.note { color: #556; font-size: .9rem; padding: .2rem 1rem; border: none; background: none; }
.decision { font-size: .9rem; color: #445; }
pre { overflow-x: auto; padding: .6rem; border-radius: 6px; background: #f6f8fa; font-size: 13px; }
details summary { cursor: pointer; color: #556; }
"""


def to_html(record: SessionRecord) -> str:
    from markdown_it import MarkdownIt
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import DiffLexer, TextLexer

    # Raw HTML in model text is escaped, never rendered.
    markdown = MarkdownIt("commonmark", {"html": False})
    formatter = HtmlFormatter(style="default", cssclass="hl")
    h = record.header
    body = [
        "<header>",
        f"<h1>stepwise session {html.escape(h.session_id)}</h1><dl>",
        *(
            f"<dt>{k}</dt><dd>{html.escape(str(v))}</dd>"
            for k, v in (
                ("Agent", h.agent),
                ("Model", h.model),
                ("Mode", h.permission_mode),
                ("Workspace", h.workspace),
                ("Started", _started(record)),
            )
        ),
        "</dl></header>",
    ]
    for entry in entries(record):
        classes = f"entry {entry.kind} {entry.status}".strip()
        if entry.kind in ("user", "assistant"):
            body.append(f'<section class="{classes}"><h2>{entry.title}</h2>{markdown.render(entry.text)}</section>')
        elif entry.kind == "thinking":
            body.append(
                f'<section class="{classes}"><details><summary>Thinking</summary>'
                f"{markdown.render(entry.text)}</details></section>"
            )
        elif entry.kind in ("tool", "edit"):
            lexer = DiffLexer() if entry.code_lang == "diff" else TextLexer()
            body.append(
                f'<section class="{classes}"><h3>{html.escape(entry.title)}</h3>'
                f'<p class="decision">{html.escape(entry.text)}</p>'
                f"{highlight(entry.code, lexer, formatter)}</section>"
            )
        else:
            body.append(f'<p class="{classes}">{html.escape(entry.text)}</p>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>stepwise session {html.escape(h.session_id)}</title>"
        f"<style>{CSS}{formatter.get_style_defs('.hl')}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


FORMATS = {"md": to_markdown, "html": to_html, "json": to_json}
