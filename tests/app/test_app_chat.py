"""The chat pane: streaming Markdown, thinking, interrupts, notes, pruning, start-up."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import pytest
from rich.segment import Segment
from textual import events
from textual.app import App, ComposeResult
from textual.color import Color
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.selection import Selection
from textual.widget import Widget

from tests.app.live import live_app
from tests.app.pilot_helpers import ready, send, until
from tests.support.fake_anthropic import FakeAnthropic, text, tool_use
from tests.support.fake_anthropic import thinking as thinking_block
from tui.app import markdown_render
from tui.app.app import StepwiseApp
from tui.app.widgets import streaming_markdown
from tui.app.widgets.chat import (
    HISTORY_CHARS,
    MAX_CHAT_WIDGETS,
    OLDER_CHUNK,
    ChatNote,
    ChatView,
    StreamingMarkdown,
    ThinkingView,
)
from tui.app.widgets.streaming_markdown import PART_CHARS
from tui.engine.session.events import ToolCall, ToolResult
from tui.presentation.transcript import PARTIAL_NOTE, TextEntry, ToolEntry

REPLY = "# Plan\n\n" + " ".join(f"word{i}" for i in range(400)) + "\n\n```python\nprint('hi')\n```\n\nDone.\n"


async def test_streamed_text_ends_up_in_the_markdown_widget(git_repo: Path, model_env: FakeAnthropic) -> None:
    model_env.script(text(REPLY), chunk_size=5)
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "plan it")
        session = live.session
        await until(pilot, lambda: not session.busy, "the turn")
        await until(
            pilot, lambda: app.main.chat.text_blocks and app.main.chat.text_blocks[0].source == REPLY, "the text"
        )
        (block,) = app.main.chat.text_blocks
        assert block.received == REPLY
        shown = block.get_selection(Selection(None, None))[0]
        assert shown.splitlines()[0] == "Plan"  # a heading, not "# Plan"
        assert "print('hi')" in shown and "```" not in shown  # the fence was parsed as code


async def test_model_text_is_sanitised(git_repo: Path, model_env: FakeAnthropic) -> None:
    model_env.script(text("\x1b]0;pwned\x07safe \x1b[31mred\x1b[0m"))
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hi")
        await until(pilot, lambda: not live.session.busy, "the turn")
        await until(pilot, lambda: app.main.chat.text_blocks, "the text")
        source = app.main.chat.text_blocks[0].source
        assert "\x1b" not in source and "\x07" not in source
        assert "safe" in source and "red" in source


async def test_thinking_is_shown_collapsed(git_repo: Path, model_env: FakeAnthropic) -> None:
    model_env.script(thinking_block("let me ponder"), text("ok"))
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hi")
        await until(pilot, lambda: not live.session.busy, "the turn")
        (thinking,) = app.main.chat.query(ThinkingView)
        assert thinking.collapsed and thinking.text == "let me ponder"


async def test_escape_interrupts_and_keeps_the_partial_text(git_repo: Path, model_env: FakeAnthropic) -> None:
    shown = "partial answer so far"
    model_env.script(text(shown + " and the rest, never sent"), chunk_size=len(shown), hold_after=1)
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hi")
        session = live.session
        await until(
            pilot, lambda: app.main.chat.text_blocks and app.main.chat.text_blocks[0].received == shown, "the text"
        )
        await pilot.press("escape")
        await until(pilot, lambda: not session.busy, "the turn to stop")
        assert [e.reason for e in session.history() if e.type == "turn_end"] == ["cancelled"]
        model_env.release()
        await until(pilot, lambda: app.main.chat.text_blocks[0].source == shown, "the text")
        notes = [note.text for note in app.main.chat.query(ChatNote)]
        # One note per interrupt: the reply was cut mid-stream, so it is the partial-reply note.
        assert [n for n in notes if n.startswith("Interrupted")] == [PARTIAL_NOTE]


async def test_user_message_and_notice_are_shown(git_repo: Path, model_env: FakeAnthropic) -> None:
    model_env.script(text("hello"))
    app, live = live_app(git_repo, model_env, notice="This is a scripted demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hi there")
        await until(pilot, lambda: not live.session.busy, "the turn")
        notes = [note.text for note in app.main.chat.query(ChatNote)]
        assert notes[0] == "This is a scripted demo"
        assert "hi there" in str(app.main.chat.query_one(".user-message").render())


async def test_a_failing_factory_is_reported_and_the_app_keeps_running(tmp_path: Path) -> None:
    async def factory(approver):
        raise RuntimeError("not a git repository: /nowhere")

    app = StepwiseApp(factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot, lambda: any("not a git repository" in n.text for n in app.main.chat.query(ChatNote)), "the error"
        )
        assert app.is_running and app.session is None
        app.main.prompt.insert("/help")
        await pilot.press("enter")
        await until(pilot, lambda: any(n.text.startswith("Commands:") for n in app.main.chat.query(ChatNote)), "help")


async def test_starting_status_before_the_session_exists(tmp_path: Path) -> None:
    opened = asyncio.Event()

    async def factory(approver):
        await opened.wait()
        raise RuntimeError("never mind")

    app = StepwiseApp(factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "starting…" in app.main.status_bar.summary()
        opened.set()
        await until(pilot, lambda: "starting" not in app.main.status_bar.summary(), "the failure")


async def test_without_a_provider_process_the_sdk_client_is_built_once_the_session_opens_and_used(
    git_repo: Path, model_env: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anthropic

    from tui.engine.model import remote

    remote.stop()  # one a test calling `main` started: with it, the client is built there, not here

    built: list[object] = []
    real_client = anthropic.AsyncAnthropic

    def recording_client(**options: object) -> object:
        built.append(real_client(**options))
        return built[-1]

    monkeypatch.setattr(anthropic, "AsyncAnthropic", recording_client)
    model_env.script(text("warm"))
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await until(pilot, lambda: built, "the warm-up")
        assert model_env.message_requests == []  # built before anything was sent
        await send(pilot, "hi")
        await until(pilot, lambda: not live.session.busy, "the turn")
        await until(
            pilot, lambda: app.main.chat.text_blocks and app.main.chat.text_blocks[0].source == "warm", "the reply"
        )
        assert len(built) == 1


async def test_old_messages_are_pruned(git_repo: Path, model_env: FakeAnthropic) -> None:
    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        chat = app.main.chat
        for i in range(MAX_CHAT_WIDGETS + 30):
            chat.add_note(f"note {i}")
        await pilot.pause()
        notes = list(chat.query(ChatNote))
        assert len(notes) == MAX_CHAT_WIDGETS
        assert notes[-1].text == f"note {MAX_CHAT_WIDGETS + 29}"
        assert "earlier messages" in str(chat.query_one(".earlier-messages").render())


async def test_stream_reset_does_not_repeat_shown_text(git_repo: Path, model_env: FakeAnthropic) -> None:
    from tui.engine.session.events import StreamReset, TextDelta

    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        for event in (
            TextDelta(index=0, text="Hello "),
            StreamReset(keep_chars=6),
            TextDelta(index=0, text="Hello world"),
        ):
            app.main.handle_event(event)
        await until(
            pilot,
            lambda: (
                app.main.chat.query(StreamingMarkdown)
                and app.main.chat.query_one(StreamingMarkdown).received == "Hello world"
            ),
            "the text",
        )


async def test_retry_and_error_events_are_shown_inline(git_repo: Path, model_env: FakeAnthropic) -> None:
    from tui.engine.session.events import Error, Retry

    app, _ = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.session is not None, "the session")
        app.main.handle_event(Retry(attempt=2, reason="overloaded", wait_s=1.5, status=529))
        app.main.handle_event(Error(message="the stream broke", kind="api"))
        await pilot.pause()
        texts = [n.text for n in app.main.chat.query(ChatNote)]
        assert "Retrying (529) in 1.5 s, attempt 2: overloaded" in texts
        assert "Error (api): the stream broke" in texts


async def test_a_resumed_session_shows_its_history(git_repo: Path, model_env: FakeAnthropic) -> None:
    import re

    from tui.engine.session.approval import HeadlessApprover
    from tui.engine.session.session import Session, SessionOptions

    model_env.script(tool_use("run_in_terminal", {"command": "ls"}))
    model_env.script(text("earlier **answer**"))
    earlier = Session.open(SessionOptions(cwd=git_repo, allow=["run_in_terminal(ls)"]), HeadlessApprover())
    await earlier.run("earlier question")
    await earlier.close()
    (call,) = [e for e in earlier.history() if e.type == "tool_call"]

    app, _ = live_app(git_repo, model_env, session_options={"resume": earlier.id})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: app.main.chat.text_blocks and app.main.chat.text_blocks[0].source == "earlier **answer**",
            "the history",
        )
        assert "earlier question" in str(app.main.chat.query_one(".user-message").render())
        line = app.main.chat.tool(call.tool_use_id)
        assert re.search(r"· done · \d+\.\d s$", str(line.title)), str(line.title)


async def test_only_a_shown_history_is_followed_by_the_full_collection(
    git_repo: Path, model_env: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collection after a history costs ~100 ms; a new session's first prompt must not wait for it."""
    from tui.app.screens import main as main_screen

    collections: list[str] = []
    monkeypatch.setattr(main_screen, "freeze_long_lived", lambda: collections.append("collected"))
    model_env.script(text("the first answer"))
    app, live = live_app(git_repo, model_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "a question")
        await until(pilot, lambda: app.main.chat.text_blocks and app.session and not app.session.busy, "the answer")
        await pilot.pause()
        assert collections == []

    resumed, _ = live_app(git_repo, model_env, session_options={"resume": live.sessions[0].id})
    async with resumed.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: collections, "the collection after the history")
    assert collections == ["collected"]


