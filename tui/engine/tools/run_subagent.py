"""`run_subagent`: hand a self-contained task to another agent (Claude Code `Task`/`Agent`, Copilot `runSubagent`).

The tool only validates the call and names the agent; the run itself belongs
to the session (`tui.engine.session.delegation`), which reaches the tool
through `ToolContext.delegate`. A sub-agent's context has no delegate, so a
sub-agent cannot delegate again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.session.approval import Approval
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class RunSubagent(Tool):
    name: ClassVar[str] = "run_subagent"
    kind: ClassVar[ToolKind] = ToolKind.META
    description: ClassVar[str] = (
        "Delegate a self-contained task to a sub-agent. It starts with a fresh conversation holding only "
        "your prompt, works with its own tools and instructions (the user still approves each of its edits "
        "and commands), and returns its final report to you. Write the prompt so it stands alone: the goal, "
        "the files involved, what to report back. Several calls in one message run at the same time."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["description", "prompt"],
        "properties": {
            "agentName": {
                "type": "string",
                "description": "The agent to run, one of those listed; without it, your own agent in a fresh context.",
            },
            "description": {"type": "string", "description": "The task in 3-5 words, shown to the user."},
            "prompt": {"type": "string", "description": "The whole task for the sub-agent."},
        },
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        if ctx.delegate is None:
            raise ToolInputError("a sub-agent cannot delegate: do the task yourself with your own tools")
        names = ctx.delegate.agent_names()
        agent = (args.get("agentName") or "").strip() or ctx.delegate.default_agent()
        if agent not in names:
            raise ToolInputError(f"there is no agent named {agent!r}; the agents are: {', '.join(names)}")
        prompt = args["prompt"].strip()
        if not prompt:
            raise ToolInputError("`prompt` is empty; write the task for the sub-agent")
        description = args["description"].strip() or prompt.splitlines()[0][:60]
        return Action(
            tool=self.name,
            kind=self.kind,
            input={"agentName": agent, "description": description, "prompt": prompt},
            target=f"{agent}: {description}",
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        if ctx.delegate is None:
            return ToolOutput("Error: a sub-agent cannot delegate", is_error=True)
        args = action.input
        return await ctx.delegate.run(args["agentName"], args["description"], args["prompt"], ctx)


def delegation_schema(agents: list[tuple[str, str]]) -> dict[str, Any]:
    """The tool definition for a session: its description lists each agent's name and description."""
    tool = RunSubagent()
    listing = "\n".join(
        f"- {name}: {' '.join(description.split()) or '(no description)'}" for name, description in agents
    )
    schema = tool.schema()
    schema["description"] = f"{tool.description}\n\nChoose the agent whose description fits the task:\n{listing}"
    return schema
