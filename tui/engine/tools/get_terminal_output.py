"""`get_terminal_output`: the output so far of a command started in the background."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.exec.terminal import UnknownTerminal
from tui.engine.session.approval import Approval
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class GetTerminalOutput(Tool):
    name: ClassVar[str] = "get_terminal_output"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "Get the output so far of a command started with run_in_terminal and isBackground true, "
        "and whether it is still running."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"id": {"type": "string", "description": "The id run_in_terminal returned."}},
        "required": ["id"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        if not args["id"].strip():
            raise ToolInputError("`id` is empty")
        return Action(tool=self.name, kind=self.kind, input=args, target=args["id"])

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        try:
            text, running, exit_code = ctx.terminals.output(action.input["id"].strip())
        except UnknownTerminal as exc:
            return ToolOutput(f"{exc}.", is_error=True)
        body = text if text.strip() else "(no output yet)"
        if not body.endswith("\n"):
            body += "\n"
        status = "Still running." if running else f"Finished with exit code {exit_code}."
        return ToolOutput(body + status)
