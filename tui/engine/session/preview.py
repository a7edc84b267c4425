"""The agent and model a new session will have, known before the session opens.

Opening a session (`Session.open`: git, the tool registry, permissions, MCP,
memory, hooks, the sandbox probe) takes a few hundred milliseconds of imports and
subprocesses, which the app spends after its first frame. Which agent answers and
on which model need only the settings files and the agent files, read here by the
same functions `Session.open` uses, so the app can show them in its first frame
(marked as still starting) and replace them with the session's own once it is open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.debug_log import log_failure
from tui.engine.model.aliases import ResolvedModel, UnknownModelError, resolve_model, validate_model

if TYPE_CHECKING:
    from tui.engine.agents.files import Agent
    from tui.engine.config.settings import Settings

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionPreview:
    """What the status bar shows while the session opens."""

    agent: str
    model: str


def session_model(agent: Agent, requested: str | None, recorded: str | None, settings: Settings) -> ResolvedModel:
    """The model a session runs on: `--model`, else the agent's own over the session model
    (a resumed session's recorded one, else the settings')."""
    return resolve_model(requested or agent.model, requested or recorded or settings.model, settings.model_aliases)


def preview(cwd: Path, agent: str | None, model: str | None) -> SessionPreview | None:
    """The agent and model a new session in `cwd` would have; None when that is not known before it
    opens (the agent or model is refused: `Session.open` reports why) or could not be read."""
    from tui.engine.agents.discovery import discover_agents, project_root
    from tui.engine.config import yaml_cache
    from tui.engine.config.settings import load_settings

    try:
        with yaml_cache.batch():
            settings = load_settings(project_root(cwd))
            catalog = discover_agents(cwd, settings=settings)
            chosen = catalog.find(agent) if agent else catalog.default()
        if model:
            validate_model(model, settings.model_aliases)
        return SessionPreview(chosen.name, session_model(chosen, model, None, settings).resolved)
    except (LookupError, UnknownModelError):
        return None
    except Exception as exc:  # noqa: BLE001 - a preview never stops the start; the session reports the problem
        log_failure(_log, "the session preview failed", exc)
        return None
