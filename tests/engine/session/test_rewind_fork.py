"""Undo and rewind the model is told about, conversation rewinds, and forks, against the scripted server."""

import asyncio
import json
from pathlib import Path

from tests.support.fake_anthropic import text, tool_pairing_problems, tool_use
from tui.cli import main
from tui.engine.session.conversation import Conversation, at_checkpoint
from tui.engine.session.events import Checkpoint, Compaction, ConversationRewind, Rewind
from tui.engine.session.log import read_session
from tui.engine.session.session import Session, SessionOptions
from tui.replay.verify import verify

EDIT_A = {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}
EDIT_B = {"filePath": "README.md", "oldString": "# demo", "newString": "# demo v2"}


def open_session(repo, **options):
    return Session.open(SessionOptions(cwd=repo, permission_mode="acceptEdits", **options), None)


def plain(messages):
    """Messages without cache breakpoints (they move from request to request)."""
    return json.loads(json.dumps(messages).replace(', "cache_control": {"type": "ephemeral"}', ""))


async def two_edits(repo, server):
    """Turn 1 edits app.py (steps 0 and 1), turn 2 edits README.md (step 2)."""
    server.script(tool_use("replace_string_in_file", EDIT_A))
    server.script(text("Edited app.py."))
    server.script(tool_use("replace_string_in_file", EDIT_B))
    server.script(text("Edited the README."))
    session = open_session(repo)
    await session.run("greet with hi")
    after_step_1 = plain(server.message_requests[1].body["messages"])
    await session.run("bump the README")
    return session, after_step_1


async def test_after_undo_the_next_request_carries_the_note(git_repo, model_env):
    session, _ = await two_edits(git_repo, model_env)
    await session.undo()
    assert (git_repo / "README.md").read_text() == "# demo\n"
    model_env.script(text("Understood."))
    await session.run("what now?")
    last = model_env.message_requests[-1].body["messages"][-1]
    note, prompt = last["content"][-2]["text"], last["content"][-1]["text"]
    assert note.startswith("[stepwise] The user undid the last step: the workspace is back at step 1")
    assert "files restored: README.md" in note and prompt == "what now?"
    assert tool_pairing_problems(model_env.message_requests[-1].body["messages"]) == []
    live = session.loop.conversation.messages
    await session.close()
    assert open_session(git_repo, resume=session.id).loop.conversation.messages == live


async def test_rewinding_code_and_conversation_sends_the_messages_of_that_checkpoint(git_repo, model_env):
    session, at_step_1 = await two_edits(git_repo, model_env)
    event = await session.rewind(1, code=True, conversation=True)
    assert isinstance(event, Rewind) and event.conversation
    assert (git_repo / "README.md").read_text() == "# demo\n" and "hi " in (git_repo / "app.py").read_text()
    model_env.script(text("Back at step 1."))
    await session.run("again")
    sent = plain(model_env.message_requests[-1].body["messages"])
    assert sent[:-1] == at_step_1[:-1]
    last, then = sent[-1]["content"], at_step_1[-1]["content"]
    assert last[: len(then)] == then  # the tool results of step 1, then the note and the new prompt
    assert "rewound the files to checkpoint 1" in last[len(then)]["text"] and last[-1]["text"] == "again"
    assert "bump the README" not in json.dumps(sent)  # the second turn is gone from what the model sees
    record = read_session(session.path)
    assert sum(1 for e in record.events if type(e).__name__ == "UserMessage") == 3  # ...but not from the log


async def test_rewinding_only_the_conversation_keeps_the_files(git_repo, model_env):
    session, at_step_1 = await two_edits(git_repo, model_env)
    event = await session.rewind(1, code=False, conversation=True)
    assert isinstance(event, ConversationRewind)
    assert (git_repo / "README.md").read_text() == "# demo v2\n"
    assert plain(session.loop.conversation.messages)[:-1] == at_step_1[:-1]
    assert "The files were not changed" in session.loop.conversation.messages[-1]["content"][-1]["text"]


