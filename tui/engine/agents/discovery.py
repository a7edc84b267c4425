"""Agent discovery: which agent files exist, which one wins a name, which were skipped.

Places searched, highest precedence first:

1. the explicit `--agent PATH`;
2. `.stepwise/agents/` in the working directory and each parent up to the repository root;
3. `.claude/agents/` in the working directory and each parent up to the repository root;
4. `.github/agents/` and `.github/chatmodes/` at the repository root (Copilot `*.agent.md`
   and the older `*.chatmode.md`);
5. `$STEPWISE_HOME/agents/`;
6. `~/.claude/agents/`;
7. the bundled agents (without their `skills/` folder).

Every folder is searched recursively for `*.md`, in path order. An agent's
identity is its `name`: the first one found wins, later ones with the same name
are listed as shadowed. Files that cannot be understood are skipped with their
reason; Markdown files without frontmatter are not agents and are ignored.
The repository root is the nearest folder holding `.git`, or the working
directory outside a repository. With no agent named, the bundled `general`
agent is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine.agents.files import Agent, AgentFileError, load_agent_file
from tui.engine.agents.skills import missing_skill_warning, resolve_skills
from tui.engine.config.home import bundled_dir, stepwise_home
from tui.engine.model.aliases import resolve_model
from tui.engine.tools.names import DELEGATION_TOOL

if TYPE_CHECKING:
    from tui.engine.config.settings import Settings

DEFAULT_AGENT = "general"


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` (folder or file), or None."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def project_root(cwd: Path) -> Path:
    """The repository root of `cwd`, or `cwd` itself outside a repository."""
    return find_repo_root(cwd) or cwd.resolve()


def _up_to(cwd: Path, root: Path) -> list[Path]:
    """`cwd` and its parents up to `root` (just `cwd` when it is not inside `root`)."""
    cwd = cwd.resolve()
    folders = [cwd]
    if cwd != root and root in cwd.parents:
        for parent in cwd.parents:
            folders.append(parent)
            if parent == root:
                break
    return folders


def agent_dirs(cwd: Path, root: Path) -> list[Path]:
    """The folders searched for agents, highest precedence first (see the module docstring)."""
    walk = _up_to(cwd, root)
    return [
        *(folder / ".stepwise" / "agents" for folder in walk),
        *(folder / ".claude" / "agents" for folder in walk),
        root / ".github" / "agents",
        root / ".github" / "chatmodes",
        stepwise_home() / "agents",
        Path.home() / ".claude" / "agents",
        bundled_dir("agents"),
    ]


def read_agent(path: Path) -> Agent:
    """Load a file that must be an agent.

    Raises:
        AgentFileError: it does not exist, cannot be understood, or has no frontmatter.
    """
    if not path.exists():
        raise AgentFileError("does not exist")
    agent = load_agent_file(path)
    if agent is None:
        raise AgentFileError("is not an agent file: it has no frontmatter between `---` lines")
    return agent


def _markdown_files(folder: Path) -> list[Path]:
    """Every `*.md` under `folder`, in path order; linked folders are followed once (no loops)."""
    excluded = folder / "skills" if folder == bundled_dir("agents") else None
    found: list[Path] = []
    visited: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        current = Path(dirpath)
        real = os.path.realpath(dirpath)
        if real in visited or current == excluded:
            dirnames[:] = []
            continue
        visited.add(real)
        # A folder named `x.md` is listed too, so that it is reported rather than silently dropped.
        found.extend(current / name for name in [*filenames, *dirnames] if name.endswith(".md"))
    return sorted(found)


@dataclass
class ShadowedAgent:
    agent: Agent
    shadowed_by: Path
    """The source of the agent that won the name."""


@dataclass
class AgentCatalog:
    cwd: Path
    root: Path
    """The repository root (or the working directory outside a repository)."""
    settings: Settings | None = None
    agents: list[Agent] = field(default_factory=list)
    shadowed: list[ShadowedAgent] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    explicit: Agent | None = None
    """The agent given with `--agent PATH`, when it loaded."""
    explicit_error: str | None = None
    """Why the `--agent PATH` file did not load (it is also in `skipped`)."""

    def get(self, name: str) -> Agent | None:
        """The winning agent with this name (exact, else a unique case-insensitive match)."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        folded = [agent for agent in self.agents if agent.name.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def find(self, name_or_path: str | Path) -> Agent:
        """An agent by name, or by the path of an agent file (discovered or not).

        Raises:
            LookupError: no such agent, or the file is not a usable agent (the message says why).
        """
        ref = str(name_or_path)
        agent = self.get(ref) if isinstance(name_or_path, str) else None
        if agent is not None:
            return agent
        path = Path(ref).expanduser()
        if not path.is_absolute():
            path = self.cwd / path
        if path.exists() or "/" in ref or ref.endswith(".md"):
            return self._load(path)
        names = ", ".join(agent.name for agent in self.agents) or "none"
        raise LookupError(f"no agent named {ref!r} (available: {names}); or give the path of an agent file")

    def _load(self, path: Path) -> Agent:
        resolved = path.resolve()
        for known in [*self.agents, *(entry.agent for entry in self.shadowed)]:
            if known.source.resolve() == resolved:
                return known
        try:
            return read_agent(path)
        except AgentFileError as exc:
            raise LookupError(f"agent file {path} {exc}") from None

    def default(self) -> Agent:
        """The explicit agent when one was given, else the `general` agent.

        Raises:
            LookupError: there is no `general` agent (the bundled folder is missing).
        """
        if self.explicit is not None:
            return self.explicit
        agent = self.get(DEFAULT_AGENT)
        if agent is None:
            raise LookupError(
                f"the default agent {DEFAULT_AGENT!r} was not found (bundled folder {bundled_dir('agents')}); "
                "name an agent with --agent"
            )
        return agent

    def delegates_of(self, agent: Agent) -> list[Agent]:
        """The agents `agent` may hand tasks to with `run_subagent` (itself first, in a fresh context).

        None when its tools leave out `run_subagent`, or when no other agent exists.
        """
        if DELEGATION_TOOL not in agent.resolved_tools or all(other.name == agent.name for other in self.agents):
            return []
        return [agent, *(other for other in self.agents if other.name != agent.name)]

    def describe(self, agent: Agent) -> dict[str, Any]:
        """The agent as `stepwise agents --json` shows it: resolved tools, model and skills."""
        settings = self.settings
        model = resolve_model(
            agent.model, settings.model if settings else None, settings.model_aliases if settings else None
        )
        skills = resolve_skills(agent.skills, self.root)
        warnings = list(agent.warnings)
        if model.warning:
            warnings.append(model.warning)
        warnings.extend(missing_skill_warning(ref.name, self.root) for ref in skills if not ref.found)
        return {
            "name": agent.name,
            "description": agent.description,
            "source": str(agent.source),
            "tools": list(agent.resolved_tools),
            "model": {"requested": agent.model, "resolved": model.resolved},
            "permission_mode": agent.permission_mode,
            "skills": [ref.to_dict() for ref in skills],
            "delegates_to": [other.name for other in self.delegates_of(agent)],
            "warnings": warnings,
        }


