"""`replace_string_in_file`: replace one exact occurrence of a string in a file."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._edit import apply_edits, load, replace_text
from tui.engine.tools._files import tool_path
from tui.engine.tools._schema import FILE_PATH, check_args, with_internal
from tui.engine.tools.base import Action, Tool, ToolContext, ToolKind, ToolOutput


class ReplaceString(Tool):
    name: ClassVar[str] = "replace_string_in_file"
    kind: ClassVar[ToolKind] = ToolKind.EDIT
    description: ClassVar[str] = (
        "Edit a file by replacing one exact occurrence of oldString with newString. oldString must "
        "match the file exactly (whitespace and indentation included) and only once: include 3-5 "
        "lines of unchanged context before and after the change. Read the file first. For several "
        "changes, use multi_replace_string_in_file. The user reviews the diff before it is applied."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "filePath": FILE_PATH,
            "oldString": {"type": "string", "description": "The exact text to replace, with context lines."},
            "newString": {"type": "string", "description": "The replacement text."},
            "explanation": {"type": "string", "description": "A short note on why, shown to the user."},
        },
        "required": ["filePath", "oldString", "newString"],
    }
    internal_schema: ClassVar[dict[str, Any]] = with_internal(
        input_schema, {"replaceAll": {"type": "boolean", "description": "Replace every occurrence (Edit alias)."}}
    )

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.internal_schema)
        path = tool_path(ctx.root, args["filePath"], "filePath")
        explanation = args.get("explanation") or ""
        # Like Claude Code's Edit: an empty oldString on a missing file creates it.
        state = load(ctx.root, path, must_exist=args["oldString"] != "")
        if state.text is None:
            new_text = args["newString"].replace("\r\n", "\n")
        else:
            new_text = replace_text(
                state.text,
                args["oldString"],
                args["newString"],
                rel=state.rel,
                replace_all=bool(args.get("replaceAll")),
            )
        return Action(
            tool=self.name,
            kind=self.kind,
            input=args,
            target=state.rel,
            paths=(path,),
            explanation=explanation,
            proposals=(state.propose(new_text, explanation),),
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        return await apply_edits(action, ctx, approval)
