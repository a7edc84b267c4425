from pathlib import Path

import pytest

from tui.engine.agents.files import Agent
from tui.engine.agents.skills import find_skill, load_skill, prompt_sections, resolve_skills, skill_sections
from tui.engine.config.home import bundled_dir


def skill(folder: Path, name: str, body: str) -> Path:
    path = folder / name / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nname: {name}\ndescription: about {name}\n---\n\n{body}\n", encoding="utf-8")
    return path


def agent(skills: list[str], body: str = "Agent body.") -> Agent:
    return Agent(name="a", description="", system_prompt=body, source=Path("a.md"), skills=skills)


def test_first_folder_wins(tmp_path, homes):
    home, stepwise_home = homes
    root = tmp_path / "project"
    project = skill(root / ".stepwise" / "skills", "style", "project style")
    skill(root / ".claude" / "skills", "style", "claude style")
    user = skill(stepwise_home / "skills", "testing", "user testing")
    claude_home = skill(home / ".claude" / "skills", "deploy", "home deploy")
    assert find_skill("style", root) == project
    assert find_skill("testing", root) == user
    assert find_skill("deploy", root) == claude_home
    assert find_skill("backend-patterns", root) == bundled_dir("agents") / "skills" / "backend-patterns" / "SKILL.md"


def test_invalid_names_are_never_found(tmp_path, homes):
    skill(tmp_path / ".claude" / "skills", "x", "x")
    assert find_skill("../skills/x", tmp_path) is None
    assert find_skill("..", tmp_path) is None


def test_resolve_reports_found_and_missing(tmp_path, homes):
    refs = resolve_skills(["security-patterns", "ghost"], tmp_path)
    assert refs[0].to_dict()["found"] is True
    assert refs[1].to_dict() == {"name": "ghost", "found": False, "path": None}


def test_sections_preload_bodies_and_warn_on_missing(tmp_path, homes):
    skill(tmp_path / ".claude" / "skills", "style", "Use four spaces.")
    warnings: list[str] = []
    sections = prompt_sections(agent(["style", "ghost"]), tmp_path, warnings)
    assert sections == ["Agent body.", "## Skill: style\n\nUse four spaces."]
    assert len(warnings) == 1
    assert "agent 'a'" in warnings[0] and "'ghost' not found" in warnings[0]


def test_unreadable_skill_is_left_out_with_a_warning(tmp_path, homes):
    path = tmp_path / ".claude" / "skills" / "bad" / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe")
    warnings: list[str] = []
    assert skill_sections(agent(["bad"]), tmp_path, warnings) == []
    assert "not UTF-8" in warnings[0]


def test_skill_without_frontmatter_is_all_body(tmp_path):
    path = tmp_path / "plain" / "SKILL.md"
    path.parent.mkdir()
    path.write_text("Just instructions.\n", encoding="utf-8")
    loaded = load_skill(path)
    assert loaded.name == "plain"
    assert loaded.body == "Just instructions."


@pytest.mark.parametrize("name", ["backend-patterns", "api-best-practices", "security-patterns"])
def test_bundled_skills_have_frontmatter_and_content(name):
    loaded = load_skill(bundled_dir("agents") / "skills" / name / "SKILL.md")
    assert loaded.name == name
    assert loaded.description
    assert "```" in loaded.body and "- [ ]" in loaded.body
