"""The app's Approver: hands each request to the permission pane and awaits the user's answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.engine.session.approval import Approval, ApprovalRequest
from tui.engine.session.events import Decider
from tui.engine.tools.kinds import ToolKind


@dataclass
class PendingApproval:
    """One request on screen; resolving `future` answers the engine."""

    request: ApprovalRequest
    future: asyncio.Future[Approval] = field(repr=False)

    def resolve(self, approval: Approval) -> None:
        """Answer the request (later answers are ignored)."""
        if not self.future.done():
            self.future.set_result(approval)


class AppApprover:
    """Shows one request at a time; the engine awaits it for every "ask".

    Requests are answered in the order they come (a lock serialises them), so
    several edits of one turn are reviewed in sequence. After the user chose
    "approve all remaining edits of this turn", edit requests are approved
    without asking until `end_turn`.
    """

    decided_by: Decider = "user"

    def __init__(self) -> None:
        self._present: Callable[[PendingApproval], None] | None = None
        self._lock = asyncio.Lock()
        self.current: PendingApproval | None = None
        self.approve_edits_this_turn = False
        self._interrupted: str | None = None
        """Set by Esc: requests still waiting their turn (side-by-side sub-agents) are denied unshown."""

    def attach(self, present: Callable[[PendingApproval], None]) -> None:
        """Set what shows a request to the user (the main screen)."""
        self._present = present

    async def __call__(self, request: ApprovalRequest) -> Approval:
        async with self._lock:
            if self._interrupted is not None:
                return Approval.deny(self._interrupted)
            if self.approve_edits_this_turn and request.kind == ToolKind.EDIT:
                return Approval.once()
            if self._present is None:
                return Approval.deny("the app is not ready to ask the user")
            pending = PendingApproval(request, asyncio.get_running_loop().create_future())
            self.current = pending
            self._present(pending)
            try:
                return await pending.future
            finally:
                self.current = None

    def cancel_pending(self, message: str) -> None:
        """Deny the request on screen and those waiting their turn (the user interrupted the turn)."""
        self._interrupted = message
        if self.current is not None:
            self.current.resolve(Approval.deny(message))

    def end_turn(self) -> None:
        """The turn ended: "approve all edits" no longer applies."""
        self.approve_edits_this_turn = False
        self._interrupted = None
