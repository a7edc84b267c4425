"""The first request is the same however stepwise starts, and none is sent before there is a prompt.

A small workspace made here (a project agent with tools, a preloaded and a listed skill, a
second agent to delegate to, CLAUDE.md, project settings) is opened four ways: print mode
(`stepwise -p PROMPT`, which opens the session synchronously before anything else), the app
launched with the prompt (`stepwise PROMPT`, in-process with Pilot and in a real terminal), and
the app launched without one, the prompt typed. The first request each sends to the scripted
server must be the same bytes, compared as canonical JSON (sorted keys): any change to start-up
order that changes what the model is sent (system prompt, tools, messages, model, max_tokens,
cache breakpoints, ...) fails here.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.app.pilot_helpers import until
from tests.support.fake_anthropic import FakeAnthropic, text
from tests.support.tmux import Tmux
from tui.app.app import StepwiseApp
from tui.app.diff_model import DiffFile
from tui.cli import build_parser, main
from tui.commands.app import build_app
from tui.engine.config import yaml_cache
from tui.engine.session.events import AssistantMessage
from tui.engine.session.preview import preview
from tui.engine.session.session import Session, SessionOptions

PROMPT = "Summarise the greeting module"
AGENT = """\
---
name: helper
description: Reads and edits the greeting code
tools: read_file, grep_search, replace_string_in_file, run_in_terminal, Skill, run_subagent
model: sonnet
skills: style
---
You help with the greeting code. Keep answers short.
"""
REVIEWER = """\
---
name: reviewer
description: Reviews a change and reports problems
tools: read_file, grep_search
model: haiku
---
You review changes.
"""
SKILL = "---\nname: {name}\ndescription: {description}\n---\n{body}\n"
SETTINGS = "model: sonnet\nmodel_aliases: {sonnet: claude-sonnet-4-5}\npermissions:\n  allow: ['Bash(ls:*)']\n"


@pytest.fixture
def workspace(git_repo: Path) -> Path:
    """The test's workspace: agents, skills, memory and settings of its own."""
    agents = git_repo / ".stepwise" / "agents"
    agents.mkdir(parents=True)
    (agents / "helper.md").write_text(AGENT)
    (agents / "reviewer.md").write_text(REVIEWER)
    for name, description, body in (
        ("style", "The house style for greetings", "Greetings end with an exclamation mark."),
        ("release", "How to cut a release", "Tag, then push the tag."),
    ):
        folder = git_repo / ".stepwise" / "skills" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(SKILL.format(name=name, description=description, body=body))
    (git_repo / ".stepwise" / "settings.yaml").write_text(SETTINGS)
    (git_repo / "CLAUDE.md").write_text("# Project notes\n\nRun the tests with `python -m unittest`.\n")
    return git_repo


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, indent=1)


@pytest.fixture
def expected(workspace: Path, model_env: FakeAnthropic, capsys: pytest.CaptureFixture[str]) -> str:
    """The first request of `stepwise -p PROMPT --agent helper`: the session opened before anything else."""
    model_env.script(text("Done."))
    assert main(["-p", PROMPT, "--agent", "helper", "--cwd", str(workspace)]) == 0, capsys.readouterr().err
    [request] = model_env.requests
    model_env.requests.clear()
    body = canonical(request.body)
    assert "Greetings end with an exclamation mark." in body, "the preloaded skill is in the prompt"
    assert "How to cut a release" in body and "Run the tests with" in body
    assert '"name": "run_subagent"' in body and "reviewer" in body
    assert '"cache_control"' in body and "claude-sonnet-4-5" in body
    # Print mode filled the YAML cache: every app below starts warm, and must send the same bytes.
    assert yaml_cache.cache_path().exists()
    return body


def cli_app(workspace: Path, *argv: str) -> StepwiseApp:
    args = build_parser().parse_args(list(argv))
    args.cwd = workspace
    return build_app(args)


def answered(app: StepwiseApp) -> bool:
    session = app.session
    return session is not None and not session.busy and any(isinstance(e, AssistantMessage) for e in session.history())


