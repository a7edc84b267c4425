"""The approval interface between the agent loop and whoever answers its questions.

For every call the permission engine marks "ask", the loop builds an
`ApprovalRequest` holding everything a UI needs to show exactly what will
happen, and awaits an `Approver`. The Textual app, headless print mode and
replay each provide their own approver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from tui.engine.session.events import Decider
    from tui.engine.session.review import ReviewComment
    from tui.engine.tools.kinds import ToolKind
    from tui.engine.workspace.proposals import Proposal


class ApprovalKind(StrEnum):
    ONCE = "once"
    """Approve this call only."""
    SESSION = "session"
    """Approve, and allow calls matching `Approval.rule` for the rest of the session."""
    SAVE = "save"
    """Approve, and save `Approval.rule` as an allow rule in the project settings."""
    HUNKS = "hunks"
    """Apply only `Approval.hunks` of the proposal (indexes into `Proposal.hunks`)."""
    EDITED = "edited"
    """Apply `Approval.text` as the file's new content instead of the proposal."""
    DENY = "deny"
    """Do not run; `Approval.message` (if any) goes to the model."""


OutsideSandbox = Literal["outside_sandbox"]
OUTSIDE_SANDBOX: OutsideSandbox = "outside_sandbox"
"""The request kind for running one command again outside the sandbox (only once, never as a rule)."""


@dataclass(frozen=True)
class ApprovalRequest:
    """What a tool call needs the user's approval for: the target, the reason it asks, the proposals."""

    tool_use_id: str
    tool: str
    """Canonical tool name."""
    kind: ToolKind | OutsideSandbox
    """Tool kind: `read`, `edit`, `execute`, `plan`; or `outside_sandbox` (`OUTSIDE_SANDBOX`): run a
    command that failed inside the sandbox again outside it."""
    target: str
    """The path(s) or the command, as shown to the user."""
    input: dict[str, Any]
    reason: str
    """Why it asks: the mode or the rule."""
    suggested_rule: str | None = None
    """A "don't ask again" pattern, e.g. `run_in_terminal(npm test:*)`."""
    explanation: str = ""
    """The model's explanation of the call, when it gave one."""
    cwd: str = ""
    """The folder a command runs in."""
    proposals: tuple[Proposal, ...] = ()
    """File edits with their diffs and hunks (empty for commands)."""
    plan: str = ""
    """The plan text for `exit_plan_mode`."""
    agent: str = ""
    """The sub-agent that asks; empty when it is the session's own agent."""
    delegated_by: str = ""
    """For a sub-agent: the agent that delegated to it."""

    @property
    def asker(self) -> str:
        """Who asks, for the pane: `backend-dev (sub-agent of general)`, or empty for the session's agent."""
        return f"{self.agent} (sub-agent of {self.delegated_by})" if self.agent else ""

    @property
    def asker_line(self) -> str:
        """`backend-dev (sub-agent of general) wants to edit app.py`; empty for the session's agent."""
        if not self.agent:
            return ""
        verb = {"edit": "edit", "execute": "run", "read": "read"}.get(self.kind, f"use {self.tool} on")
        return f"{self.asker} wants to {verb} {self.target}"


@dataclass(frozen=True)
class Approval:
    """The user's answer to an `ApprovalRequest`: once, for the session, saved, some hunks, edited, or denied."""

    kind: ApprovalKind
    rule: str | None = None
    hunks: dict[int, list[int]] = field(default_factory=dict)
    """For HUNKS: proposal index -> chosen hunk indexes."""
    text: dict[int, str] = field(default_factory=dict)
    """For EDITED: proposal index -> the user's new content."""
    message: str | None = None
    automatic: bool = False
    """Given by a rule, a grant or the mode, not by a person answering (such a command is guarded)."""
    comments: tuple[ReviewComment, ...] = ()
    """Review comments on lines of the proposals; they reach the model with the result (approved or denied)."""

    @property
    def approved(self) -> bool:
        return self.kind is not ApprovalKind.DENY

    @classmethod
    def once(cls) -> Approval:
        return cls(ApprovalKind.ONCE)

    @classmethod
    def deny(cls, message: str | None = None, comments: tuple[ReviewComment, ...] = ()) -> Approval:
        return cls(ApprovalKind.DENY, message=message, comments=comments)


class Approver(Protocol):
    """Answers one approval request. May take as long as the user needs."""

    decided_by: Decider
    """Who its answers are recorded as coming from: `user` for a person, `headless` in print mode."""

    async def __call__(self, request: ApprovalRequest) -> Approval: ...


class HeadlessApprover:
    """Never prompts: whatever would ask is denied and reported (print mode)."""

    decided_by: Decider = "headless"

    async def __call__(self, request: ApprovalRequest) -> Approval:
        return Approval.deny(f"print mode never prompts; {request.reason}")
