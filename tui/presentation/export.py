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
from pathlib import Path

from tui.engine.errors import StepwiseError
from tui.engine.session.events import event_to_dict
from tui.engine.session.log import SessionRecord
from tui.presentation.transcript import (
    CheckpointEntry,
    EditEntry,
    NoteEntry,
    TextEntry,
    ThinkingEntry,
    TodoEntry,
    ToolEntry,
    UserEntry,
    call_title,
    checkpoint_text,
    decision_detail,
    delegation_line,
    delegation_lines,
    edit_outcome,
    edit_title,
    fold,
    result_failed,
    result_status,
    todo_lines,
)

RESULT_LIMIT = 4000
"""Characters of a tool result kept in md/html (the JSON export keeps everything)."""


@dataclass
class Entry:
    """One item of the transcript, format-neutral."""

    kind: str  # "user", "assistant", "thinking", "tool", "edit", "note", "todo"
    title: str = ""
    text: str = ""
    code: str = ""
    code_lang: str = ""
    status: str = ""
    summary: str = ""
    """For a delegation: its one line, heading the sub-agent's stream in `nested` (folded)."""
    nested: str = ""


def _clip(text: str) -> str:
    if len(text) <= RESULT_LIMIT:
        return text
    return text[:RESULT_LIMIT] + f"\n[... {len(text) - RESULT_LIMIT:,} more characters in the session log ...]"


def entries(record: SessionRecord) -> Iterator[Entry]:
    """The transcript of a session, in order (the chat's entries, with edits and checkpoints in place)."""
    for entry in fold(record.events):
        if isinstance(entry, UserEntry):
            attached = "".join(f"\n\n(attached `{a['path']}`)" for a in entry.attachments)
            yield Entry("user", "You", entry.text + attached)
        elif isinstance(entry, TextEntry):
            yield Entry("assistant", "Agent", entry.text)
        elif isinstance(entry, ThinkingEntry):
            yield Entry("thinking", "Thinking", entry.text)
        elif isinstance(entry, ToolEntry):
            result = entry.result
            ended = f" · {result_status(result)}" if result is not None and result_failed(result) else ""
            yield Entry(
                "tool",
                call_title(entry.call) + ended,
                text=decision_detail(entry.decision),
                code=_clip(result.content) if result is not None else "",
                code_lang="text",
                status="" if result is None else "failed" if result_failed(result) else "done",
                summary=delegation_line(entry.delegation) if entry.delegation else "",
                nested=_clip("\n".join(delegation_lines(entry.delegation))) if entry.delegation else "",
            )
        elif isinstance(entry, TodoEntry):
            yield Entry("todo", "Task list", "\n".join(todo_lines(entry.items)))
        elif isinstance(entry, EditEntry):
            edit = entry.edit
            yield Entry("edit", edit_title(edit), edit_outcome(edit), code=edit.diff, code_lang="diff")
        elif isinstance(entry, CheckpointEntry):
            yield Entry("note", text=checkpoint_text(entry.checkpoint))
        elif isinstance(entry, NoteEntry):
            # The same wording as the chat shows (rewinds, mode changes, retries, errors, odd turn ends).
            yield Entry("note", text=entry.text, status="failed" if entry.kind == "error" else "")


def _forked_from(record: SessionRecord) -> str:
    """Where a fork came from (`session ID at step N`), or "" for a session that is not one."""
    source = record.header.forked_from
    if not source:
        return ""
    step = source.get("step")
    return f"session {source.get('session')}" + (f" at step {step}" if step is not None else " at its latest step")


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
        f"- Workspace: {h.workspace}\n- Started: {_started(record)}"
        + (f"\n- Forked from: {_forked_from(record)}" if h.forked_from else ""),
        "",
    ]
    for entry in entries(record):
        if entry.kind in ("user", "assistant"):
            out += [f"## {entry.title}", "", entry.text, ""]
        elif entry.kind == "thinking":
            out += ["<details><summary>Thinking</summary>", "", entry.text, "", "</details>", ""]
        elif entry.kind in ("tool", "edit"):
            fence = "~~~~"
            out += [f"### {entry.title}", "", entry.text, ""]
            if entry.summary:
                out += [f"<details><summary>{html.escape(entry.summary)}</summary>", "", fence, entry.nested, fence]
                out += ["", "</details>", ""]
            out += [f"{fence}{entry.code_lang}", entry.code, fence, ""]
        elif entry.kind == "todo":
            out += [f"#### {entry.title}", "", *(f"- {line}" for line in entry.text.splitlines()), ""]
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
.todo { border-left: 4px solid #f59e0b; } .todos { list-style: none; padding-left: .5rem; font-family: monospace; }
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
                *((("Forked from", _forked_from(record)),) if h.forked_from else ()),
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
            nested = (
                f"<details><summary>{html.escape(entry.summary)}</summary>"
                f"<pre>{html.escape(entry.nested)}</pre></details>"
                if entry.summary
                else ""
            )
            body.append(
                f'<section class="{classes}"><h3>{html.escape(entry.title)}</h3>'
                f'<p class="decision">{html.escape(entry.text)}</p>{nested}'
                f"{highlight(entry.code, lexer, formatter)}</section>"
            )
        elif entry.kind == "todo":
            items = "".join(f"<li>{html.escape(line)}</li>" for line in entry.text.splitlines())
            body.append(f'<section class="{classes}"><h3>{entry.title}</h3><ul class="todos">{items}</ul></section>')
        else:
            body.append(f'<p class="{classes}">{html.escape(entry.text)}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>stepwise session {html.escape(h.session_id)}</title>"
        f"<style>{CSS}{formatter.get_style_defs('.hl')}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


FORMATS = {"md": to_markdown, "html": to_html, "json": to_json}


class ExportTargetError(StepwiseError, ValueError):
    """`/export`'s arguments name no format or an unknown one; the message lists the formats."""


def export_target(argument: str, log_path: Path, base: Path) -> tuple[str, Path]:
    """(format, file) for `/export [md|html|json] [PATH]`.

    Without a path the transcript goes beside the session log, in the sessions
    folder: never into the work tree, where it would show as an untracked file.
    A path's suffix picks the format when none is named; a relative path is
    taken from `base` (the workspace root).

    Raises:
        ExportTargetError: a format that is not one of `FORMATS`.
    """
    fmt: str | None = None
    words = argument.split(maxsplit=1)
    if words and words[0].lower() in FORMATS:
        fmt, path_text = words[0].lower(), words[1].strip() if len(words) > 1 else ""
    else:
        path_text = argument.strip()
    choices = f"/export [{'|'.join(FORMATS)}] [PATH]"
    if path_text:
        target = Path(path_text).expanduser()
        target = target if target.is_absolute() else base / target
        suffix = target.suffix.lstrip(".").lower()
        if fmt is None:
            if suffix not in FORMATS:
                what = f"unknown export format {path_text!r}" if not suffix else f"no export format {suffix!r}"
                raise ExportTargetError(f"{what}; {choices}")
            fmt = suffix
        elif target.is_dir():
            target = target / log_path.with_suffix(f".{fmt}").name
        return fmt, target
    fmt = fmt or "md"
    return fmt, log_path.with_suffix(f".{fmt}")