async def test_the_app_launched_with_a_prompt_sends_the_print_mode_request(workspace, model_env, expected) -> None:
    model_env.script(text("Done."))
    app = cli_app(workspace, "--agent", "helper", PROMPT)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: answered(app), "the reply")
        await app.session.close()
    assert [r.path for r in model_env.requests] == ["/v1/messages"]
    assert canonical(model_env.requests[0].body) == expected


async def test_the_diff_pane_is_built_after_the_first_prompt_is_sent(
    workspace, model_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its ~50 ms of building overlap the wait for the first token instead of delaying the request.

    Whatever builds it (`build_deferred`, or a diff shown before): the pane is made once, with the
    launch's prompt already on its way.
    """
    from tui.app.widgets.diff_view import DiffView

    app = cli_app(workspace, "--agent", "helper", PROMPT)
    built_during: list[bool] = []
    make = DiffView.__init__

    def spy(view: DiffView, **options: Any) -> None:
        session = app.session
        built_during.append(bool(session and session.busy))
        make(view, **options)

    monkeypatch.setattr(DiffView, "__init__", spy)
    model_env.script(text("Done."))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: answered(app), "the reply")
        assert app.main.query("#diff") and app.main.changed_files.parent is not None
        assert app.main.diff_view.files == (DiffFile("", ()),)  # no changes
        await app.session.close()
    assert built_during == [True]


async def test_the_provider_process_may_load_the_sdk_once_the_first_frame_is_drawn(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main` starts it held when no prompt waits (`remote.start`); the app lets it go after its first frame."""
    from tui.engine.model import remote

    released: list[bool] = []
    app = cli_app(workspace, "--agent", "helper")
    monkeypatch.setattr(remote, "release", lambda: released.append(app._drawn.is_set()))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(released), "the release")
        await until(pilot, lambda: app.session is not None, "the session")
        await app.session.close()
    assert released == [True]


async def test_nothing_is_sent_before_the_prompt_and_the_typed_prompt_sends_the_same(
    workspace, model_env, expected
) -> None:
    model_env.script(text("Done."))
    app = cli_app(workspace, "--agent", "helper")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None and app.main.status_bar.activity == "idle", "ready")
        # Open, MCP and warm-up done, idle: still not one request of any kind.
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert model_env.requests == []
        app.main.prompt.insert(PROMPT)
        await pilot.press("enter")
        await until(pilot, lambda: answered(app), "the reply")
        await app.session.close()
    assert [r.path for r in model_env.requests] == ["/v1/messages"]
    assert canonical(model_env.requests[0].body) == expected


@pytest.mark.skipif(sys.platform != "linux", reason="tmux end-to-end runs on Linux")
def test_stepwise_prompt_in_a_real_terminal_sends_the_print_mode_request(
    workspace, model_env, expected, api_terminal_env
) -> None:
    model_env.script(text("All done in the terminal."))
    command = f"{shlex.quote(sys.executable)} -m tui.cli --agent helper {shlex.quote(PROMPT)}"
    term = Tmux(command, cwd=workspace, env=api_terminal_env)
    try:
        term.wait_for("All done in the terminal.")
    finally:
        term.close()
    assert [r.path for r in model_env.requests] == ["/v1/messages"]
    assert canonical(model_env.requests[0].body) == expected


async def test_the_status_bar_names_the_agent_and_model_while_the_session_opens(workspace, model_env, expected) -> None:
    gate = asyncio.Event()

    async def factory(approver) -> Session:
        await gate.wait()
        return Session.open(SessionOptions(cwd=workspace, agent="helper"), approver)

    app = StepwiseApp(factory, preview=lambda: preview(workspace, "helper", None))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.main.status_bar.agent, "the preview")
        bar = app.main.status_bar.summary()
        assert bar.startswith("helper · claude-sonnet-4-5 · ") and bar.endswith("starting…"), bar
        app.main.prompt.insert(PROMPT)
        await pilot.press("enter")
        assert model_env.requests == [], "typed while opening: queued, not sent"
        model_env.script(text("Done."))
        gate.set()
        await until(pilot, lambda: answered(app), "the reply")
        assert app.main.status_bar.summary().startswith("helper · claude-sonnet-4-5 · mode: default")
        await app.session.close()
    assert [r.path for r in model_env.requests] == ["/v1/messages"]
    assert canonical(model_env.requests[0].body) == expected
