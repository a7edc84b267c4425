import asyncio
import subprocess
import sys

import pytest

from tui.engine.session.approval import Approval, ApprovalKind, HeadlessApprover
from tui.engine.session.events import EditApplied, TextDelta, ToolResult
from tui.engine.session.session import Session, SessionOptions
from tui.replay import demo
from tui.replay.recorded_provider import END_OF_RECORDING, RecordedProvider


class Scripted:
    """Approves everything except the calls named: `deny` (by tool, in order) and `hunks` (first edit only)."""

    def __init__(self, deny=(), first_edit_hunks=None):
        self.deny = list(deny)
        self.first_edit_hunks = first_edit_hunks
        self.requests = []

    decided_by = "user"

    async def __call__(self, request):
        self.requests.append(request)
        if self.deny and self.deny[0] == len(self.requests):
            self.deny.pop(0)
            return Approval.deny("not now")
        if self.first_edit_hunks is not None and len(self.requests) == 1:
            return Approval(ApprovalKind.HUNKS, hunks={0: self.first_edit_hunks})
        return Approval.once()


class ApproveAll:
    def __init__(self):
        self.requests = []

    decided_by = "user"

    async def __call__(self, request):
        self.requests.append(request)
        return Approval.once()


@pytest.fixture
def demo_repo(tmp_path, stepwise_home):
    return demo.prepare_workspace(tmp_path)


def run_demo(repo, approver):
    session = Session.open(SessionOptions(cwd=repo, agent=demo.AGENT), approver, provider=demo.demo_provider(0))
    events = []
    session.subscribe(events.append)

    async def go():
        try:
            return await session.run(demo.PROMPT)
        finally:
            await session.close()

    return session, asyncio.run(go()), events


def test_the_demo_workspace_is_a_clean_repository_with_passing_tests(demo_repo):
    status = subprocess.run(["git", "status", "--porcelain"], cwd=demo_repo, capture_output=True, text=True)
    assert status.stdout == ""
    tests = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests"], cwd=demo_repo, capture_output=True
    )
    assert tests.returncode == 0


def test_approving_every_step_leaves_the_sample_tests_passing(demo_repo):
    approver = ApproveAll()
    _session, outcome, events = run_demo(demo_repo, approver)
    assert outcome.reason == "end_turn"
    assert "backend-complete" in outcome.text
    kinds = [r.tool for r in approver.requests]
    assert kinds == ["replace_string_in_file", "run_in_terminal", "create_file", "run_in_terminal"]
    assert len(approver.requests[0].proposals[0].hunks) == 2
    assert [e.path for e in events if isinstance(e, EditApplied)] == ["shop/orders.py", "tests/test_validation.py"]
    assert all(not e.is_error for e in events if isinstance(e, ToolResult))
    assert any(isinstance(e, TextDelta) for e in events)
    tests = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests"], cwd=demo_repo, capture_output=True, text=True
    )
    assert tests.returncode == 0 and "Ran 7 tests" in tests.stderr


def test_denying_everything_leaves_the_sample_untouched(demo_repo):
    _session, outcome, _events = run_demo(demo_repo, HeadlessApprover())
    # The script follows the denial of its first edit: it stops and says why.
    assert len(outcome.denials) == 1
    assert "You turned the edit down" in outcome.text
    status = subprocess.run(["git", "status", "--porcelain"], cwd=demo_repo, capture_output=True, text=True)
    assert status.stdout == ""


def test_a_recording_that_runs_out_says_so():
    provider = RecordedProvider([])
    from tui.engine.model.provider import ModelRequest

    response = asyncio.run(provider.stream(ModelRequest("m", [], [], []), lambda e: None, asyncio.Event()))
    assert response.content == [{"type": "text", "text": END_OF_RECORDING}]


def test_cancel_keeps_the_text_streamed_so_far():
    provider = RecordedProvider([{"content": [{"type": "text", "text": "x" * 100}]}])
    cancel = asyncio.Event()
    seen = []

    def emit(event):
        seen.append(event)
        if len(seen) == 3:
            cancel.set()

    from tui.engine.model.provider import ModelRequest

    response = asyncio.run(provider.stream(ModelRequest("m", [], [], []), emit, cancel))
    assert response.partial is True
    shown = "".join(e.text for e in seen if isinstance(e, TextDelta))
    assert response.content[0]["text"] == shown and 0 < len(shown) < 100


def test_replay_model_takes_turns_from_a_recorded_session(recorded_session, capsys, git_repo, stepwise_home):
    from tui.cli import main

    # A fresh copy of the base: reset the repo to HEAD and drop untracked files.
    subprocess.run(["git", "checkout", "--", "."], cwd=git_repo, check=True)
    subprocess.run(["git", "clean", "-fdq"], cwd=git_repo, check=True)
    code = main(
        [
            "-p",
            "again",
            "--cwd",
            str(git_repo),
            "--replay-model",
            str(recorded_session),
            "--permission-mode",
            "acceptEdits",
            "--output-format",
            "json",
        ]
    )
    import json

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["result"] == "All done."
    assert (git_repo / "app.py").read_text().count("'hi '") == 1
    assert [d["tool"] for d in result["permission_denials"]] == ["run_in_terminal"]


def replies(events):
    from tui.engine.session.events import AssistantMessage

    return [b["text"] for e in events if isinstance(e, AssistantMessage) for b in e.content if b.get("type") == "text"]


def test_after_a_denied_test_run_the_script_does_not_claim_the_tests_pass(demo_repo):
    session, _outcome, events = run_demo(demo_repo, Scripted(deny=[2]))  # request 2: the first test run
    texts = replies(events)
    assert not any(text.startswith("Those pass") for text in texts)
    assert any("not verified yet" in text for text in texts)
    assert session.usage["output_tokens"] > 0  # /cost shows the script's usage


def test_after_a_rejected_hunk_the_summary_says_what_is_missing(demo_repo):
    _session, outcome, _events = run_demo(demo_repo, Scripted(first_edit_hunks=[0]))
    assert "only the hunks you approved landed" in outcome.text
    assert "rejects percentages outside 0 to 100" not in outcome.text
