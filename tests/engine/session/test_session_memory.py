"""Memory and instruction files as the model receives them: in the system prompt, and with the
result of the first read of a file they apply to (also after a resume)."""

import subprocess

from tests.support.fake_anthropic import text, tool_use
from tui.engine.session.approval import HeadlessApprover
from tui.engine.session.events import ContextAttached
from tui.engine.session.session import Session, SessionOptions


def commit_all(repo):
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "memory"], cwd=repo, check=True, capture_output=True)


def system_text(request):
    return "".join(block["text"] for block in request.body["system"])


def tool_results(request):
    """The tool results a request carries, without the cache breakpoints (they move each turn)."""
    return [
        {key: value for key, value in block.items() if key != "cache_control"}
        for message in request.body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block["type"] == "tool_result"
    ]


async def test_memory_reaches_the_system_prompt_and_nested_files_come_with_their_first_read(git_repo, model_env):
    (git_repo / "CLAUDE.md").write_text("Root rules. See @docs/conventions.md\n")
    (git_repo / "docs").mkdir()
    (git_repo / "docs" / "conventions.md").write_text("Conventions: tabs.\n")
    (git_repo / "CLAUDE.local.md").write_text("Local: verbose logs.\n")
    (git_repo / ".github").mkdir()
    (git_repo / ".github" / "copilot-instructions.md").write_text("Copilot: prefer pathlib.\n")
    (git_repo / ".github" / "instructions").mkdir()
    (git_repo / ".github" / "instructions" / "py.instructions.md").write_text(
        '---\napplyTo: "**/*.py"\n---\nPython: type hints.\n'
    )
    (git_repo / "pkg").mkdir()
    (git_repo / "pkg" / "CLAUDE.md").write_text("Pkg: no globals.\n")
    (git_repo / "pkg" / "mod.py").write_text("X = 1\n")
    commit_all(git_repo)

    model_env.script(tool_use("read_file", {"filePath": "pkg/mod.py"}))
    model_env.script(tool_use("read_file", {"filePath": "pkg/mod.py"}))
    model_env.script(text("done"))
    session = Session.open(SessionOptions(cwd=git_repo), HeadlessApprover())
    await session.run("look")
    await session.close()

    first = model_env.message_requests[0]
    system = system_text(first)
    for piece in ("Root rules.", "Conventions: tabs.", "Local: verbose logs.", "Copilot: prefer pathlib."):
        assert piece in system
    assert system.index("Root rules.") < system.index("Conventions: tabs.") < system.index("Local: verbose logs.")
    assert "Pkg: no globals." not in system and "Python: type hints." not in system

    first_read, second_read = tool_results(model_env.message_requests[-1])
    assert "Pkg: no globals." in first_read["content"] and "Python: type hints." in first_read["content"]
    assert "<system-reminder>" in first_read["content"]
    assert "Pkg: no globals." not in second_read["content"]
    (attached,) = [e for e in session.history() if isinstance(e, ContextAttached)]
    assert attached.paths == ["pkg/CLAUDE.md", ".github/instructions/py.instructions.md"]

    # A resume sends exactly the same results again: the attachment is part of the log.
    # A resume sends exactly the same results again (the attachment is part of the log), and
    # does not attach the same files a second time.
    model_env.script(tool_use("read_file", {"filePath": "pkg/mod.py"}))
    model_env.script(text("again"))
    resumed = Session.open(SessionOptions(cwd=git_repo, resume=session.id), HeadlessApprover())
    await resumed.run("more")
    await resumed.close()
    *earlier, third_read = tool_results(model_env.message_requests[-1])
    assert earlier == [first_read, second_read]
    assert "<system-reminder>" not in third_read["content"]
