"""Generated workloads: code-like text, file trees, and recorded sessions with real checkpoints.

Everything is deterministic (seeded), so two runs measure the same work.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

from tui.engine.model.aliases import default_aliases

MODEL = default_aliases()["sonnet"]
"""A model the installed SDK lists, so a resume has no unknown-model warning."""

WORDS = [
    "the",
    "agent",
    "proposes",
    "an",
    "edit",
    "and",
    "the",
    "user",
    "approves",
    "each",
    "hunk",
    "before",
    "it",
    "reaches",
    "disk",
    "while",
    "checkpoints",
    "keep",
    "every",
    "step",
    "so",
    "undo",
    "and",
    "replay",
    "stay",
    "exact",
    "across",
    "long",
    "sessions",
    "of",
    "work",
]


def prose(words: int, seed: int = 0) -> str:
    """Markdown-ish prose of about `words` words: paragraphs, some `code` spans, a list now and then."""
    rng = random.Random(seed)
    out: list[str] = []
    paragraph: list[str] = []
    for index in range(words):
        word = rng.choice(WORDS)
        if index % 37 == 0:
            word = f"`{word}_{index}`"
        paragraph.append(word)
        if len(paragraph) >= 60:
            out.append(" ".join(paragraph) + ".")
            paragraph = []
            if len(out) % 4 == 0:
                out.append("\n".join(f"- item {len(out)}.{n}: {rng.choice(WORDS)}" for n in range(3)))
    if paragraph:
        out.append(" ".join(paragraph) + ".")
    return "\n\n".join(out)


def code_lines(count: int, prefix: str = "v") -> list[str]:
    """`count` lines of Python-like code, each line unique (so any line is a unique `oldString`)."""
    lines = []
    for n in range(count):
        if n % 20 == 0:
            lines.append(f"def {prefix}_func_{n}(value):")
        elif n % 20 == 19:
            lines.append(f"    return value + {n}")
        else:
            lines.append(f"    {prefix}_{n} = compute(value, {n})  # step {n}")
    return lines


def write_tree(root: Path, files: int, per_dir: int = 100, lines: int = 6) -> list[Path]:
    """Write `files` small source files under `root`, `per_dir` per folder; returns their paths."""
    paths = []
    for n in range(files):
        folder = root / f"pkg{n // per_dir:04d}"
        if n % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"mod{n:05d}.py"
        body = [f"# module {n}"] + [f"item_{n}_{k} = {k * n}" for k in range(lines)]
        if n % 97 == 0:
            body.append(f"NEEDLE_MARKER = {n}  # found by the search benchmark")
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def diff_texts(total_lines: int, hunks: int) -> tuple[str, str]:
    """An old and new file of `total_lines` lines differing in `hunks` evenly spaced places."""
    old = code_lines(total_lines)
    new = list(old)
    spacing = total_lines // hunks
    for h in range(hunks):
        at = h * spacing + spacing // 2
        new[at] = new[at].replace("compute", "compute_fast")
        new.insert(at + 1, f"    extra_{h} = {h}  # added")
    return "\n".join(old) + "\n", "\n".join(new) + "\n"


# --- recorded sessions ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedSession:
    path: Path
    session_id: str
    events: int
    edits: int
    turns: int


def record_session(
    root: Path,
    folder: Path,
    *,
    session_id: str,
    turns: int,
    edit_every: int,
    read_every: int = 2,
    files: int = 40,
) -> RecordedSession:
    """Record a session log in the git work tree `root`, the way the agent loop does.

    Every `edit_every`-th turn edits a file with the real `replace_string_in_file`
    tool, stores the blobs and takes a real `Workspace.checkpoint`; other turns
    read a file with the real `read_file` tool (every `read_every`-th) or just
    answer. Events are written with `SessionWriter` in the loop's order.
    """
    return asyncio.run(_record(root, folder, session_id, turns, edit_every, read_every, files))


async def _record(
    root: Path, folder: Path, session_id: str, turns: int, edit_every: int, read_every: int, files: int
) -> RecordedSession:
    from tui.engine.exec.terminal import TerminalManager
    from tui.engine.session.approval import Approval
    from tui.engine.session.events import (
        AssistantMessage,
        Checkpoint,
        EditApplied,
        Event,
        PermissionDecision,
        SessionHeader,
        ToolCall,
        ToolResult,
        TurnEnd,
        UserMessage,
    )
    from tui.engine.session.log import SessionWriter, session_path
    from tui.engine.tools.base import ToolContext
    from tui.engine.tools.registry import resolve
    from tui.engine.workspace.checkpoints import Workspace

    sources = root / "src"
    sources.mkdir(parents=True, exist_ok=True)
    lines_per_file = 200
    current: dict[int, list[str]] = {}
    for f in range(files):
        current[f] = code_lines(lines_per_file, prefix=f"m{f}")
        (sources / f"m{f}.py").write_text("\n".join(current[f]) + "\n", encoding="utf-8")
    workspace = Workspace.open(root)
    path = session_path(session_id, folder)
    writer = SessionWriter(path)
    count = 0
    usage = {
        "input_tokens": 12,
        "output_tokens": 80,
        "cache_read_input_tokens": 9000,
        "cache_creation_input_tokens": 300,
    }

    def write(event: Event) -> None:
        nonlocal count
        writer.write(event)
        count += 1

    write(
        SessionHeader(
            session_id=session_id,
            agent="general",
            model=MODEL,
            permission_mode="acceptEdits",
            workspace=str(root.resolve()),
            git_base=workspace.head_commit(),
            git_branch=workspace.branch,
        )
    )
    step = 0
    write(Checkpoint(step=step, commit=workspace.checkpoint(session_id, "session base"), label="session base"))
    context = ToolContext(root=root.resolve(), terminals=TerminalManager())
    edits = 0
    for turn in range(turns):
        write(UserMessage(text=f"Turn {turn}: please look at module m{turn % files} and tidy it up."))
        tool_id = f"toolu_{turn:05d}"
        intro = {"type": "text", "text": f"Looking at `src/m{turn % files}.py` for turn {turn}."}
        if turn % edit_every == 0:
            f, line = edits % files, (edits * 7) % lines_per_file
            old_line = current[f][line]
            new_line = f"{old_line}  # edit {edits}"
            # Whole lines with their newline: a bare line can be a substring of another.
            args = {"filePath": f"src/m{f}.py", "oldString": old_line + "\n", "newString": new_line + "\n"}
            name = "replace_string_in_file"
            current[f][line] = new_line
            edits += 1
        elif turn % read_every == 0:
            name, args = "read_file", {"filePath": f"src/m{turn % files}.py", "startLine": 1, "endLine": 40}
        else:
            write(
                AssistantMessage(
                    content=[{"type": "text", "text": prose(70, turn)}],
                    model=MODEL,
                    stop_reason="end_turn",
                    usage=usage,
                )
            )
            write(TurnEnd(reason="end_turn", num_turns=1))
            continue
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": args}
        write(AssistantMessage(content=[intro, block], model=MODEL, stop_reason="tool_use", usage=usage))
        tool, canonical = resolve(name, args)
        action = tool.prepare(canonical, context)
        write(ToolCall(tool_use_id=tool_id, name=name, tool=action.tool, input=args, target=action.target))
        write(
            PermissionDecision(
                tool_use_id=tool_id,
                behavior="allow",
                decided_by="mode",
                reason="acceptEdits allows edits",
                mode="acceptEdits",
            )
        )
        output = await tool.execute(action, context, Approval.once())
        write(ToolResult(tool_use_id=tool_id, content=output.content, is_error=output.is_error, duration_ms=1))
        for edit in output.edits:
            write(
                EditApplied(
                    tool_use_id=tool_id,
                    path=edit.proposal.rel_path,
                    before_blob=workspace.hash_blob(edit.before) if edit.before is not None else None,
                    after_blob=workspace.hash_blob(edit.after),
                    hunks_total=len(edit.proposal.hunks),
                    hunks_applied=list(edit.hunks_applied),
                    diff=edit.diff,
                )
            )
        if output.edits:
            step += 1
            label = f"{action.tool}: {action.target}"
            write(
                Checkpoint(step=step, commit=workspace.checkpoint(session_id, label), label=label, tool_use_id=tool_id)
            )
        write(
            AssistantMessage(
                content=[{"type": "text", "text": prose(70, turn)}], model=MODEL, stop_reason="end_turn", usage=usage
            )
        )
        write(TurnEnd(reason="end_turn", num_turns=2))
    await context.terminals.close()
    writer.close()
    return RecordedSession(path=path, session_id=session_id, events=count, edits=edits, turns=turns)


async def run_reading_turns(root: Path, base_url: str, turns: int) -> Path:
    """A real session in `root` on the scripted server at `base_url`: turn N asks for a summary of mN.py
    (the script decides what the model does); raises unless every turn ends normally. The session's log."""
    from tests.support.fake_anthropic import DEFAULT_KEY
    from tui.engine.model.provider import AnthropicProvider
    from tui.engine.session.approval import HeadlessApprover
    from tui.engine.session.session import Session, SessionOptions

    provider = AnthropicProvider(api_key=DEFAULT_KEY, base_url=base_url)
    session = Session.open(SessionOptions(cwd=root), HeadlessApprover(), provider)
    try:
        for n in range(turns):
            outcome = await session.run(f"Turn {n}: read m{n}.py and summarise it.")
            if outcome.reason != "end_turn":
                raise RuntimeError(f"turn {n} ended with {outcome.reason}")
    finally:
        await session.close()
        await provider.aclose()
    return session.path
