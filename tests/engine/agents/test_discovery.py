from pathlib import Path

import pytest

from tui.engine.agents.discovery import agent_dirs, discover_agents, find_repo_root
from tui.engine.config.home import bundled_dir


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def agent_file(folder: Path, name: str, *, filename: str | None = None, body: str = "prompt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{name}.md")
    path.write_text(f"---\nname: {name}\ndescription: {name} from {folder}\n---\n{body}\n", encoding="utf-8")
    return path


def test_precedence_order_and_shadowing(repo, homes):
    home, stepwise_home = homes
    sub = repo / "pkg" / "sub"
    sub.mkdir(parents=True)
    places = {
        "stepwise": agent_file(repo / ".stepwise" / "agents", "shared"),
        "claude_sub": agent_file(sub / ".claude" / "agents", "shared"),
        "claude_root": agent_file(repo / ".claude" / "agents", "shared"),
        "github": agent_file(repo / ".github" / "agents", "shared", filename="shared.agent.md"),
        "chatmodes": agent_file(repo / ".github" / "chatmodes", "shared", filename="shared.chatmode.md"),
        "user": agent_file(stepwise_home / "agents", "shared"),
        "home": agent_file(home / ".claude" / "agents", "shared"),
    }
    catalog = discover_agents(sub)
    assert catalog.get("shared").source == places["stepwise"]
    shadowed = [entry.agent.source for entry in catalog.shadowed if entry.agent.name == "shared"]
    assert shadowed == [
        places["claude_sub"],
        places["claude_root"],
        places["github"],
        places["chatmodes"],
        places["user"],
        places["home"],
    ]
    assert all(entry.shadowed_by == places["stepwise"] for entry in catalog.shadowed)


def test_nearest_claude_folder_wins_and_search_is_recursive(repo, homes):
    sub = repo / "service"
    nested = agent_file(sub / ".claude" / "agents" / "team", "deep")
    agent_file(repo / ".claude" / "agents", "deep")
    catalog = discover_agents(sub)
    assert catalog.get("deep").source == nested
    assert len(catalog.shadowed) == 1


def test_walk_stops_at_the_repository_root(tmp_path, repo, homes):
    agent_file(tmp_path / ".claude" / "agents", "outside")
    catalog = discover_agents(repo)
    assert catalog.get("outside") is None
    assert find_repo_root(repo / "a" / "b") == repo.resolve()


def test_bundled_agents_present_and_skills_folder_excluded(repo, homes):
    catalog = discover_agents(repo)
    names = {agent.name for agent in catalog.agents}
    assert {"general", "backend-dev"} <= names
    assert not any("skills" in agent.source.parts for agent in catalog.agents)
    assert catalog.skipped == []


def test_project_agent_shadows_a_bundled_one(repo, homes):
    mine = agent_file(repo / ".claude" / "agents", "backend-dev", body="my own")
    catalog = discover_agents(repo)
    assert catalog.get("backend-dev").source == mine
    entry = next(e for e in catalog.shadowed if e.agent.name == "backend-dev")
    assert entry.agent.source == bundled_dir("agents") / "backend-dev.md"
    assert entry.shadowed_by == mine


def test_explicit_agent_wins(repo, homes, tmp_path):
    agent_file(repo / ".claude" / "agents", "general")
    explicit = agent_file(tmp_path / "elsewhere", "general", body="explicit")
    catalog = discover_agents(repo, explicit=explicit)
    assert catalog.explicit.source == explicit
    assert catalog.get("general").source == explicit
    assert catalog.default() is catalog.explicit


def test_broken_files_are_skipped_with_reasons_and_readmes_ignored(repo, homes):
    folder = repo / ".claude" / "agents"
    agent_file(folder, "good")
    (folder / "README.md").write_text("# notes, not an agent\n", encoding="utf-8")
    (folder / "open.md").write_text("---\nname: open\n", encoding="utf-8")
    (folder / "binary.md").write_bytes(b"---\nname: \xff\n---\n")
    (folder / "dir.md").mkdir()
    catalog = discover_agents(repo)
    assert catalog.get("good") is not None
    reasons = {path.name: reason for path, reason in catalog.skipped}
    assert set(reasons) == {"open.md", "binary.md", "dir.md"}
    assert "never closed" in reasons["open.md"]
    assert "UTF-8" in reasons["binary.md"]
    assert "folder" in reasons["dir.md"]


