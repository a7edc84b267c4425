"""Where stepwise keeps its files: the user folder and the bundled resources."""

from __future__ import annotations

import os
from pathlib import Path

import tui

APP_NAME = "stepwise"


def stepwise_home() -> Path:
    """The user folder for settings, agents, skills, themes and sessions.

    `STEPWISE_HOME` overrides it; otherwise the platform's user config folder
    (for example `~/.config/stepwise` on Linux).
    """
    override = os.environ.get("STEPWISE_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def sessions_dir() -> Path:
    """The folder holding one JSONL file per session."""
    override = os.environ.get("STEPWISE_HOME")
    if override:
        return Path(override).expanduser() / "sessions"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "sessions"


def bundled_dir(name: str) -> Path:
    """A bundled resource folder (`agents` or `themes`).

    In a wheel they are installed as `tui/bundled/<name>`; in a source checkout
    (or an editable install) they are the top-level folders of the repository.
    """
    package_dir = Path(tui.__file__).resolve().parent
    installed = package_dir / "bundled" / name
    if installed.is_dir():
        return installed
    return package_dir.parent / name
