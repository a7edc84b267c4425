"""`manage_todo_list`: the agent's live task list (Claude Code `TodoWrite`, Copilot `todo`).

Each call sends the whole list; the list lives on the tool context (one per
agent run), is recorded as a `TodoUpdate` event and is restored from the last
one on resume. It acts on nothing but the session, so it needs no permission.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, cast

from tui.engine.session.approval import Approval
from tui.engine.session.events import TodoUpdate
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput

TodoStatus = Literal["pending", "in_progress", "completed"]

STATUSES: dict[str, TodoStatus] = {
    "pending": "pending",
    "not-started": "pending",
    "in_progress": "in_progress",
    "in-progress": "in_progress",
    "completed": "completed",
}
"""Every status spelling accepted (Claude Code's and Copilot's) -> the canonical one."""

MARKS: dict[str, str] = {"pending": "[ ]", "in_progress": "[~]", "completed": "[x]"}
"""How an item's status is drawn in results, the chat and exports."""

MAX_ITEMS = 100

_ITEM = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "title": {"type": "string", "description": 'What to do, in the imperative ("Run the tests").'},
        "status": {"type": "string", "enum": list(STATUSES)},
        "activeForm": {"type": "string", "description": 'The same, as it is being done ("Running the tests").'},
        "description": {"type": "string"},
        "id": {"type": ["integer", "string"]},
    },
}


def todo_line(item: dict[str, str]) -> str:
    """One item as text: `[~] Run the tests`."""
    return f"{MARKS.get(item.get('status', ''), '[ ]')} {item.get('content', '')}"


def todo_summary(items: list[dict[str, str]]) -> str:
    """`2/5 done · Running the tests`: the collapsed form of a list."""
    done = sum(1 for item in items if item.get("status") == "completed")
    current = next((item for item in items if item.get("status") == "in_progress"), None)
    now = f" · {current.get('active_form') or current.get('content')}" if current else ""
    return f"{done}/{len(items)} done{now}"


class ManageTodoList(Tool):
    name: ClassVar[str] = "manage_todo_list"
    kind: ClassVar[ToolKind] = ToolKind.META
    description: ClassVar[str] = (
        "Keep a short task list for multi-step work, shown live to the user. Send the whole list each "
        "time (operation `write`, the default); `read` returns it. Mark exactly one item in-progress while "
        "you work on it and mark items completed as soon as they are done. Skip it for one-step requests."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": [],
        "properties": {
            "operation": {"type": "string", "enum": ["write", "read"]},
            "todoList": {"type": "array", "items": _ITEM, "maxItems": MAX_ITEMS},
        },
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        if args.get("operation", "write") == "read":
            return Action(tool=self.name, kind=self.kind, input={"operation": "read"}, target="read the task list")
        if args.get("todoList") is None:
            raise ToolInputError("`todoList` is required to write the list (send every item, with its status)")
        items = []
        for index, item in enumerate(args["todoList"]):
            title = str(item["title"]).strip()
            if not title:
                raise ToolInputError(f"`todoList[{index}].title` is empty; say what the item is")
            items.append(
                {
                    "content": title,
                    "status": STATUSES[item["status"]],
                    "active_form": str(item.get("activeForm") or "").strip(),
                }
            )
        return Action(
            tool=self.name,
            kind=self.kind,
            input={"operation": "write", "items": items},
            target=todo_summary(items),
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        if action.input["operation"] == "read":
            return ToolOutput(_listing("The task list", ctx.todos))
        items = cast(list[dict[str, str]], action.input["items"])
        ctx.todos = list(items)
        event = TodoUpdate(tool_use_id=ctx.tool_use_id, items=list(items))
        return ToolOutput(_listing("Task list updated", items), events=[event])


def _listing(heading: str, items: list[dict[str, str]]) -> str:
    if not items:
        return f"{heading}: empty."
    return f"{heading} ({todo_summary(items)}):\n" + "\n".join(todo_line(item) for item in items)