async def test_rewinding_to_the_base_answers_the_first_call_as_rewound(git_repo, model_env):
    session, _ = await two_edits(git_repo, model_env)
    await session.rewind(0, conversation=True)
    messages = session.loop.conversation.messages
    assert tool_pairing_problems(messages) == []
    result = next(b for b in messages[-1]["content"] if b["type"] == "tool_result")
    assert result["is_error"] and "rewound the conversation" in result["content"]
    assert (git_repo / "app.py").read_text() == "def greet(name):\n    return 'hello ' + name\n"


def test_fork_starts_from_the_source_at_a_step_and_leaves_it_untouched(capsys, git_repo, model_env):
    async def source():
        session, at_step_1 = await two_edits(git_repo, model_env)
        await session.close()
        return session, at_step_1

    session, at_step_1 = asyncio.run(source())
    source_log = session.path.read_bytes()
    model_env.script(text("Forked and going."))
    code = main(["-p", "carry on", "--cwd", str(git_repo), "--output-format", "json", "--fork", f"{session.id}@1"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["result"] == "Forked and going." and out["session_id"] != session.id
    assert session.path.read_bytes() == source_log
    assert (git_repo / "README.md").read_text() == "# demo\n" and "hi " in (git_repo / "app.py").read_text()
    fork = read_session(Path(out["session_path"]))
    assert fork.header.forked_from == {"session": session.id, "step": 1}
    sent = plain(model_env.message_requests[-1].body["messages"])
    assert sent[:-1] == at_step_1[:-1]
    assert main(["-p", "x", "--cwd", str(git_repo), "--fork", f"{session.id}@9"]) == 2
    assert "has no checkpoint 9 (it has 0, 1, 2)" in capsys.readouterr().err


def test_verify_passes_on_a_session_with_a_compaction_a_rewind_and_a_fork(git_repo, model_env):
    async def record():
        session, _ = await two_edits(git_repo, model_env)
        model_env.script(text("## Task\nEdit files.\n## Next step\nNothing."))
        assert isinstance(await session.compact(), Compaction)
        await session.rewind(1, conversation=True)
        model_env.script(tool_use("create_file", {"filePath": str(git_repo / "later.py"), "content": "x = 1\n"}))
        model_env.script(text("Created."))
        await session.run("one more")
        await session.close()
        model_env.script(tool_use("replace_string_in_file", EDIT_B | {"newString": "# forked"}))
        model_env.script(text("Forked edit."))
        fork = open_session(git_repo, fork=f"{session.id}@2")
        await fork.run("edit in the fork")
        await fork.close()
        return read_session(session.path), read_session(fork.path)

    source, fork = asyncio.run(record())
    assert any(isinstance(e, Compaction) for e in source.events)
    for record in (source, fork):
        results = verify(record)
        assert results and all(r.ok for r in results), [(r.step, r.detail) for r in results if not r.ok]
    assert any(isinstance(e, Checkpoint) and e.step == 2 for e in fork.events)


def test_at_checkpoint_of_an_unknown_step_is_the_whole_conversation(git_repo):
    assert at_checkpoint([], 3).messages == Conversation().messages


async def test_a_hand_edit_before_a_turn_is_a_step_and_the_model_is_told(git_repo, model_env):
    session, _ = await two_edits(git_repo, model_env)
    (git_repo / "notes.txt").write_text("mine\n")
    (git_repo / "app.py").write_text("def greet(name):\n    return 'hey ' + name\n")
    model_env.script(text("I see your edits."))
    await session.run("I changed things")
    last = model_env.message_requests[-1].body["messages"][-1]["content"]
    note = next(b["text"] for b in last if b.get("text", "").startswith("[stepwise]"))
    assert "changed outside this conversation" in note and "app.py, notes.txt" in note and "step 3" in note
    step = session.checkpoints()[-1]
    assert step.outside == ["app.py", "notes.txt"] and step.step == 3
    model_env.script(text("No change this time."))
    await session.run("and again")  # nothing changed since: no second note
    assert "[stepwise]" not in json.dumps(model_env.message_requests[-1].body["messages"][-1])
    await session.undo()  # undoes the hand edit alone, not the model's step before it
    assert (git_repo / "app.py").read_text() == "def greet(name):\n    return 'hi ' + name\n"
    assert not (git_repo / "notes.txt").exists()
    await session.close()
    assert all(r.ok for r in await asyncio.to_thread(verify, read_session(session.path)))
