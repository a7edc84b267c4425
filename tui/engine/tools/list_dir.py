"""`list_dir`: the entries of one folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._files import display_path, hidden_note, readable, tool_path
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolKind, ToolOutput

MAX_ENTRIES = 1000


class ListDir(Tool):
    name: ClassVar[str] = "list_dir"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "List the contents of a folder, sorted by name. Folder names end in `/`. "
        "Use file_search to find files in a whole tree."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "The folder: absolute, or relative to the workspace root."},
        },
        "required": ["path"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        path = tool_path(ctx.root, args["path"], "path")
        return Action(tool=self.name, kind=self.kind, input=args, target=display_path(ctx.root, path), paths=(path,))

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        path = action.paths[0]
        rel = display_path(ctx.root, path)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except FileNotFoundError:
            return ToolOutput(f"{rel} does not exist.", is_error=True)
        except NotADirectoryError:
            return ToolOutput(f"{rel} is a file, not a folder; use read_file to read it.", is_error=True)
        except OSError as exc:
            return ToolOutput(f"Cannot list {rel}: {exc.strerror or exc}", is_error=True)
        shown, hidden = readable(ctx, self.name, [Path(entry.path) for entry in entries])
        visible = set(shown)
        entries = [entry for entry in entries if Path(entry.path) in visible]
        if not entries:
            return ToolOutput(f"{rel} is empty.{hidden_note(hidden)}")
        names = [entry.name + ("/" if entry.is_dir() else "") for entry in entries[:MAX_ENTRIES]]
        if len(entries) > MAX_ENTRIES:
            names.append(f"[{MAX_ENTRIES} of {len(entries)} entries shown; use file_search to narrow down.]")
        return ToolOutput("\n".join(names) + hidden_note(hidden))
