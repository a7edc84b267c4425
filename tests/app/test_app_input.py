"""The prompt (send, newline, history, completion, @mentions), slash commands, modes and the status bar."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style

from tests.app.live import FIXED_USAGE, fix_prices, live_app
from tests.app.pilot_helpers import notes, ready, send_until_asked, until
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use
from tui.app.app import SessionChange
from tui.app.screens.pick import PickScreen


def script(server: FakeAnthropic, turns: list[list[dict]]) -> None:
    """Each turn on the model side: one reply per tool call, then one reply with the turn's text."""
    for turn in turns:
        for call in (block for block in turn if block["type"] == "tool_use"):
            server.script(call)
        server.script(*(block for block in turn if block["type"] == "text"))


def say(value: str) -> dict:
    return text(value)


def edit(path: str, old: str, new: str) -> dict:
    return tool_use("replace_string_in_file", {"filePath": path, "oldString": old, "newString": new})


def prompts(session) -> list[tuple[str, list[dict[str, str]]]]:
    """What the user sent, with its attachments, from the session's own events."""
    return [(e.text, e.attachments) for e in session.history() if e.type == "user_message"]


async def test_enter_sends_and_shift_enter_or_ctrl_j_adds_a_line(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [[say("ok")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("a", "shift+enter", "b", "ctrl+j", "c")
        assert app.main.prompt.text == "a\nb\nc"
        await pilot.press("enter")
        await until(pilot, lambda: prompts(live.session), "the prompt")
        assert prompts(live.session)[0] == ("a\nb\nc", [])
        assert app.main.prompt.text == ""


async def test_up_and_down_walk_the_history(git_repo: Path, model_env: FakeAnthropic) -> None:
    script(model_env, [[say("1")], [say("2")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for text in ("first", "second"):
            app.main.prompt.insert(text)
            await pilot.press("enter")
            await until(
                pilot, lambda text=text: not live.session.busy and prompts(live.session)[-1][0] == text, "the turn"
            )
        await pilot.press("d", "r", "a", "f", "t")
        await pilot.press("up")
        assert app.main.prompt.text == "second"
        await pilot.press("up")
        assert app.main.prompt.text == "first"
        await pilot.press("down", "down")
        assert app.main.prompt.text == "draft"


async def test_slash_command_completion(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("/", "h", "e")
        completions = app.main.completions
        assert completions.display
        assert [c.value for c in completions.completions] == ["/help", "/theme"]  # prefix matches first
        await pilot.press("tab")
        assert app.main.prompt.text == "/help "
        assert not completions.display
        await pilot.press("enter")
        await until(pilot, lambda: any(n.startswith("Commands:") for n in notes(app)), "the help")


async def test_completion_list_moves_with_up_and_down(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("/", "r")
        values = [c.value for c in app.main.completions.completions]
        assert values[:2] == ["/rewind", "/resume"]
        await pilot.press("down", "tab")
        assert app.main.prompt.text == "/resume "


async def test_unknown_slash_command_is_reported(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("/frobnicate")
        await pilot.press("escape", "enter")
        await until(pilot, lambda: any("unknown command /frobnicate" in n for n in notes(app)), "the warning")
        assert prompts(live.session) == []


async def test_mention_completes_and_attaches_the_file(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "src").mkdir()
    (git_repo / "src" / "util.py").write_text("def helper():\n    return 1\n")
    (git_repo / "README.md").write_text("readme\n")
    script(model_env, [[say("seen")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press(*"look at @uti")
        assert [c.value for c in app.main.completions.completions] == ["@src/util.py"]
        await pilot.press("tab")
        assert app.main.prompt.text == "look at @src/util.py "
        await pilot.press("enter")
        await until(pilot, lambda: prompts(live.session), "the prompt")
        text, attachments = prompts(live.session)[0]
        assert text == "look at @src/util.py "
        assert attachments == [{"path": "src/util.py", "content": "def helper():\n    return 1\n"}]


async def test_mention_outside_the_workspace_is_not_attached(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo.parent / "secret.txt").write_text("no\n")
    script(model_env, [[say("ok")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("read @../secret.txt")
        await pilot.press("escape", "enter")
        await until(pilot, lambda: prompts(live.session), "the prompt")
        assert prompts(live.session)[0][1] == []
        assert any("outside the workspace" in n for n in notes(app))


async def test_shift_tab_cycles_the_mode(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            await pilot.pause()
            seen.append((live.session.mode, app.main.status_bar.mode))
        assert seen == [("acceptEdits", "acceptEdits"), ("plan", "plan"), ("default", "default")]
        assert "mode: default" in app.main.status_bar.summary()
        assert any("default → acceptEdits" in n for n in notes(app))


async def test_mode_command_sets_and_rejects(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("/mode plan")
        await pilot.press("enter")
        await until(pilot, lambda: live.session.mode == "plan", "the mode")
        app.main.prompt.insert("/mode sideways")
        await pilot.press("enter")
        await until(pilot, lambda: any("unknown permission mode 'sideways'" in n for n in notes(app)), "the error")
        assert live.session.mode == "plan"


async def test_undo_restores_the_file(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("old\n")
    script(model_env, [[edit("a.py", "old", "new"), say("ok")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = live.session
        await send_until_asked(pilot, "change it")
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        assert (git_repo / "a.py").read_text() == "new\n"
        assert app.main.changed_files.files == [("M", "a.py")]
        app.main.prompt.insert("/undo")
        await pilot.press("enter")
        await until(pilot, lambda: (git_repo / "a.py").read_text() == "old\n", "the undo")
        await until(pilot, lambda: any(n.startswith("Undid the last step") for n in notes(app)), "the note")
        assert app.main.changed_files.files == []
        app.main.prompt.insert("/undo")
        await pilot.press("enter")
        await until(pilot, lambda: "Nothing to undo." in notes(app), "nothing to undo")


async def test_rewind_picks_a_checkpoint(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("0\n")
    script(model_env, [[edit("a.py", "0", "1"), edit("a.py", "1", "2"), say("ok")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = live.session
        app.main.prompt.insert("go")
        await pilot.press("enter")
        for count in (1, 2):
            await until(
                pilot, lambda count=count: len(live.requests) == count and app.main.permission.display, "the pane"
            )
            await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        app.main.prompt.insert("/rewind")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen), "the picker")
        # Newest first: step 2, step 1, the base (step 0).
        await pilot.press("down", "down", "enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, PickScreen) and "what goes back" in app.screen.title_text,
            "the choice",
        )
        assert [item for item, _ in app.screen.items] == ["both", "code", "conversation"]
        await pilot.press("enter")
        rewound = git_repo / "a.py"
        # The restore rewrites the file: read it only once it is back.
        await until(pilot, lambda: rewound.exists() and rewound.read_text() == "0\n", "the rewind")
        await until(pilot, lambda: "The conversation went back to that step too." in " ".join(notes(app)), "the note")


async def test_rewind_of_only_the_conversation_keeps_the_files(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("0\n")
    script(model_env, [[edit("a.py", "0", "1"), say("ok")], [say("back")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = live.session
        await send_until_asked(pilot, "go")
        await pilot.press("y")
        await until(pilot, lambda: not session.busy, "the turn")
        app.main.prompt.insert("/rewind")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen), "the picker")
        await pilot.press("down", "enter")  # step 0, the base
        await until(
            pilot,
            lambda: isinstance(app.screen, PickScreen) and "what goes back" in app.screen.title_text,
            "the choice",
        )
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: any("Rewound the conversation to step 0" in n for n in notes(app)), "the note")
        assert (git_repo / "a.py").read_text() == "1\n"
        app.main.prompt.insert("again")
        await pilot.press("enter")
        await until(pilot, lambda: not session.busy and len(model_env.message_requests) == 3, "the turn")
        last = str(model_env.message_requests[-1].body["messages"][-1])
        assert "rewound the conversation" in last and "The files were not changed" in last and "again" in last


async def test_compact_shows_the_summary_and_the_context_share_drops(git_repo: Path, model_env: FakeAnthropic) -> None:
    import re

    (git_repo / "big.py").write_text(
        "".join(f"value_{i} = {i}  # padding for the context window\n" for i in range(600))
    )
    (git_repo / ".stepwise").mkdir()
    (git_repo / ".stepwise" / "settings.yaml").write_text("context_windows: {sonnet: 40000}\n")
    script(model_env, [[tool_use("read_file", {"filePath": "big.py"}), say("Read it.")]])
    model_env.script(text("## Task\nRead big.py.\n## Next step\nWait."))
    app, live = live_app(git_repo, model_env)

    def share() -> int:
        found = re.search(r"ctx (\d+)%", app.main.status_bar.summary())
        return int(found[1]) if found else 0

    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("read big.py")
        await pilot.press("enter")
        await until(pilot, lambda: not live.session.busy and share() > 20, "the turn")
        before = share()
        app.main.prompt.insert("/compact the reading")
        await pilot.press("enter")
        await until(pilot, lambda: any(n.startswith("Compacted the conversation") for n in notes(app)), "the note")
        note = next(n for n in notes(app) if n.startswith("Compacted"))
        assert "(/compact, focus: the reading)" in note and "Read big.py." in note
        await until(pilot, lambda: share() < before, "the smaller share")
        assert "focus on: the reading" in str(model_env.message_requests[-1].body["messages"][-1])


async def test_diff_command_and_changed_files_show_the_session_diff(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("old\n")
    script(model_env, [[edit("a.py", "old", "new"), say("ok")]])
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "go")
        await pilot.press("y")
        await until(pilot, lambda: not live.session.busy, "the turn")
        assert "Applied: a.py" in str(app.main.diff_title.render())
        app.main.prompt.insert("/diff")
        await pilot.press("enter")
        await until(pilot, lambda: "Session diff" in str(app.main.diff_title.render()), "the diff")
        assert [f.path for f in app.main.diff_view.files] == ["a.py"]
        await pilot.press("f2")
        assert app.main.diff_view.side_by_side
        app.main.diff_view.show_diff("", "")
        app.main.changed_files.focus()
        app.main.changed_files.highlighted = 0
        await pilot.press("enter")
        await until(pilot, lambda: "Session diff: a.py" in str(app.main.diff_title.render()), "the file diff")
        assert [f.path for f in app.main.diff_view.files] == ["a.py"]


async def test_status_bar_shows_agent_model_mode_git_tokens_and_cost(git_repo: Path, model_env: FakeAnthropic) -> None:
    fix_prices(git_repo)
    model_env.script(text("hi"), usage=FIXED_USAGE)
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("hello")
        await pilot.press("enter")
        await until(pilot, lambda: not live.session.busy, "the turn")
        await until(pilot, lambda: "ready" in app.main.status_bar.summary(), "idle")
        summary = app.main.status_bar.summary()
        assert live.session.model.startswith("claude-sonnet")
        for part in ("general", live.session.model, "mode: default", "⎇ main", "1.1k tok (80% cached)", "ctx 10%"):
            assert part in summary, part
        assert "$0.0125" in summary and "ready" in summary
        # At 120 columns not everything fits: whole parts leave (the cache share first), the cost stays.
        shown = app.main.status_bar.render().plain
        assert len(shown) <= 120 and "…" not in shown
        assert shown.startswith("general · ") and shown.endswith(" · $0.0125 · ready"), shown
        app.main.prompt.insert("/cost")
        await pilot.press("enter")
        await until(pilot, lambda: any(n.startswith("Tokens:") for n in notes(app)), "the cost")
        cost = next(n for n in notes(app) if n.startswith("Tokens:"))
        assert "cache read 800" in cost and "80%" in cost and "$0.0125" in cost
        assert "Context: 1,000 of 10,000 tokens (10%)" in cost


async def test_status_bar_says_when_commands_run_unsandboxed(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env, session_options={"sandbox": False})
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        assert "commands run unsandboxed" in app.main.status_bar.render().plain


async def test_theme_command_switches_and_reports_the_change(git_repo: Path, model_env: FakeAnthropic) -> None:
    changes: list[str] = []
    app, _ = live_app(git_repo, model_env, on_theme_change=changes.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.theme == "stepwise-dark"
        app.main.prompt.insert("/theme stepwise-light")
        await pilot.press("enter")
        await until(pilot, lambda: changes == ["stepwise-light"], "the theme change")
        view = app.main.diff_view  # follows the app theme: the light theme's diff colours
        view.show_diff("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-old = 1\n+new = 2\n", "x.py")
        await pilot.pause()
        added = next(view.render_line(y) for y in range(8) if "new = 2" in view.render_line(y).text)
        light_added = Style(bgcolor=app.theme_specs["stepwise-light"].diff.added_bg).bgcolor
        assert any(s.style is not None and s.style.bgcolor == light_added for s in added)
        app.main.prompt.insert("/theme nope")
        await pilot.press("enter")
        await until(pilot, lambda: any("Unknown theme 'nope'" in n for n in notes(app)), "the warning")
        assert app.theme == "stepwise-light"


async def test_quit_command_exits(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.insert("/quit")
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 0


async def test_command_palette_offers_the_themes(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {"Theme: stepwise-dark", "Theme: stepwise-light", "Theme: stepwise-high-contrast"} <= set(commands)
        commands["Theme: stepwise-high-contrast"].callback()
        await pilot.pause()
        assert app.theme == "stepwise-high-contrast"


async def test_fork_reopens_a_new_session_from_the_picked_step(git_repo: Path, model_env: FakeAnthropic) -> None:
    (git_repo / "a.py").write_text("0\n")
    script(model_env, [[edit("a.py", "0", "1"), say("ok")]])
    app, live = live_app(git_repo, model_env, reopen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = live.session
        await send_until_asked(pilot, "go")
        await pilot.press("y")
        await until(pilot, lambda: not session.busy and len(model_env.message_requests) == 2, "the turn")
        app.main.prompt.insert("/fork")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen), "the picker")
        assert [item for item, _ in app.screen.items] == ["now", "1", "0"]
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: len(live.sessions) == 2 and app.session is live.sessions[1], "the fork")
        assert live.changes == [SessionChange(fork=f"{session.id}@0")]
        assert session.closed and live.session.id != session.id
        assert (git_repo / "a.py").read_text() == "0\n"  # the fork starts from the files at step 0
        await live.session.close()


async def test_agent_switch_reopens_the_session(git_repo: Path, model_env: FakeAnthropic) -> None:
    agents = git_repo / ".stepwise" / "agents"
    agents.mkdir(parents=True)
    (agents / "reviewer.md").write_text("---\nname: reviewer\ndescription: reads code\n---\nYou review code.\n")
    app, live = live_app(
        git_repo,
        model_env,
        reopen=True,
        list_agents=lambda: [("general", "general: writes code"), ("reviewer", "reviewer: reads code")],
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        first = live.session
        assert first.agent_name == "general"
        app.main.prompt.insert("/agent")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen), "the picker")
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.session is not None and app.session.agent_name == "reviewer", "the new session")
        assert live.changes == [SessionChange(agent="reviewer")]
        assert first.closed
        assert app.main.status_bar.agent == "reviewer"
        reviewer = live.session
        app.main.prompt.insert("/model haiku")
        await pilot.press("enter")
        await until(pilot, lambda: len(live.changes) == 2, "the model switch")
        assert live.changes[1] == SessionChange(model="haiku", resume=reviewer.id)
        await until(pilot, lambda: app.session is not reviewer and app.session is not None, "the haiku session")
        assert app.session.model.startswith("claude-haiku") and app.session.id == reviewer.id
        await app.session.close()


async def test_resume_and_agent_without_callbacks_explain_themselves(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for command in ("/resume", "/agent"):
            app.main.prompt.insert(command)
            await pilot.press("enter")
        await until(pilot, lambda: len([n for n in notes(app) if "not available here" in n]) == 2, "the notes")


async def test_unknown_start_theme_falls_back_with_a_warning(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env, theme="no-such-theme")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.theme == "stepwise-dark"
        assert any("Unknown theme 'no-such-theme'" in n for n in notes(app))