def discover_agents(cwd: Path, explicit: Path | None = None, settings: Settings | None = None) -> AgentCatalog:
    """Find every agent visible from `cwd`, in precedence order (see the module docstring).

    Args:
        cwd: The working directory.
        explicit: An agent file given on the command line; it wins its name.
        settings: Used to resolve models when describing agents.
    """
    root = project_root(cwd)
    catalog = AgentCatalog(cwd=cwd.resolve(), root=root, settings=settings)
    winners: dict[str, Agent] = {}
    seen_files: set[Path] = set()

    def register(agent: Agent) -> None:
        seen_files.add(agent.source.resolve())
        winner = winners.get(agent.name)
        if winner is not None:
            catalog.shadowed.append(ShadowedAgent(agent, shadowed_by=winner.source))
            return
        winners[agent.name] = agent
        catalog.agents.append(agent)

    if explicit is not None:
        explicit = explicit.expanduser()
        if not explicit.is_absolute():
            explicit = catalog.cwd / explicit
        try:
            catalog.explicit = read_agent(explicit)
        except AgentFileError as exc:
            catalog.explicit_error = f"agent file {explicit} {exc}"
            catalog.skipped.append((explicit, str(exc)))
        else:
            register(catalog.explicit)

    seen_dirs: set[Path] = set()
    for folder in agent_dirs(cwd, root):
        resolved = folder.resolve()
        if resolved in seen_dirs or not folder.is_dir():
            continue
        seen_dirs.add(resolved)
        for path in _markdown_files(folder):
            if path.resolve() in seen_files:
                continue
            seen_files.add(path.resolve())
            try:
                agent = load_agent_file(path)
            except AgentFileError as exc:
                catalog.skipped.append((path, str(exc)))
                continue
            if agent is not None:
                register(agent)
    return catalog
