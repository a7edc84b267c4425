"""`create_file`: a new file with the given content (the `Write` alias may overwrite)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._edit import apply_edits, load
from tui.engine.tools._files import tool_path
from tui.engine.tools._schema import FILE_PATH, check_args, with_internal
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class CreateFile(Tool):
    name: ClassVar[str] = "create_file"
    kind: ClassVar[ToolKind] = ToolKind.EDIT
    description: ClassVar[str] = (
        "Create a new file with the given content; missing parent folders are created. "
        "Fails if the file already exists: use replace_string_in_file to edit an existing file. "
        "The user reviews the file before it is written."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "filePath": FILE_PATH,
            "content": {"type": "string", "description": "The whole content of the new file."},
        },
        "required": ["filePath", "content"],
    }
    internal_schema: ClassVar[dict[str, Any]] = with_internal(
        input_schema, {"overwrite": {"type": "boolean", "description": "Replace an existing file (Write alias)."}}
    )

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.internal_schema)
        path = tool_path(ctx.root, args["filePath"], "filePath")
        if path.is_dir():
            raise ToolInputError(f"{args['filePath']} is a folder; give the path of a file")
        overwrite = bool(args.get("overwrite"))
        state = load(ctx.root, path, must_exist=False)
        if state.text is not None and not overwrite:
            raise ToolInputError(f"{state.rel} already exists; use replace_string_in_file to edit it")
        content = args["content"]
        if state.text is None and "\r\n" in content:
            state = replace(state, newline="\r\n")
        proposal = state.propose(content.replace("\r\n", "\n"))
        return Action(
            tool=self.name,
            kind=self.kind,
            input=args,
            target=state.rel,
            paths=(path,),
            proposals=(proposal,),
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        return await apply_edits(action, ctx, approval)
