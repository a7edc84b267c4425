"""Skills: `<name>/SKILL.md` folders an agent lists in `skills:`, preloaded into its prompt.

Places searched, first match wins: the project's `.stepwise/skills/` and
`.claude/skills/` (at the repository root), `$STEPWISE_HOME/skills/`,
`~/.claude/skills/`, then the bundled `agents/skills/`. A listed skill that is
not found (or cannot be read) is left out with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.engine.agents.files import (
    Agent,
    AgentFileError,
    normalize_text,
    read_frontmatter,
    read_text_file,
    split_frontmatter,
)
from tui.engine.config.home import bundled_dir, stepwise_home

SKILL_FILE = "SKILL.md"


@dataclass(frozen=True)
class SkillRef:
    """Where a skill an agent lists was found."""

    name: str
    path: Path | None

    @property
    def found(self) -> bool:
        return self.path is not None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "found": self.found, "path": str(self.path) if self.path else None}


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    body: str
    """The instructions: SKILL.md without its frontmatter."""
    path: Path


def skill_dirs(root: Path) -> list[Path]:
    """The folders searched for skills, first match wins."""
    return [
        root / ".stepwise" / "skills",
        root / ".claude" / "skills",
        stepwise_home() / "skills",
        Path.home() / ".claude" / "skills",
        bundled_dir("agents") / "skills",
    ]


def _valid_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def find_skill(name: str, root: Path) -> Path | None:
    """The SKILL.md of a skill, or None when no folder has it."""
    if not _valid_name(name):
        return None
    for folder in skill_dirs(root):
        candidate = folder / name / SKILL_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_skills(names: list[str], root: Path) -> list[SkillRef]:
    return [SkillRef(name, find_skill(name, root)) for name in names]


def missing_skill_warning(name: str, root: Path) -> str:
    places = ", ".join(str(folder) for folder in skill_dirs(root))
    return f"skill {name!r} not found (looked for {name}/{SKILL_FILE} in {places}); left out"


def load_skill(path: Path) -> Skill:
    """Read a SKILL.md; a file without frontmatter is all body.

    Raises:
        AgentFileError: unreadable, or a frontmatter that makes no sense.
    """
    text = normalize_text(read_text_file(path))
    parts = split_frontmatter(text)
    meta: dict[str, Any] = {}
    body = text
    if parts is not None:
        meta = read_frontmatter(parts[0])
        body = parts[1]
    name = str(meta.get("name") or path.parent.name).strip()
    return Skill(name=name, description=str(meta.get("description") or "").strip(), body=body.strip(), path=path)


def skill_sections(agent: Agent, root: Path, warnings: list[str]) -> list[str]:
    """One `## Skill: name` section per skill the agent lists; problems go to `warnings`."""
    sections = []
    for ref in resolve_skills(agent.skills, root):
        if ref.path is None:
            warnings.append(f"agent {agent.name!r}: {missing_skill_warning(ref.name, root)}")
            continue
        try:
            skill = load_skill(ref.path)
        except AgentFileError as exc:
            warnings.append(f"agent {agent.name!r}: skill file {ref.path} {exc}; left out")
            continue
        sections.append(f"## Skill: {ref.name}\n\n{skill.body}")
    return sections


def prompt_sections(agent: Agent, root: Path, warnings: list[str]) -> list[str]:
    """The agent's part of the system prompt: its body, then its skills."""
    return [part for part in (agent.system_prompt.strip(), *skill_sections(agent, root, warnings)) if part]
