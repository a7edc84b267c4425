"""Compaction against the scripted server: /compact, automatic, recovery from `prompt is too long`, resume."""

import json
from pathlib import Path

from tests.support.fake_anthropic import text, tool_pairing_problems, tool_use
from tui.cli import main
from tui.engine.session.compaction import COMPACTION_PROMPT, kept_from, trimmed
from tui.engine.session.conversation import SUMMARY_INTRO, Conversation
from tui.engine.session.events import Compaction, Error, TurnEnd
from tui.engine.session.log import read_session
from tui.engine.session.session import Session, SessionOptions

SUMMARY = "## Task\nRead the files and fix app.py.\n## Next step\nEdit app.py."


def big_files(repo, count=3, lines=120):
    for n in range(count):
        (repo / f"big{n}.py").write_text("".join(f"value_{n}_{i} = {i}  # some padding text\n" for i in range(lines)))


def open_session(repo, **options):
    return Session.open(SessionOptions(cwd=repo, permission_mode="acceptEdits", **options), None)


def summary_requests(server):
    return [r for r in server.message_requests if COMPACTION_PROMPT[:40] in json.dumps(r.body["messages"][-1])]


def test_kept_from_keeps_a_call_waiting_for_its_results():
    call = tool_use("read_file", {"filePath": "a"})
    messages = [
        {"role": "user", "content": [text("go")]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "x"}]},
    ]
    assert kept_from(messages) == 1
    assert kept_from([*messages, {"role": "assistant", "content": [text("done")]}]) == 4


def test_old_tool_outputs_are_cut_to_one_line_and_the_calls_stay():
    calls = [tool_use("read_file", {"filePath": f"f{i}"}) for i in range(4)]
    messages = [{"role": "user", "content": [text("go")]}]
    for call in calls:
        messages.append({"role": "assistant", "content": [call]})
        body = "first line\n" + "x" * 1000
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": body}]}
        )
    out = trimmed(messages, keep_recent=1)
    results = [b["content"] for m in out for b in m["content"] if b["type"] == "tool_result"]
    assert results[-1] == messages[-1]["content"][0]["content"]
    assert all(
        r.startswith("first line [output trimmed before summarising: 1,011 characters, 2 lines]") for r in results[:3]
    )
    assert [b["id"] for m in out for b in m["content"] if b["type"] == "tool_use"] == [c["id"] for c in calls]
    assert messages[1]["content"][0] is calls[0]  # the conversation itself is not changed


async def test_compact_replaces_the_conversation_and_resume_rebuilds_it(git_repo, model_env):
    model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(text("Read it."))
    session = open_session(git_repo)
    await session.run("look at app.py")
    before = session.context_tokens
    model_env.script(text(SUMMARY))
    event = await session.compact("the greeting")
    assert isinstance(event, Compaction) and event.replaced == 4 and event.trigger == "manual"
    assert event.tokens_after < event.tokens_before and session.context_tokens == event.tokens_after < before
    request = model_env.message_requests[-1].body
    assert "focus on: the greeting" in request["messages"][-1]["content"][-1]["text"]
    assert request["system"] == model_env.message_requests[0].body["system"]
    assert request["tools"] == model_env.message_requests[0].body["tools"]
    assert session.usage["output_tokens"] > 0 and event.usage
    model_env.script(text("Continuing."))
    await session.run("go on")
    sent = model_env.message_requests[-1].body["messages"]
    assert len(sent) == 1 and sent[0]["content"][0]["text"].startswith(SUMMARY_INTRO)
    assert "<summary>\n" + SUMMARY + "\n</summary>" in sent[0]["content"][0]["text"]
    assert sent[0]["content"][1]["text"] == "go on"
    live = session.loop.conversation.messages
    await session.close()
    resumed = open_session(git_repo, resume=session.id)
    assert resumed.loop.conversation.messages == live
    assert resumed.context_tokens == session.context_tokens


async def test_automatic_compaction_before_a_request_past_compact_at(git_repo, model_env):
    big_files(git_repo, count=2)
    settings = git_repo / ".stepwise" / "settings.yaml"
    settings.parent.mkdir()
    model_env.script(text("hi"))
    probe = open_session(git_repo)
    await probe.run("size?")
    base = probe.context_tokens
    file_tokens = len((git_repo / "big0.py").read_text()) // 4
    # Past 80% of the window after the second read, not after the first.
    settings.write_text(f"context_windows: {{sonnet: {int((base + 1.5 * file_tokens) / 0.8)}}}\ncompact_at: 0.8\n")
    model_env.script(tool_use("read_file", {"filePath": "big0.py"}))
    model_env.script(tool_use("read_file", {"filePath": "big1.py"}))
    model_env.script(text(SUMMARY))
    model_env.script(text("Both read."))
    session = open_session(git_repo)
    outcome = await session.run("read both")
    assert outcome.text == "Both read."
    compactions = [e for e in session.history() if isinstance(e, Compaction)]
    assert [c.trigger for c in compactions] == ["auto"]
    assert len(summary_requests(model_env)) == 1
    last = model_env.message_requests[-1].body["messages"]
    assert tool_pairing_problems(last) == [] and last[0]["content"][0]["text"].startswith(SUMMARY_INTRO)
    assert session.context_share < 0.8


