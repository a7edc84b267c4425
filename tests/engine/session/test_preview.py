"""The preview names the agent and model the session then opens with, or nothing when it cannot know."""

import pytest

from tui.engine.model.aliases import default_aliases
from tui.engine.session.preview import SessionPreview, preview
from tui.engine.session.session import Session, SessionError, SessionOptions

AGENT = "---\nname: {name}\ndescription: d\nmodel: {model}\n---\nYou help.\n"


@pytest.fixture
def workspace(git_repo):
    agents = git_repo / ".stepwise" / "agents"
    agents.mkdir(parents=True)
    (agents / "quick.md").write_text(AGENT.format(name="quick", model="haiku"))
    (agents / "follower.md").write_text(AGENT.format(name="follower", model="inherit"))
    # A project agent named `general` wins over the bundled one.
    (agents / "mine.md").write_text(AGENT.format(name="general", model="opus"))
    (git_repo / ".stepwise" / "settings.yaml").write_text("model: haiku\nmodel_aliases: {opus: claude-opus-9}\n")
    return git_repo


@pytest.mark.parametrize(
    ("agent", "model"),
    [(None, None), ("quick", None), ("follower", None), ("quick", "opus"), (".stepwise/agents/quick.md", None)],
)
async def test_the_preview_is_what_the_session_opens_with(workspace, agent, model) -> None:
    shown = preview(workspace, agent, model)
    session = Session.open(SessionOptions(cwd=workspace, agent=agent, model=model), None)
    try:
        assert shown == SessionPreview(session.agent_name, session.model)
    finally:
        await session.close()


def test_the_preview_of_a_subfolder_reads_the_repository_settings(workspace) -> None:
    (workspace / "src").mkdir()
    haiku = default_aliases()["haiku"]
    assert preview(workspace / "src", "follower", None) == SessionPreview("follower", haiku)


@pytest.mark.parametrize(("agent", "model"), [("nobody", None), (None, "gpt-4"), ("missing.md", None)])
def test_no_preview_when_the_session_would_refuse_to_open(workspace, agent, model) -> None:
    assert preview(workspace, agent, model) is None
    with pytest.raises(SessionError, match=r"nobody|gpt-4|missing\.md"):
        Session.open(SessionOptions(cwd=workspace, agent=agent, model=model), None)