def test_missing_explicit_file_is_reported(repo, homes):
    catalog = discover_agents(repo, explicit=repo / "nope.md")
    assert catalog.explicit is None
    assert catalog.skipped == [(repo / "nope.md", "does not exist")]
    assert "nope.md does not exist" in catalog.explicit_error


def test_find_by_name_path_and_errors(repo, homes, tmp_path):
    outside = agent_file(tmp_path / "loose", "loose-agent")
    (tmp_path / "plain.md").write_text("no frontmatter", encoding="utf-8")
    catalog = discover_agents(repo)
    assert catalog.find("general").name == "general"
    assert catalog.find("GENERAL").name == "general"
    assert catalog.find(str(outside)).name == "loose-agent"
    bundled = bundled_dir("agents") / "backend-dev.md"
    assert catalog.find(str(bundled)) is catalog.get("backend-dev")
    with pytest.raises(LookupError, match=r"no agent named 'nobody'.*general"):
        catalog.find("nobody")
    with pytest.raises(LookupError, match="no frontmatter"):
        catalog.find(str(tmp_path / "plain.md"))
    with pytest.raises(LookupError, match="does not exist"):
        catalog.find("missing/agent.md")


def test_default_is_the_general_agent_with_all_tools(repo, homes):
    agent = discover_agents(repo).default()
    assert agent.name == "general"
    assert agent.model == "inherit"
    assert agent.permission_mode == "default"
    assert agent.tools is None


def test_agent_dirs_outside_a_repository_use_cwd_only(tmp_path, homes):
    home, stepwise_home = homes
    cwd = tmp_path / "plain"
    cwd.mkdir()
    dirs = agent_dirs(cwd, cwd.resolve())
    assert dirs[:2] == [cwd.resolve() / ".stepwise" / "agents", cwd.resolve() / ".claude" / "agents"]
    assert dirs[-3:] == [stepwise_home / "agents", home / ".claude" / "agents", bundled_dir("agents")]


def test_describe_resolves_model_tools_and_skills(repo, homes):
    folder = repo / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "x.md").write_text(
        "---\nname: x\ndescription: d\ntools: Read\nmodel: GPT-4.1\nskills: security-patterns, nowhere\n---\n",
        encoding="utf-8",
    )
    described = discover_agents(repo).describe(discover_agents(repo).get("x"))
    assert described["tools"] == ["read_file"]
    assert described["model"]["requested"] == "GPT-4.1"
    assert described["model"]["resolved"].startswith("claude-sonnet")
    assert [s["found"] for s in described["skills"]] == [True, False]
    assert any("GPT-4.1" in w for w in described["warnings"])
    assert any("'nowhere' not found" in w for w in described["warnings"])


def test_linked_folders_are_followed_once(repo, homes, tmp_path):
    shared = tmp_path / "shared-agents"
    agent_file(shared, "linked")
    folder = repo / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "team").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(folder, target_is_directory=True)
    catalog = discover_agents(repo)
    assert catalog.get("linked").source == folder / "team" / "linked.md"
    assert catalog.shadowed == [] and catalog.skipped == []


def test_frontmatter_that_neither_yaml_nor_the_fallback_reads_cleanly_is_skipped(repo, homes):
    folder = repo / ".claude" / "agents"
    agent_file(folder, "good")
    # A name left open by a quote, its next line tab-indented: once listed as `"bad\n\tdescription: : :`.
    (folder / "quote.md").write_text('---\nname: "bad\n\tdescription: : :\n---\nbody\n', encoding="utf-8")
    # Flow collections left open: once listed with zero tools.
    (folder / "flow.md").write_text(
        "---\nname: flow\ndescription: [unclosed\ntools: {a:\n---\nbody\n", encoding="utf-8"
    )
    catalog = discover_agents(repo)
    assert [agent.name for agent in catalog.agents if agent.source.parent == folder] == ["good"]
    reasons = dict(catalog.skipped)
    assert set(reasons) == {folder / "quote.md", folder / "flow.md"}
    assert "line break" in reasons[folder / "quote.md"]
    assert "`description` value is broken" in reasons[folder / "flow.md"]
