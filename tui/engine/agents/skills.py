"""Skills: `<name>/SKILL.md` folders, with the files they bundle (`scripts/...`).

Skills an agent lists in `skills:` are preloaded into its prompt; every other skill is
listed by name and description, for the model to load on demand with the `Skill` tool
(Claude Code's behaviour). Either way the skill's folder is named, so that its bundled
files can be read. A skill is found by its folder name or by its frontmatter `name`.

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
    split_tool_entries,
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
    allowed_tools: tuple[str, ...] = ()
    """Allowed for the rest of the turn once the skill is loaded (never past a deny rule)."""

    @property
    def folder(self) -> Path:
        return self.path.parent

    def section(self) -> str:
        """The skill as the model reads it: where its files are, then its instructions."""
        return (
            f"## Skill: {self.name}\n\n(Its folder is {self.folder}; paths in it such as `scripts/...` "
            f"are relative to that folder.)\n\n{self.body}"
        )


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
    """The SKILL.md of a skill by folder name, else by frontmatter `name`; None when none has it."""
    if not _valid_name(name):
        return None
    for folder in skill_dirs(root):
        candidate = folder / name / SKILL_FILE
        if candidate.is_file():
            return candidate
    for skill in discover_skills(root):
        if skill.name == name:
            return skill.path
    return None


def discover_skills(root: Path, warnings: list[str] | None = None) -> list[Skill]:
    """Every skill that can be loaded, first place and first name wins; unreadable ones are reported."""
    found: dict[str, Skill] = {}
    for folder in skill_dirs(root):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*/{SKILL_FILE}")):
            try:
                skill = load_skill(path)
            except AgentFileError as exc:
                if warnings is not None:
                    warnings.append(f"skill file {path} {exc}; skipped")
                continue
            found.setdefault(skill.name, skill)
    return list(found.values())


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
    tools = meta.get("allowed-tools", meta.get("allowed_tools"))
    return Skill(
        name=name,
        description=str(meta.get("description") or "").strip(),
        body=body.strip(),
        path=path,
        allowed_tools=tuple(split_tool_entries(tools)),
    )


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
        sections.append(skill.section())
    return sections


MAX_SKILL_LIST_CHARS = 8_000
"""The on-demand skill list stays small: it is sent with every request."""


def skill_list_section(skills: list[Skill], preloaded: list[str]) -> str:
    """The skills the model may load with the `Skill` tool, one line each, within a budget."""
    lines: list[str] = []
    used = 0
    offered = [skill for skill in skills if skill.name not in preloaded]
    for index, skill in enumerate(offered):
        description = " ".join(skill.description.split())[:250] or "(no description)"
        line = f"- {skill.name}: {description}"
        if used + len(line) > MAX_SKILL_LIST_CHARS:
            lines.append(f"- ... and {len(offered) - index} more (load one by name)")
            break
        lines.append(line)
        used += len(line) + 1
    if not lines:
        return ""
    return (
        "## Skills\n\nLoad a skill with the Skill tool when the task matches its description; "
        "it gives you its instructions and its folder.\n" + "\n".join(lines)
    )
