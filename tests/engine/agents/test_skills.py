from pathlib import Path

import pytest

from tui.engine.agents.files import Agent
from tui.engine.agents.skills import (
    Skill,
    discover_skills,
    find_skill,
    load_skill,
    resolve_skills,
    skill_list_section,
    skill_sections,
)
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
    folder = tmp_path / ".claude" / "skills" / "style"
    sections = skill_sections(agent(["style", "ghost"]), tmp_path, warnings)
    assert sections == [
        f"## Skill: style\n\n(Its folder is {folder}; paths in it such as `scripts/...` are relative to that folder.)"
        "\n\nUse four spaces."
    ]
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


def test_a_skill_is_found_by_its_name_as_well_as_its_folder(tmp_path, homes):
    path = tmp_path / ".claude" / "skills" / "pdf-tools" / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\nname: pdf\ndescription: PDFs\nallowed-tools: Bash(python scripts/fill.py:*)\n---\nUse scripts/fill.py\n"
    )
    assert find_skill("pdf-tools", tmp_path) == path
    assert find_skill("pdf", tmp_path) == path
    assert load_skill(path).allowed_tools == ("Bash(python scripts/fill.py:*)",)


def test_the_skill_list_names_every_skill_not_preloaded_within_its_budget(tmp_path, homes):
    for index in range(3):
        skill(tmp_path / ".claude" / "skills", f"s{index}", "body")
    skills = [s for s in discover_skills(tmp_path) if s.name.startswith("s")]
    section = skill_list_section(skills, preloaded=["s1"])
    assert "- s0: about s0" in section and "- s2: about s2" in section and "s1" not in section
    many = [Skill(f"k{index:03}", "words " * 40, "b", tmp_path / f"k{index}" / "SKILL.md") for index in range(200)]
    cut = skill_list_section(many, preloaded=[])
    assert len(cut) < 9_000 and cut.rstrip().endswith("more (load one by name)")
