"""A new user's findings (issue 14), each reproduced against the real Session and the scripted server."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from tests.app.pilot_helpers import cli_app, notes, ready, send, send_until_asked, until
from tests.support.fake_anthropic import text
from tui.app.app import SessionChange, StepwiseApp
from tui.app.widgets.prompt_input import PromptInput
from tui.engine.session.session import Session, SessionOptions


def user_texts(server) -> list[str]:
    """The user turns' text in the last request the scripted server received."""
    texts = []
    for message in server.message_requests[-1].body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            texts += (
                [content] if isinstance(content, str) else [b.get("text", "") for b in content if b["type"] == "text"]
            )
    return texts


# --- 1: an exact slash command wins over a completion ------------------------------------


async def test_typing_mode_and_enter_runs_mode_not_model(git_repo, model_env) -> None:
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        model = app.session.model
        await pilot.press(*"/mode")
        assert app.main.completions.completions[0].value == "/mode"  # `/model` starts with it too
        await pilot.press("enter")
        await until(pilot, lambda: any(n.startswith("Mode: default.") for n in notes(app)), "the mode note")
        assert app.main.prompt.text == ""
        await pilot.press(*"/mode plan")
        await pilot.press("enter")
        await until(pilot, lambda: app.session.mode == "plan", "plan mode")
        assert app.session.model == model
        await app.session.close()


# --- 2: an unknown model is refused ------------------------------------------------------


async def test_model_command_refuses_an_unknown_model_and_keeps_the_session(git_repo, model_env) -> None:
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session, model = app.session, app.session.model
        await send(pilot, "/model nonsense-model")
        await until(pilot, lambda: any("unknown model 'nonsense-model'" in n for n in notes(app)), "the refusal")
        refusal = next(n for n in notes(app) if "unknown model" in n)
        assert "sonnet" in refusal and "haiku" in refusal and f"The model stays {model}." in refusal
        assert refusal.count("unknown") == 1
        await pilot.pause()
        assert app.session is session and app.session.model == model
        await session.close()


def test_print_mode_and_the_app_exit_2_on_an_unknown_model_listing_the_aliases(git_repo, model_env, capsys) -> None:
    from tui.cli import main

    for argv in (["-p", "hi", "--model", "nonsense"], ["--model", "nonsense"]):
        assert main([*argv, "--cwd", str(git_repo)]) == 2
        err = capsys.readouterr().err
        assert "unknown model 'nonsense'; use an alias (" in err and "opus" in err, err
    assert model_env.message_requests == []


# --- 3: what is typed while a session reopens is kept and sent ---------------------------


async def test_a_prompt_sent_during_a_reopen_is_sent_when_the_new_session_is_ready(git_repo, model_env) -> None:
    model_env.script(text("Hello from haiku."))
    gate = asyncio.Event()

    async def factory(approver):
        return await asyncio.to_thread(Session.open, SessionOptions(cwd=git_repo), approver)

    async def reopen(approver, change: SessionChange):
        await gate.wait()
        options = SessionOptions(cwd=git_repo, model=change.model, resume=change.resume)
        return await asyncio.to_thread(Session.open, options, approver)

    app = StepwiseApp(factory, reopen=reopen)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        first = app.session
        await send(pilot, "/model haiku")
        await until(pilot, lambda: app.main.status_bar.activity == "starting", "the reopen")
        await send(pilot, "are you there?")
        await until(pilot, lambda: any("sent as soon as it is ready" in n for n in notes(app)), "the queued note")
        assert model_env.message_requests == [] and first.history()[-1].type != "user_message"
        gate.set()
        await until(pilot, lambda: app.session is not first and app.session.model.startswith("claude-haiku"), "haiku")
        await until(pilot, lambda: model_env.message_requests, "the request")
        assert user_texts(model_env)[-1] == "are you there?"
        assert model_env.message_requests[-1].body["model"] == app.session.model
        await until(pilot, lambda: not app.session.busy, "the turn")
        await app.session.close()


# --- 8: a mistyped sub-command is not a prompt; no TUI without a terminal ------------------