async def test_a_failing_compaction_keeps_the_conversation_and_says_so(git_repo, model_env):
    model_env.script(text("Hello."))
    session = open_session(git_repo)
    await session.run("hi")
    before = [dict(m) for m in session.loop.conversation.messages]
    model_env.fail(400, "fake refusal")
    errors = []
    session.subscribe(lambda e: errors.append(e) if isinstance(e, Error) else None)
    assert await session.compact() is None
    assert session.loop.conversation.messages == before
    assert errors and "Compaction failed" in errors[0].message and "kept as it was" in errors[0].message
    model_env.fail(529)
    model_env.script(text(SUMMARY))
    session.loop.provider._sleep = _no_wait
    assert (await session.compact()) is not None  # a 529 is retried like any request


async def _no_wait(_seconds):
    return None


def test_print_mode_finishes_a_task_past_a_small_context_window(capsys, git_repo, model_env):
    big_files(git_repo)
    model_env.script(text("hi"))
    assert main(["-p", "size?", "--cwd", str(git_repo), "--output-format", "json"]) == 0
    base = json.loads(capsys.readouterr().out)["context"]["tokens"]
    model_env.context_limit = base + 3000
    for n in range(3):
        model_env.script(tool_use("read_file", {"filePath": f"big{n}.py"}))
    model_env.script(text(SUMMARY))
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"})
    )
    model_env.script(text("Fixed app.py after reading everything."))
    code = main(
        [
            "-p",
            "read the big files, then fix app.py",
            "--cwd",
            str(git_repo),
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["result"] == "Fixed app.py after reading everything." and out["is_error"] is False
    assert "hi " in (git_repo / "app.py").read_text()
    assert out["context"]["compactions"] == 1
    assert [r.status for r in model_env.message_requests[1:]].count(400) == 1  # refused once, then retried
    assert len(summary_requests(model_env)) == 1
    record = read_session(Path(out["session_path"]))
    compaction = next(e for e in record.events if isinstance(e, Compaction))
    assert compaction.trigger == "overflow" and compaction.summary == SUMMARY
    for request in model_env.message_requests:
        assert tool_pairing_problems(request.body["messages"]) == []


def test_still_too_long_after_compacting_ends_the_turn_clearly(capsys, git_repo, model_env):
    big_files(git_repo, count=1, lines=400)
    model_env.script(text("hi"))
    assert main(["-p", "size?", "--cwd", str(git_repo), "--output-format", "json"]) == 0
    base = json.loads(capsys.readouterr().out)["context"]["tokens"]
    model_env.context_limit = base + 500
    model_env.script(tool_use("read_file", {"filePath": "big0.py"}))
    model_env.script(text(SUMMARY))
    code = main(["-p", "read it", "--cwd", str(git_repo), "--output-format", "json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 1 and out["is_error"] is True
    assert "prompt is too long" in captured.err and "after compacting the conversation" in captured.err
    record = read_session(Path(out["session_path"]))
    assert isinstance(record.events[-1], TurnEnd) and record.problems == []
    conversation = Conversation.from_events(record.events)
    assert tool_pairing_problems(conversation.messages) == []


async def test_a_reply_cut_off_inside_a_tool_call_is_compacted_and_retried(git_repo, model_env):
    model_env.script(tool_use("read_file", {"filePath": "app.py"}))
    model_env.script(
        tool_use("create_file", {"filePath": "long.py", "content": "x = 1\n" * 50}),
        stop_reason="max_tokens",
        input_chars=40,
    )
    model_env.script(text(SUMMARY))
    model_env.script(text("Done after compacting."))
    session = open_session(git_repo)
    outcome = await session.run("go")
    assert outcome.text == "Done after compacting." and outcome.reason == "end_turn"
    assert [e.trigger for e in session.history() if isinstance(e, Compaction)] == ["overflow"]
    assert not (git_repo / "long.py").exists()  # the cut-off call never ran


async def test_a_corrupt_compaction_line_is_reported_and_resume_goes_on(git_repo, model_env):
    model_env.script(text("Hello."))
    session = open_session(git_repo)
    await session.run("hi")
    model_env.script(text(SUMMARY))
    await session.compact()
    await session.close()
    lines = session.path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if json.loads(line)["type"] == "compaction")
    data = json.loads(lines[number - 1])
    data["replaced"] = -3
    lines[number - 1] = json.dumps(data)
    session.path.write_text("\n".join(lines) + "\n")
    resumed = open_session(git_repo, resume=session.id)
    assert any(f":{number}: skipped a corrupt line" in w and "compaction" in w for w in resumed.warnings)
    assert [m["role"] for m in resumed.loop.conversation.messages] == ["user", "assistant"]  # the last good state
    model_env.script(text("Still here."))
    assert (await resumed.run("and now?")).text == "Still here."