# --- long replies: streamed in parts, rendered as the whole ----------------------------

LONG_REPLY = "".join(
    f"## Step {n}\n\n"
    + " ".join(f"word{n}_{i}" for i in range(60))
    + ".\n\n- first point\n- second point with `code`\n\n"
    + f"```python\ndef step_{n}():\n\n    return {n}\n```\n\n"
    + "Closing words of the step, with **bold** and _emphasis_.\n\n"
    for n in range(12)
)


class _OneWidget(App[None]):
    """Shows one widget in a tall screen, so the whole reply is drawn."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def _screen_lines(app: App[None]) -> list[list[Segment]]:
    return [list(strip) for strip in app.screen._compositor.render_strips()]


async def _rendered_whole(text: str, monkeypatch: pytest.MonkeyPatch) -> list[list[Segment]]:
    """The screen of `text` rendered as one Markdown document."""
    with monkeypatch.context() as patch:
        patch.setattr(streaming_markdown, "PART_CHARS", 10**9)
        block = StreamingMarkdown(text)
        app = _OneWidget(block)
        async with app.run_test(size=(100, 400)) as pilot:
            await until(pilot, lambda: block.complete, "the text")
            assert block.part_count == 1
            return _screen_lines(app)


async def _rendered_streamed(text: str, piece: int) -> tuple[list[list[Segment]], int]:
    block = StreamingMarkdown()
    app = _OneWidget(block)
    async with app.run_test(size=(100, 400)) as pilot:
        for start in range(0, len(text), piece):
            block.feed(text[start : start + piece])
            if start // piece % 7 == 0:
                await pilot.pause()  # some pieces reach the parts one frame at a time, others together
        block.update(text)
        await until(pilot, lambda: block.complete and block.source == text, "every part")
        await pilot.pause()
        return _screen_lines(app), block.part_count


async def test_a_long_streamed_reply_is_split_into_parts_that_render_as_the_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(LONG_REPLY) > 4 * PART_CHARS
    whole = await _rendered_whole(LONG_REPLY, monkeypatch)
    streamed, parts = await _rendered_streamed(LONG_REPLY, 37)
    assert parts > 3
    assert streamed == whole


@pytest.mark.parametrize("definition", ["[g]: https://example.com/guide", "> [g]: https://example.com/guide"])
async def test_a_reply_with_a_link_definition_ends_as_one_document(
    monkeypatch: pytest.MonkeyPatch, definition: str
) -> None:
    text = "See [the guide][g] first.\n\n" + LONG_REPLY + definition + "\n"
    whole = await _rendered_whole(text, monkeypatch)
    streamed, parts = await _rendered_streamed(text, 200)
    assert parts == 1
    assert streamed == whole
    assert any(
        "https://example.com/guide" in "".join(s.text for s in line) for line in streamed
    )  # links show where they go


async def test_a_resumed_long_reply_is_rendered_from_the_end_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    budget = 2 * PART_CHARS
    monkeypatch.setattr(streaming_markdown, "RENDER_BUDGET_CHARS", budget)
    rendered: list[str] = []
    real_render = markdown_render.render_markdown
    monkeypatch.setattr(
        markdown_render, "render_markdown", lambda text, *args: rendered.append(text) or real_render(text, *args)
    )
    layouts: list[list[str]] = []
    real_layout = StreamingMarkdown._layout

    def layout(self: StreamingMarkdown, width: int) -> None:
        rendered.clear()
        real_layout(self, width)
        if rendered:
            layouts.append(list(rendered))

    monkeypatch.setattr(StreamingMarkdown, "_layout", layout)
    block = StreamingMarkdown(LONG_REPLY)
    app = _OneWidget(block)
    async with app.run_test(size=(100, 400)) as pilot:
        await until(pilot, lambda: block.complete, "every part")
        lines = _screen_lines(app)
    assert len(layouts) > 1  # spread over several frames
    assert LONG_REPLY.endswith(layouts[0][0])  # the end first: what an anchored chat shows
    assert all(sum(map(len, texts[:-1])) < budget for texts in layouts)  # the last part rendered may overrun
    assert "".join(text for texts in reversed(layouts) for text in reversed(texts)) == LONG_REPLY
    monkeypatch.undo()
    assert lines == await _rendered_whole(LONG_REPLY, monkeypatch)


async def test_a_narrower_screen_rewraps_the_reply() -> None:
    block = StreamingMarkdown(LONG_REPLY)
    app = _OneWidget(block)
    async with app.run_test(size=(100, 400)) as pilot:
        await until(pilot, lambda: block.complete, "the text")
        wide = block.size.height
        await pilot.resize_terminal(50, 400)
        await until(pilot, lambda: block.complete and block.size.width == 50, "the re-render")
        assert block.size.height > wide
        text = block.get_selection(Selection(None, None))[0]
        assert max(map(len, text.splitlines())) <= 50


async def test_a_theme_change_recolours_the_reply() -> None:
    block = StreamingMarkdown("# Title\n\nSome `code` here.\n")
    app = _OneWidget(block)
    async with app.run_test(size=(100, 20)) as pilot:
        await until(pilot, lambda: block.complete, "the text")

        def title_colour() -> tuple[int, int, int] | None:
            title = next(s for s in block.render_line(0) if s.text.strip() == "Title")
            return title.style.color.get_truecolor() if title.style and title.style.color else None

        def theme_colour() -> tuple[int, int, int]:
            return Color.parse(app.get_css_variables()["markdown-h1-color"]).rich_color.get_truecolor()

        first = theme_colour()
        assert title_colour() == first
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        await until(
            pilot, lambda: theme_colour() != first and title_colour() == theme_colour(), "the new heading colour"
        )


async def test_selecting_text_copies_what_is_shown() -> None:
    block = StreamingMarkdown("First **bold** line.\n\nSecond paragraph.\n")
    app = _OneWidget(block)
    async with app.run_test(size=(100, 20)) as pilot:
        await until(pilot, lambda: block.complete, "the text")
        copied, ending = block.get_selection(Selection.from_offsets(Offset(6, 0), Offset(6, 2)))
        assert copied == "bold line.\n\nSecond"
        assert ending == "\n"


async def test_a_resumed_history_of_long_replies_builds_only_its_last_text() -> None:
    entries = [TextEntry(f"reply {n}: " + "word " * 2_000) for n in range(40)]  # about 10,000 characters each
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(100, 40)) as pilot:
        await chat.show_history(entries)
        await pilot.pause()
        shown = chat.text_blocks
        assert HISTORY_CHARS < sum(len(block.received) for block in shown) <= HISTORY_CHARS + 10_100
        assert shown[-1].received.startswith("reply 39:")
        assert chat.older_count == len(entries) - len(shown)
        assert chat.load_older() == OLDER_CHUNK  # scrolling up builds the ones before


async def test_a_removed_reply_is_freed() -> None:
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(100, 20)) as pilot:
        block = StreamingMarkdown("Some **text** to render.\n")
        await chat.mount(block)
        alive = weakref.ref(block)
        await until(pilot, lambda: alive().complete, "the text")
        await block.remove()
        del block
        chat.add_note("a later message")  # a new layout lets go of the old one's placements

        def freed() -> bool:
            gc.collect()
            return alive() is None

        await until(pilot, freed, "the reply to be freed")  # nothing, the theme signal included, keeps it


async def test_a_command_line_opening_for_its_output_keeps_the_chat_following() -> None:
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(80, 12)) as pilot:
        for n in range(30):
            chat.add_note(f"earlier {n}")
        call = ToolCall(
            tool_use_id="c1", name="Bash", tool="run_in_terminal", input={"command": "pytest"}, target="pytest"
        )
        chat.add_entry(ToolEntry(call))
        line = chat.tool("c1")
        await pilot.pause()
        line.command_output("".join(f"test {n} passed\n" for n in range(30)))  # opens the line, taller than the chat
        await pilot.pause()
        line.result(ToolResult(tool_use_id="c1", content="2 passed\n", duration_ms=900))
        for n in range(10):
            chat.add_note(f"later {n}")
        await pilot.pause()
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y > 0, "the chat at its end")


def _stream_lines(chat: ChatView, first: int, count: int) -> None:
    for n in range(first, first + count):
        chat.text_delta(0, f"line {n}\n\n")


async def _stream_past_the_screen(pilot: Pilot[None], chat: ChatView) -> None:
    """Lines 0-29 of a reply, more than the screen holds, and the chat following them at its end."""
    _stream_lines(chat, 0, 30)
    await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y > 0, "the chat at its end")


async def test_a_scroll_that_goes_nowhere_before_the_reply_keeps_the_chat_following() -> None:
    # At start-up the chat is shorter than its height: a scroll there (a scroll into view, a
    # layout's scroll) moves nothing, and Textual took it as the user leaving the end for good.
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(80, 12)) as pilot:
        chat.add_note("notice")
        await pilot.pause()
        chat.scroll_to(y=0, animate=False)
        chat.scroll_visible(animate=False)
        for first in range(0, 60, 10):
            _stream_lines(chat, first, 10)
            await pilot.pause()
        chat.end_assistant()
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y > 0, "the chat at its end")
        assert "line 59" in "".join(segment.text for line in _screen_lines(app) for segment in line)


async def test_a_scroll_at_the_end_of_a_streaming_reply_keeps_the_chat_following() -> None:
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(80, 12)) as pilot:
        await _stream_past_the_screen(pilot, chat)
        chat.scroll_to(y=chat.max_scroll_y, animate=False)  # already there: nothing moves
        _stream_lines(chat, 30, 30)
        await pilot.pause()
        _stream_lines(chat, 60, 30)
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y and chat.text_blocks[0].complete, "the end")
        assert chat.max_scroll_y > 100


async def test_the_user_scrolling_up_stops_the_following_and_end_resumes_it() -> None:
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(80, 12)) as pilot:
        await _stream_past_the_screen(pilot, chat)
        chat.focus()
        await pilot.press("up", "up", "up")
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y - 3, "the scroll up")
        stayed = chat.scroll_y
        for first in range(30, 60, 10):
            _stream_lines(chat, first, 10)
            await pilot.pause()
        await until(pilot, lambda: chat.max_scroll_y > stayed + 40, "more of the reply")
        assert chat.scroll_y == stayed  # the user reads on where they scrolled to
        await pilot.press("end")
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y, "the end")
        _stream_lines(chat, 60, 30)
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y > stayed + 100, "following again")


def _wheel(chat: ChatView, kind: type[events.MouseScrollUp | events.MouseScrollDown]) -> None:
    chat.post_message(kind(chat, 1, 1, 0, 0, 0, False, False, False))


async def test_the_wheel_back_down_to_the_end_resumes_the_following() -> None:
    chat = ChatView()
    app = _OneWidget(chat)
    async with app.run_test(size=(80, 12)) as pilot:
        await _stream_past_the_screen(pilot, chat)
        _wheel(chat, events.MouseScrollUp)
        await until(pilot, lambda: chat.scroll_y < chat.max_scroll_y, "the wheel up")
        _stream_lines(chat, 30, 10)
        await pilot.pause()
        assert chat.scroll_y < chat.max_scroll_y
        for _ in range(20):
            _wheel(chat, events.MouseScrollDown)
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y, "the wheel down to the end")
        _stream_lines(chat, 40, 30)
        await until(pilot, lambda: chat.scroll_y == chat.max_scroll_y > 100, "following again")