def test_a_mistyped_subcommand_is_refused_with_the_fix(git_repo, model_env, capsys) -> None:
    from tui.cli import main

    assert main(["sesions", "--cwd", str(git_repo)]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'sesions'; did you mean 'sessions'? To send a prompt, quote it or put it after --" in err
    # After `--` it is a prompt: the app would open, but stdout here is not a terminal.
    assert main(["--cwd", str(git_repo), "--", "sesions"]) == 2
    assert "the app needs a terminal on stdout" in capsys.readouterr().err
    assert model_env.message_requests == []


def test_the_app_refuses_to_start_without_a_terminal_on_stdout(git_repo, model_env) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "fix the bug"], cwd=git_repo, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "the app needs a terminal on stdout" in result.stderr and "stepwise -p" in result.stderr
    assert model_env.message_requests == []


# --- 11: /export writes outside the work tree and says where -----------------------------


async def test_export_defaults_beside_the_session_log_and_takes_a_path(git_repo, model_env, tmp_path) -> None:
    model_env.script(text("Exported soon."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = app.session
        await send(pilot, "hello")
        await until(pilot, lambda: model_env.message_requests and not session.busy, "the turn")
        await send(pilot, "/export")
        default = session.path.with_suffix(".md")
        await until(pilot, default.exists, "the default export")
        assert f"Exported the transcript (md) to {default}" in notes(app)
        status = subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, capture_output=True, text=True)
        assert status.stdout == ""
        target = tmp_path / "out" / "t.html"
        await send(pilot, f"/export {target}")
        await until(pilot, target.exists, "the export to a path")
        assert target.read_text().startswith("<!DOCTYPE html>")
        await send(pilot, "/export pdf")
        await until(pilot, lambda: any("unknown export format 'pdf'" in n for n in notes(app)), "the refusal")
        await session.close()


# --- 13: a failed start says why and how to fix it, and exits non-zero ---------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [((), "is not inside a git repository"), (("--resume", "nonexistent"), "no session 'nonexistent'")],
)
async def test_a_failed_start_shows_the_error_and_the_fix_and_exits_non_zero(
    tmp_path, model_env, argv, expected
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    if argv:
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    app = cli_app(folder, *argv)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main.status_bar.activity == "not started", "the failure")
        error = next(n for n in notes(app) if n.startswith("Could not start the session"))
        assert expected in error and ("git init" in error or "stepwise sessions" in error)
        await send(pilot, "hello")
        await until(pilot, lambda: any("could not start" in n and "Ctrl+Q" in n for n in notes(app)), "the reply")
        assert not any("not ready yet" in n for n in notes(app))
        await pilot.press("ctrl+q")
    assert app.return_code == 1
    assert expected in app.farewell()[0]
    assert model_env.message_requests == []


# --- 7: the demo never leaves its script ----------------------------------------------------


