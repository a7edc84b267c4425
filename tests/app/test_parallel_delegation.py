"""Two delegations in one message, against the scripted server, answered through the app's approver."""

import asyncio

from tests.support.fake_anthropic import text, tool_use
from tui.app.approver import AppApprover, PendingApproval
from tui.engine.session.approval import Approval
from tui.engine.session.events import SubagentEnd, SubagentStart
from tui.engine.session.session import Session, SessionOptions


def agent_file(repo, name):
    folder = repo / ".claude" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: Writes {name}.txt.\ntools: Write\n---\nYou are {name}.\n"
    )


def sub_agent_replies(body):
    """Each sub-agent (told apart by its system prompt) first writes its file, then reports."""
    system = "".join(block["text"] for block in body["system"])
    name = "alpha" if "You are alpha." in system else "beta"
    if body["messages"][-1]["content"][0].get("type") == "tool_result":
        return [text(f"{name} wrote its file.")]
    return [tool_use("create_file", {"filePath": f"{name}.txt", "content": f"{name}\n"})]


async def test_two_delegations_run_at_once_and_ask_one_at_a_time(git_repo, model_env):
    agent_file(git_repo, "alpha")
    agent_file(git_repo, "beta")
    model_env.script(
        tool_use("Task", {"description": "alpha's file", "prompt": "write it", "subagent_type": "alpha"}),
        tool_use("Task", {"description": "beta's file", "prompt": "write it", "subagent_type": "beta"}),
    )
    approver = AppApprover()
    on_screen: list[PendingApproval] = []
    shown_together = []

    def present(pending):
        # The pane shows one request at a time: nothing else is waiting on screen.
        shown_together.append([p.request.agent for p in on_screen if not p.future.done()])
        on_screen.append(pending)
        asyncio.get_running_loop().call_soon(pending.resolve, Approval.once())

    approver.attach(present)
    session = Session.open(SessionOptions(cwd=git_repo), approver)
    main_replies = iter([[text("Both are done.")]])

    def responder(body):
        if "Writes alpha.txt" in repr(body.get("tools")):  # the parent offers run_subagent listing the agents
            return next(main_replies)
        return sub_agent_replies(body)

    model_env.respond_with(responder)
    outcome = await session.run("write both files")
    assert outcome.reason == "end_turn" and outcome.text == "Both are done."
    assert (git_repo / "alpha.txt").read_text() == "alpha\n" and (git_repo / "beta.txt").read_text() == "beta\n"
    assert sorted(p.request.agent for p in on_screen) == ["alpha", "beta"]
    assert shown_together == [[], []]

    events = session.history()
    starts = [i for i, e in enumerate(events) if isinstance(e, SubagentStart)]
    ends = [i for i, e in enumerate(events) if isinstance(e, SubagentEnd)]
    # Side by side: both started before either ended.
    assert len(starts) == 2 and len(ends) == 2 and max(starts) < min(ends)
    assert sorted(e.agent for e in events if isinstance(e, SubagentEnd) and e.reason == "end_turn") == ["alpha", "beta"]
    # Each step is its own checkpoint, labelled with its agent.
    labels = sorted(c.label for c in session.checkpoints()[1:])
    assert labels == ["alpha: create_file: alpha.txt", "beta: create_file: beta.txt"]
    await session.close()


class CountingApprover(AppApprover):
    """The app's approver, counting the requests that reached it (shown or waiting their turn)."""

    def __init__(self):
        super().__init__()
        self.arrived = []

    async def __call__(self, request):
        self.arrived.append(request.agent)
        return await super().__call__(request)


async def test_esc_while_two_delegations_ask_withdraws_the_queued_request(git_repo, model_env):
    agent_file(git_repo, "alpha")
    agent_file(git_repo, "beta")
    model_env.script(
        tool_use("Task", {"description": "alpha's file", "prompt": "write it", "subagent_type": "alpha"}),
        tool_use("Task", {"description": "beta's file", "prompt": "write it", "subagent_type": "beta"}),
    )
    model_env.respond_with(sub_agent_replies)
    approver = CountingApprover()
    presented = []
    holder = {}

    async def escape_once_both_wait():
        for _ in range(100_000):  # scheduling turns, not time
            if len(approver.arrived) == 2:
                break
            await asyncio.sleep(0)
        # What the app's Esc does: cancel the session, deny what is on screen.
        holder["session"].cancel()
        approver.cancel_pending("The user interrupted the turn.")

    def present(pending):
        presented.append(pending.request.agent)
        if len(presented) == 1:
            holder["escape"] = asyncio.ensure_future(escape_once_both_wait())
        else:
            pending.resolve(Approval.deny("shown after Esc"))

    approver.attach(present)
    session = Session.open(SessionOptions(cwd=git_repo), approver)
    holder["session"] = session
    outcome = await session.run("write both files")
    assert outcome.reason == "cancelled"
    assert sorted(approver.arrived) == ["alpha", "beta"]
    assert len(presented) == 1, "the other sub-agent's queued request is never shown"
    ends = [e for e in session.history() if isinstance(e, SubagentEnd)]
    assert sorted(e.reason for e in ends) == ["cancelled", "cancelled"]
    assert not (git_repo / "alpha.txt").exists() and not (git_repo / "beta.txt").exists()
    await session.close()
