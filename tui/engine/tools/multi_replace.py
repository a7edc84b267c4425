"""`multi_replace_string_in_file`: several replacements, in one or more files, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._edit import FileState, apply_edits, load, replace_text
from tui.engine.tools._files import tool_path
from tui.engine.tools._schema import check_args, with_internal
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput

MAX_REPLACEMENTS = 100


class MultiReplace(Tool):
    name: ClassVar[str] = "multi_replace_string_in_file"
    kind: ClassVar[ToolKind] = ToolKind.EDIT
    description: ClassVar[str] = (
        "Apply several exact string replacements in one call, in one or more files. Each replacement "
        "follows the rules of replace_string_in_file (oldString matches exactly once, with context). "
        "Replacements in the same file apply in order, each to the result of the previous one. If any "
        "replacement fails, nothing is changed. The user reviews one diff per file."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "explanation": {"type": "string", "description": "A short note on what the edits do."},
            "replacements": {
                "type": "array",
                "maxItems": MAX_REPLACEMENTS,
                "description": "The replacements, applied in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "filePath": {"type": "string", "description": "Absolute, or relative to the workspace."},
                        "oldString": {"type": "string", "description": "The exact text to replace."},
                        "newString": {"type": "string", "description": "The replacement text."},
                    },
                    "required": ["filePath", "oldString", "newString"],
                },
            },
        },
        "required": ["replacements"],
    }
    internal_schema: ClassVar[dict[str, Any]] = with_internal(
        input_schema,
        {"replaceAll": {"type": "boolean", "description": "Replace every occurrence (MultiEdit alias)."}},
        at=("properties", "replacements", "items"),
    )

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.internal_schema)
        replacements = args["replacements"]
        if not replacements:
            raise ToolInputError("`replacements` is empty; give at least one replacement")
        explanation = args.get("explanation") or ""
        files: dict[Path, tuple[FileState, str]] = {}
        for i, item in enumerate(replacements):
            path = tool_path(ctx.root, item["filePath"], f"replacements[{i}].filePath")
            try:
                state, text = files.get(path) or _loaded(ctx.root, path)
                text = replace_text(
                    text, item["oldString"], item["newString"], rel=state.rel, replace_all=bool(item.get("replaceAll"))
                )
            except ToolInputError as exc:
                raise ToolInputError(f"replacements[{i}] failed, so nothing was changed: {exc}") from None
            files[path] = (state, text)
        proposals = tuple(state.propose(text, explanation) for state, text in files.values())
        return Action(
            tool=self.name,
            kind=self.kind,
            input=args,
            target=", ".join(state.rel for state, _ in files.values()),
            paths=tuple(files),
            explanation=explanation,
            proposals=proposals,
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        return await apply_edits(action, ctx, approval)


def _loaded(root: Path, path: Path) -> tuple[FileState, str]:
    state = load(root, path)
    assert state.text is not None  # load() raises for a missing file
    return state, state.text
