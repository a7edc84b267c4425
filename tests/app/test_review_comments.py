"""Review comments on the lines of a proposed edit: left with `c`, sent with `y` or `n`, logged, resumed."""

from __future__ import annotations

import subprocess

from tests.app.pilot_helpers import cli_app, notes, ready, send, send_until_asked, until
from tests.support.fake_anthropic import text, tool_use
from tui.engine.session.log import read_session

BIG = "".join(f"line {i}\n" for i in range(1, 31))


def big_repo(git_repo):
    (git_repo / "big.py").write_text(BIG)
    subprocess.run(["git", "add", "-A"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "big"], cwd=git_repo, check=True)
    return git_repo


def two_hunk_edit():
    return tool_use(
        "multi_replace_string_in_file",
        {
            "replacements": [
                {"filePath": "big.py", "oldString": "line 3\n", "newString": "LINE THREE\n"},
                {"filePath": "big.py", "oldString": "line 25\n", "newString": "LINE TWENTY-FIVE\n"},
            ]
        },
    )


def last_tool_result(server) -> dict:
    return server.message_requests[-1].body["messages"][-1]["content"][0]


async def comment(pilot, words: str) -> None:
    await pilot.press("c")
    await until(pilot, lambda: pilot.app.main.permission.input_mode == "comment", "the comment field")
    await pilot.press(*words)
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.main.permission.input_mode == "", "the comment added")


async def test_comments_on_two_hunks_reach_the_model_with_what_landed(git_repo, model_env) -> None:
    big_repo(git_repo)
    model_env.script(two_hunk_edit())
    model_env.script(text("Noted."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "shout two lines")
        # The cursor starts on the first hunk's first changed line: the removed `line 3`.
        await pilot.press("down")  # the added LINE THREE (new line 3)
        await comment(pilot, "say three in digits")
        await pilot.press("j")  # the second hunk, whose cursor is on the removed `line 25`
        await comment(pilot, "keep this one")
        await pilot.press("space")  # deselect the second hunk
        assert app.main.permission.comments[1]["side"] == "old"
        await pilot.press("y")
        await until(pilot, lambda: len(model_env.message_requests) == 2, "the result sent")
        result = last_tool_result(model_env)
        assert not result.get("is_error")
        feedback = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
        assert "The user left 2 review comments on this edit:" in feedback
        assert "1. big.py:3 (hunk 1)\n   > LINE THREE\n   say three in digits" in feedback
        assert "2. big.py:25 (removed line) (hunk 2)\n   > line 25\n   keep this one" in feedback
        assert "Hunks that landed: big.py: hunk 1 of 2 applied." in feedback
        assert "LINE THREE" in (git_repo / "big.py").read_text() and "line 25" in (git_repo / "big.py").read_text()
        await until(pilot, lambda: not app.session.busy, "the turn")
        shown = [n for n in notes(app) if n.startswith("Review comment on")]
        assert shown == [
            "Review comment on big.py:3 “LINE THREE”: say three in digits",
            "Review comment on big.py:25 (removed line) “line 25”: keep this one",
        ]
        path = app.session.path
        await app.session.close()
    [decision] = [e for e in read_session(path).events if e.type == "permission_decision"]
    assert [c["comment"] for c in decision.comments] == ["say three in digits", "keep this one"]


async def test_deny_sends_the_comments_as_the_reason_and_they_survive_resume(git_repo, model_env) -> None:
    big_repo(git_repo)
    model_env.script(two_hunk_edit())
    model_env.script(text("I will redo it."))
    model_env.script(text("Still here."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "shout two lines")
        await comment(pilot, "no shouting")
        await pilot.press("n")
        await until(pilot, lambda: app.main.permission.input_mode == "deny", "the deny field")
        await pilot.press("enter")
        await until(pilot, lambda: len(model_env.message_requests) == 2, "the denial sent")
        result = last_tool_result(model_env)
        assert result["is_error"] is True
        denial = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
        assert "big.py:3 (removed line) (hunk 1)\n   > line 3\n   no shouting" in denial
        assert "Nothing was applied: the user denied the edit, with these comments as the reason." in denial
        assert (git_repo / "big.py").read_text() == BIG
        await until(pilot, lambda: not app.session.busy, "the turn")
        session_id = app.session.id
        await app.session.close()
    resumed = cli_app(git_repo, "--resume", session_id)
    async with resumed.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "Review comment on big.py:3 (removed line) “line 3”: no shouting" in notes(resumed)
        await send(pilot, "still there?")
        await until(pilot, lambda: len(model_env.message_requests) == 3, "the next request")
        history = model_env.message_requests[-1].body["messages"]
        assert any("no shouting" in str(message["content"]) for message in history)
        await until(pilot, lambda: not resumed.session.busy, "the turn")
        await resumed.session.close()
