"""`read_file`: a text file's lines, numbered like `cat -n`."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._files import display_path, tool_path
from tui.engine.tools._schema import FILE_PATH, check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput
from tui.engine.workspace.fileio import FileRefused, read_text

DEFAULT_LIMIT = 2000
"""Lines returned when the call names no end."""
MAX_LINE_CHARS = 2000
MAX_OUTPUT_CHARS = 100_000


class ReadFile(Tool):
    name: ClassVar[str] = "read_file"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "Read a text file, with line numbers. Give a range with startLine/endLine (1-based, inclusive) "
        f"or offset/limit; without one, the first {DEFAULT_LIMIT} lines are returned and the output says "
        "how to read on. Prefer reading the whole region you need in one call over many small reads. "
        "Binary files and files over 5 MB are refused (use grep_search on those)."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "filePath": FILE_PATH,
            "startLine": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)."},
            "endLine": {"type": "integer", "minimum": 1, "description": "Last line to read (inclusive)."},
            "offset": {"type": "integer", "minimum": 0, "description": "First line to read (1-based)."},
            "limit": {"type": "integer", "minimum": 1, "description": "How many lines to read."},
        },
        "required": ["filePath"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        path = tool_path(ctx.root, args["filePath"], "filePath")
        first, last = line_range(args)
        target = display_path(ctx.root, path)
        if args.get("startLine") is not None or args.get("offset") is not None or args.get("endLine") is not None:
            target += f" (lines {first}-{last})"
        return Action(tool=self.name, kind=self.kind, input=args, target=target, paths=(path,))

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        path = action.paths[0]
        rel = display_path(ctx.root, path)
        try:
            text = read_text(path, purpose="read").text
        except FileNotFoundError:
            return ToolOutput(f"{rel} does not exist. Use file_search to find the right path.", is_error=True)
        except FileRefused as exc:
            hint = "" if "binary" in str(exc) else " Use grep_search to find the lines you need."
            return ToolOutput(f"Cannot read {rel}: {exc}.{hint}", is_error=True)
        except OSError as exc:
            return ToolOutput(f"Cannot read {rel}: {exc.strerror or exc}", is_error=True)
        first, last = line_range(action.input)
        return number_lines(text, first, last, rel)


def line_range(args: dict[str, Any]) -> tuple[int, int]:
    """(first, last) 1-based inclusive lines from either argument form.

    Raises:
        ToolInputError: endLine before startLine.
    """
    start = args.get("startLine")
    if start is None:
        start = max(1, int(args.get("offset") or 1))
    start = int(start)
    end = args.get("endLine")
    if end is None:
        limit = int(args.get("limit") or DEFAULT_LIMIT)
        return start, start + limit - 1
    if int(end) < start:
        raise ToolInputError(f"endLine ({end}) is before startLine ({start})")
    return start, int(end)


def number_lines(text: str, first: int, last: int, rel: str) -> ToolOutput:
    """Lines `first`..`last` of `text`, `cat -n` style, with notes on what was left out."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start a new one
    total = len(lines)
    if total == 0:
        return ToolOutput(f"{rel} is empty.")
    if first > total:
        return ToolOutput(f"{rel} has {total} lines; line {first} is past the end.", is_error=True)
    last = min(last, total)
    out: list[str] = []
    size = 0
    shown_last = first - 1
    for number in range(first, last + 1):
        line = lines[number - 1]
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f" [... line cut at {MAX_LINE_CHARS} characters]"
        row = f"{number:6}\t{line}"
        if size + len(row) > MAX_OUTPUT_CHARS and out:
            break
        out.append(row)
        size += len(row) + 1
        shown_last = number
    if shown_last < total:
        out.append(f"[Showing lines {first}-{shown_last} of {total}; read on from line {shown_last + 1}.]")
    return ToolOutput("\n".join(out))
