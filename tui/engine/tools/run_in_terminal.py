"""`run_in_terminal`: run a shell command in the workspace root."""

from __future__ import annotations

from typing import Any, ClassVar

from tui.engine.exec.reaper import describe_processes
from tui.engine.exec.terminal import DEFAULT_TIMEOUT_S, MAX_OUTPUT_CHARS, MAX_TIMEOUT_S, CommandResult
from tui.engine.session.approval import Approval
from tui.engine.tools._schema import check_args
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput


class RunInTerminal(Tool):
    name: ClassVar[str] = "run_in_terminal"
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE
    description: ClassVar[str] = (
        "Run a shell command (bash) in the workspace root and return its output and exit code. "
        "stdin is closed, so interactive commands fail: pass flags such as --yes or --no-pager. "
        f"Commands are stopped after {DEFAULT_TIMEOUT_S / 60:.0f} minutes unless timeout (ms, at most "
        f"{MAX_TIMEOUT_S / 60:.0f} minutes) says otherwise. Output over {MAX_OUTPUT_CHARS:,} characters "
        "keeps its head and tail. For servers and watchers set isBackground to true: you get an id "
        "at once and read the output later with get_terminal_output. Do not use it to read, search or "
        "edit files when a dedicated tool exists."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command to run."},
            "explanation": {"type": "string", "description": "One sentence on what it does, shown to the user."},
            "goal": {"type": "string", "description": "The purpose of the command, in a few words."},
            "isBackground": {"type": "boolean", "description": "Start it and return at once (servers, watchers)."},
            "timeout": {"type": "integer", "minimum": 0, "description": "Timeout in milliseconds (0: the default)."},
        },
        "required": ["command"],
    }

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.input_schema)
        command = args["command"].strip()
        if not command:
            raise ToolInputError("`command` is empty")
        if "\0" in command:
            raise ToolInputError("`command` contains a NUL byte")
        return Action(
            tool=self.name,
            kind=self.kind,
            input=args,
            target=command,
            command=command,
            cwd=ctx.root,
            explanation=args.get("explanation") or args.get("goal") or "",
        )

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        assert action.command is not None and action.cwd is not None
        try:
            if action.input.get("isBackground"):
                # Live output keeps going to this call's display while the command runs.
                term_id = await ctx.terminals.start_background(action.command, action.cwd, ctx.on_output)
                return ToolOutput(
                    f"Started in the background with id {term_id}. "
                    f'Read its output with get_terminal_output {{"id": "{term_id}"}}.'
                )
            result = await ctx.terminals.run(
                action.command,
                action.cwd,
                timeout_seconds(action.input),
                ctx.on_output,
                ctx.cancel,
                outside_sandbox=action.outside_sandbox,
                # What a person approved may change protected files outside the sandbox; a rule may not.
                guarded=approval.automatic,
            )
        except OSError as exc:
            return ToolOutput(f"Could not start the command in {action.cwd}: {exc.strerror or exc}", is_error=True)
        output = describe_result(result, timeout_seconds(action.input))
        output.sandbox_blocked = result.sandbox_failure
        return output


def timeout_seconds(args: dict[str, Any]) -> float:
    """The call's timeout: its `timeout` (ms) capped at the maximum, or the default."""
    millis = args.get("timeout")
    if not millis:
        return DEFAULT_TIMEOUT_S
    return min(float(millis) / 1000, MAX_TIMEOUT_S)


def describe_result(result: CommandResult, timeout_s: float) -> ToolOutput:
    """The model's view of a finished command: output, then how it ended."""
    output = result.output if result.output.strip() else "(no output)"
    if not output.endswith("\n"):
        output += "\n"
    if result.cancelled:
        return ToolOutput(f"{output}The user cancelled the command; its processes were stopped.", is_error=True)
    if result.timed_out:
        return ToolOutput(
            f"{output}The command timed out after {timeout_s:g} s and was stopped. For long-running "
            "commands raise timeout, or set isBackground to true.",
            is_error=True,
        )
    if result.guard:
        output += result.guard.describe() + "\n"
    code = result.exit_code
    status = f"Exit code: {code}" if code is not None and code >= 0 else f"Killed by signal {-(code or 0)}"
    if result.leftovers:
        status += (
            f" (processes it left running were stopped: {describe_processes(result.leftovers)}; "
            "use isBackground for servers)"
        )
    return ToolOutput(output + status, exit_code=code)
