"""The tool contract: validate a call into an `Action`, then execute it once approved.

A tool never touches disk or runs anything in `prepare`: that step only
validates the model's input and computes what would happen (for edits, the
`Proposal`s with their diffs). The permission engine and the approver see the
`Action`; `execute` runs only after approval.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tui.engine.errors import StepwiseError
from tui.engine.session.approval import Approval
from tui.engine.tools.kinds import ToolKind
from tui.engine.workspace.proposals import AppliedEdit, Proposal

if TYPE_CHECKING:
    from tui.engine.exec.terminal import TerminalManager
    from tui.engine.session.events import Event


class Delegator(Protocol):
    """Runs a sub-agent for the session."""

    def agent_names(self) -> list[str]:
        """The agents that can be delegated to."""

    def default_agent(self) -> str:
        """The agent a call that names none runs: the session's own, in a fresh conversation."""

    async def run(self, agent: str, description: str, prompt: str, ctx: ToolContext) -> ToolOutput:
        """Run `agent` on `prompt` in a fresh conversation; its final text and changes are the output."""


class ToolInputError(StepwiseError, ValueError):
    """The model's input is wrong; the message goes back to it as an `is_error` result."""


@dataclass
class ToolContext:
    root: Path
    """The workspace root (resolved)."""
    terminals: TerminalManager
    tool_use_id: str = ""
    on_output: Callable[[str], None] | None = None
    """Receives command output as it arrives (live display)."""
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    web: Any = None
    """The session's `tui.engine.tools.web.WebAccess` (None without the Anthropic API); not typed here,
    so that the tool contract imports no tool."""
    todos: list[dict[str, str]] = field(default_factory=list)
    """This agent's task list (`manage_todo_list`)."""
    delegate: Delegator | None = None
    """Runs sub-agents for `run_subagent`; None for a sub-agent (delegation is one level deep)."""
    extra_roots: tuple[Path, ...] = ()
    """Additional directories (resolved): edits there are checked against the same hard limits."""
    read_denied: Callable[[str, Path], str | None] | None = None
    """Which deny rule keeps a file from a tool's results (`tool`, `path`), or None: searches and
    listings filter what they found file by file, whatever folder was searched."""


@dataclass(frozen=True)
class Action:
    """A validated tool call: what permissions decide on and approvals show."""

    tool: str
    kind: ToolKind
    input: dict[str, Any]
    """Canonical arguments (aliases already mapped)."""
    target: str
    """One line for display: the path(s), the command, the query."""
    paths: tuple[Path, ...] = ()
    """Resolved paths the call reads or writes (for rules and hard limits)."""
    command: str | None = None
    cwd: Path | None = None
    explanation: str = ""
    proposals: tuple[Proposal, ...] = ()
    outside_sandbox: bool = False
    """Run the command without the sandbox: the user approved exactly that (`OUTSIDE_SANDBOX`)."""


@dataclass
class ToolOutput:
    content: str
    is_error: bool = False
    exit_code: int | None = None
    """A finished command's exit status (negative: killed by that signal); None for other tools."""
    sandbox_blocked: str = ""
    """Why the sandbox, not the command itself, most likely made it fail (empty when it did not)."""
    edits: list[AppliedEdit] = field(default_factory=list)
    grants: tuple[str, ...] = ()
    """Allow rules for the rest of the turn (a loaded skill's `allowed-tools`)."""
    events: list[Event] = field(default_factory=list)
    """Events the call adds to the session log after its result (a `TodoUpdate`)."""


class Tool(ABC):
    """One tool the model can call. Subclasses are stateless singletons."""

    name: ClassVar[str]
    kind: ClassVar[ToolKind]
    description: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]

    def schema(self) -> dict[str, Any]:
        """The tool definition sent to the model."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}

    @abstractmethod
    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        """Validate `args` and describe the call, without side effects.

        Raises:
            ToolInputError: with a message that tells the model what to fix.
        """

    @abstractmethod
    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        """Run an approved action. Errors are returned as `ToolOutput(is_error=True)`."""
