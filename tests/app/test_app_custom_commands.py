"""Custom slash commands in the app: completed, listed by /help, and run as one turn."""

from __future__ import annotations

import asyncio

from tests.app.pilot_helpers import until
from tests.support.fake_anthropic import text
from tui.app.app import StepwiseApp
from tui.app.widgets.chat import ChatNote
from tui.app.widgets.prompt_input import CompletionQuery
from tui.engine.session.session import Session, SessionOptions


def app_for(repo) -> StepwiseApp:
    async def factory(approver):
        return await asyncio.to_thread(Session.open, SessionOptions(cwd=repo), approver)

    return StepwiseApp(factory)


async def test_a_custom_command_completes_shows_in_help_and_runs(git_repo, model_env):
    commands = git_repo / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "review.md").write_text(
        "---\ndescription: Review a file\nargument-hint: <file>\n---\nReview $ARGUMENTS carefully\n"
    )
    model_env.script(text("Reviewed."))
    app = app_for(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        assert "/review" in [c.value for c in app.complete(CompletionQuery("slash", "rev"))]
        app.main.prompt.load_text("/help")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: any("/review <file>" in note.text for note in app.main.chat.query(ChatNote)),
            "/help listing the command",
        )
        app.main.prompt.load_text("/review app.py")
        await pilot.press("enter")
        await until(pilot, lambda: model_env.message_requests, "the request")
    content = model_env.message_requests[0].body["messages"][0]["content"]
    assert "Review app.py carefully" in "".join(block.get("text", "") for block in content)


async def test_enter_sends_when_the_completion_list_is_stale(git_repo, model_env):
    """A quick typist's Enter can arrive before the completion list follows the text."""
    model_env.script(text("ok"))
    app = app_for(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        prompt = app.main.prompt
        await pilot.press(*"/mod")
        await until(pilot, lambda: prompt.completions.chosen is not None, "the completion list")
        with prompt.prevent(type(prompt).Changed):
            prompt.insert("e default")  # the list still shows /mode, /model for the word "/mod"
        assert prompt.completions.chosen is not None
        await pilot.press("enter")
        await until(pilot, lambda: prompt.text == "", "the prompt sent")


async def test_enter_runs_the_command_typed_when_the_list_still_shows_its_start(git_repo, model_env):
    """The list made for "/" must not replace a "/undo" typed faster than it follows."""
    app = app_for(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        prompt = app.main.prompt
        await pilot.press("/")
        await until(pilot, lambda: prompt.completions.chosen is not None, "the completion list")
        assert prompt.completions.chosen.value != "/undo"
        with prompt.prevent(type(prompt).Changed):
            prompt.insert("undo")  # the list still shows every command, the first highlighted
        await pilot.press("enter")
        await until(pilot, lambda: any(n.text == "Nothing to undo." for n in app.main.chat.query(ChatNote)), "/undo")
        assert prompt.text == ""
