"""`Skill` (Claude Code's name and schema): load one skill's instructions, with its folder, on demand."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.agents.skills import Skill as SkillFile
from tui.engine.agents.skills import discover_skills
from tui.engine.session.approval import Approval
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class Skill(Tool):
    name: ClassVar[str] = "Skill"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "Load a skill: its instructions and the folder with its bundled files (scripts, templates, "
        "references). Use it when the task matches one of the skills listed in the system prompt; "
        "name the skill exactly as listed."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"skill": {"type": "string", "description": "The skill's name, as listed."}},
        "required": ["skill"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        skill = _find(args["skill"].strip(), ctx)
        return Action(tool=self.name, kind=self.kind, input=args, target=skill.name, paths=())

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        skill = _find(action.target, ctx)
        return ToolOutput(skill.section(), grants=skill.allowed_tools)


def _find(name: str, ctx: ToolContext) -> SkillFile:
    skills = discover_skills(ctx.root)
    for skill in skills:
        if skill.name == name or skill.folder.name == name:
            return skill
    available = ", ".join(skill.name for skill in skills) or "none"
    raise ToolInputError(f"there is no skill named {name!r}; the skills are: {available}")
