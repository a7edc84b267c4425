"""`exit_plan_mode`: present the plan and ask to leave plan mode."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class ExitPlanMode(Tool):
    name: ClassVar[str] = "exit_plan_mode"
    kind: ClassVar[ToolKind] = ToolKind.PLAN
    description: ClassVar[str] = (
        "Call this in plan mode when your plan is ready: present it (Markdown, concise, step by step) "
        "for the user to approve. Once approved you can edit files and run commands. Only for plans "
        "of work that changes code; not for research questions."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"plan": {"type": "string", "description": "The plan, in Markdown."}},
        "required": ["plan"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        plan = args["plan"].strip()
        if not plan:
            raise ToolInputError("`plan` is empty; write the plan for the user to approve")
        return Action(tool=self.name, kind=self.kind, input=args, target=plan.splitlines()[0][:120])

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        return ToolOutput(
            "The user approved the plan; plan mode is over. You can now edit files and run commands. "
            "Carry out the plan step by step."
        )
