"""`file_search`: workspace files whose path matches a glob."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._files import display_path, hidden_note, list_files, readable, tool_path
from tui.engine.tools._schema import check_args, with_internal
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput
from tui.engine.workspace.globs import glob_matches, normalize_glob

DEFAULT_RESULTS = 100
MAX_RESULTS = 1000


class FileSearch(Tool):
    name: ClassVar[str] = "file_search"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "Find files by glob pattern, e.g. `**/*.py`, `src/**/test_*.ts`, `*.{json,yaml}`. A pattern "
        "without `/` matches file names in any folder. Ignored files (.gitignore) are skipped. "
        f"Returns workspace-relative paths, sorted; {DEFAULT_RESULTS} by default (maxResults up to "
        f"{MAX_RESULTS})."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "The glob pattern to match paths against."},
            "maxResults": {"type": "integer", "minimum": 1, "description": f"At most {MAX_RESULTS}."},
        },
        "required": ["query"],
    }
    internal_schema: ClassVar[dict[str, Any]] = with_internal(
        input_schema, {"path": {"type": "string", "description": "Folder to search in (Glob alias)."}}
    )

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.internal_schema)
        if not args["query"].strip():
            raise ToolInputError("`query` is empty; give a glob such as **/*.py")
        folder = tool_path(ctx.root, args["path"], "path") if args.get("path") else ctx.root
        target = args["query"] + ("" if folder == ctx.root else f" under {display_path(ctx.root, folder)}")
        return Action(tool=self.name, kind=self.kind, input=args, target=target, paths=(folder,))

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        folder = action.paths[0]
        if not folder.is_dir():
            return ToolOutput(f"{display_path(ctx.root, folder)} is not a folder.", is_error=True)
        query = action.input["query"]
        found, hidden = readable(ctx, self.name, await asyncio.to_thread(find_files, folder, query))
        if not found:
            return ToolOutput(f"No files match {query!r}.{hidden_note(hidden)}")
        limit = min(int(action.input.get("maxResults") or DEFAULT_RESULTS), MAX_RESULTS)
        rows = [display_path(ctx.root, path) for path in found[:limit]]
        if len(found) > limit:
            rows.append(f"[{limit} of {len(found)} files shown; use a narrower pattern or raise maxResults.]")
        return ToolOutput("\n".join(rows) + hidden_note(hidden))


def find_files(folder: Path, pattern: str) -> list[Path]:
    """Files under `folder` (ignore files honoured) whose folder-relative path matches `pattern`."""
    glob = normalize_glob(pattern)
    found = [path for path in list_files(folder) if glob_matches(glob, path.relative_to(folder).as_posix())]
    return sorted(found)
