"""Resuming a long session: only the last messages are built, older ones on demand, totals from the session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.app.pilot_helpers import until
from tests.perf.harness import init_repo
from tests.perf.workloads import record_session
from tui.app.app import StepwiseApp
from tui.app.widgets.chat import MAX_CHAT_WIDGETS, OLDER_CHUNK, ChatNote, StreamingMarkdown, UserMessageView
from tui.engine.session.events import AssistantMessage, EditApplied, ToolCall, ToolResult
from tui.engine.session.log import read_session
from tui.engine.session.session import Session, SessionOptions
from tui.presentation.transcript import TextEntry, ToolEntry, UserEntry, applied_title, fold_history

TURNS = 300


@pytest.fixture(scope="module")
def long_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A recorded 300-turn session (real tools and checkpoints) and its work tree."""
    work = tmp_path_factory.mktemp("long")
    root = init_repo(work / "repo")
    recorded = record_session(root, work / "sessions", session_id="resume-long", turns=TURNS, edit_every=5)
    return root, recorded.path


def resume_app(root: Path, path: Path) -> StepwiseApp:
    async def factory(approver):
        return await asyncio.to_thread(Session.open, SessionOptions(cwd=root, resume=str(path)), approver)

    return StepwiseApp(factory)


async def resumed(pilot) -> None:
    app = pilot.app
    await until(
        pilot, lambda: app.session is not None and app.main.status_bar.activity == "idle", "the resumed session"
    )
    await pilot.pause()


def messages(app: StepwiseApp) -> list:
    return [child for child in app.main.chat.children if "earlier-messages" not in child.classes]


def earlier_line(app: StepwiseApp) -> str:
    return str(app.main.chat.query_one(".earlier-messages").render())


async def test_resume_builds_only_the_last_messages_with_the_sessions_totals(long_session: tuple[Path, Path]) -> None:
    root, path = long_session
    events = read_session(path).events
    entries = fold_history(events).entries
    assert len(entries) > 3 * MAX_CHAT_WIDGETS
    app = resume_app(root, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await resumed(pilot)
        chat = app.main.chat
        shown = messages(app)
        assert len(shown) == MAX_CHAT_WIDGETS
        assert chat.older_count == len(entries) - MAX_CHAT_WIDGETS
        assert f"{chat.older_count} earlier messages" in earlier_line(app)
        # The latest reply is the last message, rendered once from its final text.
        last_text = next(entry.text for entry in reversed(entries) if isinstance(entry, TextEntry))
        assert isinstance(shown[-1], StreamingMarkdown)
        await until(pilot, lambda: shown[-1].source == last_text, "the last reply")
        # Totals count every logged response, not only the rendered ones.
        replies = [e for e in events if isinstance(e, AssistantMessage)]
        assert app.main.status_bar.usage["output_tokens"] == sum(e.usage["output_tokens"] for e in replies)
        assert app.main.status_bar.cost_usd == pytest.approx(sum(e.cost_usd for e in replies))
        last_edit = [e for e in events if isinstance(e, EditApplied)][-1]
        assert str(app.main.diff_title.render()) == applied_title(last_edit)
        assert app.main.changed_files.files == app.session.changed_files()
        assert app.main.changed_files.files
        await app.session.close()


async def test_older_messages_load_on_demand_in_order(long_session: tuple[Path, Path]) -> None:
    root, path = long_session
    entries = fold_history(read_session(path).events).entries
    hidden = len(entries) - MAX_CHAT_WIDGETS
    app = resume_app(root, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await resumed(pilot)
        chat = app.main.chat
        first_shown = messages(app)[0]
        chat.scroll_home(animate=False)
        await until(pilot, lambda: chat.older_count == hidden - OLDER_CHUNK, "scrolling to the top loads more")
        await pilot.pause()
        shown = messages(app)
        assert len(shown) == MAX_CHAT_WIDGETS + OLDER_CHUNK
        assert shown[OLDER_CHUNK] is first_shown
        user_views = [w for w in shown[:OLDER_CHUNK] if isinstance(w, UserMessageView)]
        user_entries = [e for e in entries[hidden - OLDER_CHUNK : hidden] if isinstance(e, UserEntry)]
        assert [str(view.render()) for view in user_views] == [entry.text for entry in user_entries]
        # The view stays on what it showed, so scrolling to the top again loads the next chunk.
        await until(pilot, lambda: chat.scroll_y > 0, "the view back on the message it showed")
        chat.scroll_home(animate=False)
        await until(pilot, lambda: chat.older_count == hidden - 2 * OLDER_CHUNK, "scrolling up again loads more")
        await app.session.close()


async def test_pruning_after_resume_keeps_the_history_loadable(long_session: tuple[Path, Path]) -> None:
    root, path = long_session
    entries = fold_history(read_session(path).events).entries
    app = resume_app(root, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await resumed(pilot)
        chat = app.main.chat
        for i in range(10):
            chat.add_note(f"note {i}")
        await pilot.pause()
        assert len(messages(app)) == MAX_CHAT_WIDGETS
        assert chat.older_count == len(entries) - MAX_CHAT_WIDGETS + 10
        assert [n.text for n in chat.query(ChatNote)][-10:] == [f"note {i}" for i in range(10)]
        # Live messages are rebuilt too: a pruned tool call comes back, with its result, when scrolled to.
        call = ToolCall(tool_use_id="live-1", name="Read", tool="read_file", input={"filePath": "a.py"}, target="a.py")
        chat.add_entry(ToolEntry(call))
        chat.tool("live-1").result(ToolResult(tool_use_id="live-1", content="x = 1\n", duration_ms=1200))
        for i in range(MAX_CHAT_WIDGETS):
            chat.add_note(f"later {i}")
        await pilot.pause()
        assert chat.tool("live-1") is None
        assert chat.older_count == len(entries) - MAX_CHAT_WIDGETS + 10 + MAX_CHAT_WIDGETS + 1
        while chat.tool("live-1") is None:
            assert chat.load_older()
            await pilot.pause()
        assert "read_file a.py · done · 1.2 s" in str(chat.tool("live-1").title)
        await app.session.close()
