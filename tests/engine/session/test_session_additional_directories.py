"""An edit in an additional directory (`permissions.additionalDirectories`), through a real session against
the scripted server: it lands when a rule allows it, is logged by its absolute path, is not taken back by
/undo (no checkpoint can hold it; the model is told), and `stepwise replay --verify` passes without
writing there."""

import asyncio
import json

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main
from tui.engine.session.events import EditApplied, Rewind
from tui.engine.session.log import read_session
from tui.engine.session.session import Session, SessionOptions
from tui.replay.verify import verify


async def test_an_edit_there_is_logged_verified_and_left_alone_by_undo(git_repo, model_env, capsys):
    shared = git_repo.parent / "shared"
    shared.mkdir()
    (shared / "notes.md").write_text("tabs\n")
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps({"permissions": {"additionalDirectories": ["../shared"]}})
    )
    notes = shared / "notes.md"
    model_env.script(
        tool_use("replace_string_in_file", {"filePath": str(notes), "oldString": "tabs", "newString": "spaces"}),
        tool_use("replace_string_in_file", {"filePath": "app.py", "oldString": "'hello '", "newString": "'hi '"}),
    )
    model_env.script(text("Edited both."))
    options = SessionOptions(cwd=git_repo, permission_mode="acceptEdits", allow=[f"Edit(/{shared}/**)"])
    session = Session.open(options, None)
    await session.run("use spaces")
    assert notes.read_text() == "spaces\n"
    edits = [e for e in session.history() if isinstance(e, EditApplied)]
    assert [e.path for e in edits] == [str(notes), "app.py"]

    event = await session.undo()
    assert isinstance(event, Rewind) and event.not_restored == []  # the last step was app.py alone
    assert "'hello '" in (git_repo / "app.py").read_text()
    event = await session.undo()
    assert isinstance(event, Rewind) and event.not_restored == [str(notes)]
    assert notes.read_text() == "spaces\n"  # outside the workspace's git: left as it is
    model_env.script(text("Noted."))
    await session.run("what now?")
    note = model_env.message_requests[-1].body["messages"][-1]["content"][-2]["text"]
    assert f"Not taken back (in an additional directory, outside the workspace's git): {notes}" in note
    await session.close()

    notes.write_text("changed by hand since\n")
    results = await asyncio.to_thread(verify, read_session(session.path))
    assert results and all(r.ok for r in results), [r.detail for r in results if not r.ok]
    assert notes.read_text() == "changed by hand since\n"  # verify never writes outside its scratch tree
    assert await asyncio.to_thread(main, ["replay", str(session.path), "--verify"]) == 0
    assert "steps match" in capsys.readouterr().out