async def test_agent_and_model_inside_the_demo_say_why_they_are_off(tmp_path, stepwise_home, monkeypatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app = cli_app(tmp_path, "--demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the demo session")
        session = app.session
        for command in ("/model haiku", "/agent general"):
            # Submitted as the prompt does (the prompt itself may be hidden by the demo's first question).
            app.on_prompt_input_submitted(PromptInput.Submitted(command))
        await until(pilot, lambda: sum("/agent and /model are off here" in n for n in notes(app)) == 2, "the notes")
        assert "real API" in next(n for n in notes(app) if "are off here" in n)
        assert app.session is session and app.session.agent_name == "backend-dev"
        session.cancel()
        app.approver.cancel_pending("test over")
        await until(pilot, lambda: not session.busy, "the cancelled turn")
        await session.close()


# --- 5: the changed-files list follows every step, commands included -----------------------


async def test_changed_files_follow_a_command_that_adds_and_deletes(git_repo, model_env) -> None:
    from tests.support.fake_anthropic import tool_use

    model_env.script(tool_use("run_in_terminal", {"command": "echo made > made.txt && rm app.py"}))
    model_env.script(text("Done."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "shuffle files")
        await pilot.press("y")
        await until(pilot, lambda: not app.session.busy and len(model_env.message_requests) == 2, "the turn")
        await until(pilot, lambda: app.main.changed_files.files != [], "the list")
        assert app.main.changed_files.files == [("D", "app.py"), ("A", "made.txt")]
        await send(pilot, "/undo")
        await until(pilot, lambda: app.main.changed_files.files == [], "the list after undo")
        assert (git_repo / "app.py").exists() and not (git_repo / "made.txt").exists()
        await app.session.close()


# --- 4: the diff pane follows the state ------------------------------------------------------


def title(app: StepwiseApp) -> str:
    return str(app.main.diff_title.render())


async def test_the_diff_pane_shows_only_what_still_stands(git_repo, model_env) -> None:
    from tests.support.fake_anthropic import tool_use

    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "README.md", "oldString": "# demo", "newString": "# demo!"})
    )
    model_env.script(text("Two edits."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "edit two files")
        for count in (1, 2):
            await until(pilot, lambda: app.main.permission.display, f"question {count}")
            await pilot.press("y")
            await until(pilot, lambda n=count: len(model_env.message_requests) == n + 1, f"edit {count} sent")
        await until(pilot, lambda: not app.session.busy, "the turn")
        assert title(app).startswith("Applied: README.md")
        await send(pilot, "/undo")
        await until(pilot, lambda: title(app).startswith("Applied: app.py"), "the earlier edit after undo")
        await send(pilot, "/undo")
        await until(pilot, lambda: title(app) == "No changes yet", "nothing after the second undo")
        session_id = app.session.id
        await app.session.close()
    # Resumed, the undone edits stay gone from the pane.
    resumed = cli_app(git_repo, "--resume", session_id)
    async with resumed.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert title(resumed) == "No changes yet"
        await resumed.session.close()


async def test_a_new_session_from_agent_does_not_show_the_previous_sessions_edit(git_repo, model_env) -> None:
    from tests.support.fake_anthropic import tool_use

    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(text("Edited."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "edit")
        await pilot.press("y")
        await until(pilot, lambda: not app.session.busy and len(model_env.message_requests) == 2, "the turn")
        assert title(app).startswith("Applied: app.py")
        first = app.session
        await send(pilot, "/agent general")
        await until(
            pilot, lambda: app.session is not first and app.main.status_bar.activity == "idle", "the new session"
        )
        assert title(app) == "No changes yet"
        await app.session.close()


# --- 6: a failing command looks like a failure ------------------------------------------------


async def test_a_command_that_exits_1_shows_its_exit_status_in_the_error_colour(git_repo, model_env) -> None:
    from tests.support.fake_anthropic import tool_use
    from tui.app.widgets.tool_call import ToolCallView
    from tui.engine.session.log import read_session
    from tui.presentation.export import to_html, to_markdown
    from tui.replay.app import ReplayApp

    model_env.script(tool_use("run_in_terminal", {"command": "echo broken; exit 1"}))
    model_env.script(text("It failed."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "run it")
        await pilot.press("y")
        await until(pilot, lambda: not app.session.busy and len(model_env.message_requests) == 2, "the turn")
        [line] = app.main.chat.query(ToolCallView)
        assert "approved by you · exit 1" in str(line.title) and line.has_class("-failed")
        assert not line.has_class("-done")
        path = app.session.path
        await app.session.close()
    record = read_session(path)
    replay = ReplayApp(record)
    async with replay.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        await pilot.pause()
        [line] = replay.chat.query(ToolCallView)
        assert "exit 1" in str(line.title) and line.has_class("-failed")
    assert "### run_in_terminal echo broken; exit 1 · exit 1" in to_markdown(record)
    assert 'class="entry tool failed"' in to_html(record)


# --- frictions: focus, the command palette, one interrupt note, /clear and /agent feedback ---------


async def test_keys_typed_in_the_chat_go_to_the_prompt_and_esc_returns_to_it(git_repo, model_env) -> None:
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.main.chat.focus()
        await pilot.press("/", "h", "e", "l", "p")
        assert app.focused is app.main.prompt and app.main.prompt.text == "/help"
        app.main.changed_files.focus()
        await pilot.press("escape")
        assert app.focused is app.main.prompt
        await app.session.close()


async def test_the_command_palette_offers_every_slash_command(git_repo, model_env) -> None:
    from tui.app.slash_commands import SLASH_COMMANDS

    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {f"/{c.name}" for c in SLASH_COMMANDS} <= set(commands)
        for name in ("undo", "rewind", "diff", "export", "mode", "agent", "model", "theme", "resume"):
            assert f"/{name}" in commands
        commands["/mode"].callback()
        await until(
            pilot, lambda: any(n.startswith("Mode: default.") for n in notes(app)), "/mode run from the palette"
        )
        await app.session.close()


def test_the_readme_key_table_and_command_list_match_help() -> None:
    from tui.app.keys import KEYS, readme_rows
    from tui.app.slash_commands import SLASH_COMMANDS, help_text

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| key | does |\n| --- | --- |\n", 1)[1].split("\n\n", 1)[0]
    assert table.splitlines() == readme_rows()
    help_shown = help_text()
    for key in KEYS:
        assert " ".join(key.keys) in help_shown
    for command in SLASH_COMMANDS:
        assert f"`/{command.name}`" in readme and f"/{command.name}" in help_shown


async def test_clear_and_agent_say_what_they_did_and_resume_marks_the_current_session(git_repo, model_env) -> None:
    from tui.app.screens.pick import PickScreen

    model_env.script(text("One."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "first prompt, which the picker previews")
        await until(pilot, lambda: not app.session.busy and model_env.message_requests, "the turn")
        await send(pilot, "/clear")
        await until(pilot, lambda: any(n.startswith("Chat cleared") for n in notes(app)), "the /clear note")
        await send(pilot, "/resume")
        await until(pilot, lambda: isinstance(app.screen, PickScreen), "the picker")
        [(sid, label)] = app.screen.items
        assert sid == app.session.id and label.endswith("← current")
        assert "1 turn " in label and "“first prompt, which the picker previews”" in label
        await pilot.press("escape")
        first = app.session
        await send(pilot, "/agent general")
        await until(pilot, lambda: app.session is not first and app.main.status_bar.activity == "idle", "the switch")
        assert f"/agent general: agent general, model {app.session.model}, session {app.session.id}." in notes(app)
        await app.session.close()


async def test_a_long_tool_line_is_cut_with_an_ellipsis_and_keeps_its_exit_status(git_repo, model_env) -> None:
    from tests.support.fake_anthropic import tool_use
    from tui.app.widgets.tool_call import ToolCallView

    long_command = "echo " + "x" * 150 + "; exit 3"
    model_env.script(tool_use("run_in_terminal", {"command": long_command}))
    model_env.script(text("Failed."))
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send_until_asked(pilot, "run it")
        await pilot.press("y")
        await until(pilot, lambda: not app.session.busy and len(model_env.message_requests) == 2, "the turn")
        [line] = app.main.chat.query(ToolCallView)
        await pilot.pause()
        shown = str(line.title)
        assert "…" in shown and " · approved by you · exit 3 · " in shown and shown.endswith(" s")
        assert len(shown) <= line.size.width
        bar = str(app.main.status_bar.render())
        assert bar.endswith("ready")
        await app.session.close()


async def test_memory_lists_the_additional_directories_the_agent_may_read(git_repo: Path, model_env) -> None:
    import json

    shared = git_repo.parent / "shared"
    shared.mkdir()
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps({"permissions": {"additionalDirectories": ["../shared"]}})
    )
    app = cli_app(git_repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "/memory")
        await until(pilot, lambda: any("Additional directories" in n for n in notes(app)), "the /memory note")
        (listed,) = [n for n in notes(app) if "Additional directories" in n]
        assert listed.splitlines()[1:] == [f"  {shared.resolve()}"]
        assert "every edit there is asked" in listed
