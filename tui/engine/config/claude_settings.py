"""Claude Code's settings files, read (never written): what stepwise honours from them, and what not.

Files, highest precedence first: the project's `.claude/settings.local.json` and
`.claude/settings.json`, then the user's `~/.claude/settings.json`. stepwise reads:

- `permissions`: `allow` / `ask` / `deny` rules (see `permissions.rules`), `defaultMode`,
  `additionalDirectories` (see `additional_directories`);
- `env`: variables set for the agent's commands (and hooks);
- `model`: the session model when stepwise's own settings name none;
- `hooks`: see `session.hooks`;
- `enableAllProjectMcpServers`, `enabledMcpjsonServers`, `disabledMcpjsonServers`: MCP trust.

Every other key is listed by name in `unhonoured`, so that the startup notes can say
once what is ignored instead of ignoring it silently.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CLAUDE_PROJECT_FILES: tuple[Path, ...] = (Path(".claude") / "settings.local.json", Path(".claude") / "settings.json")
"""Relative to the workspace root, highest precedence first."""

HONOURED_KEYS = frozenset(
    {
        "$schema",
        "permissions",
        "env",
        "model",
        "hooks",
        "enableAllProjectMcpServers",
        "enabledMcpjsonServers",
        "disabledMcpjsonServers",
    }
)
HONOURED_PERMISSION_KEYS = frozenset({"allow", "ask", "deny", "defaultMode", "additionalDirectories"})

Scope = Literal["project", "user"]


@dataclass(frozen=True)
class AdditionalDirectory:
    """A folder beside the workspace the agent may read and, where the mode allows, edit, with the
    workspace's hard limits in it (`permissions.additionalDirectories`)."""

    path: Path
    """Resolved (`~` expanded, relative to the workspace root, symlinks followed)."""
    source: str
    """The settings file that names it, as the notes name it."""

    def describe(self) -> str:
        """The startup note: a settings file (perhaps a cloned project's) widens what the agent reaches."""
        return f"additional directory {self.path} (from {self.source}): the agent may read it; edits there ask"


def additional_directories(entries: object, source: str, root: Path, warnings: list[str]) -> list[AdditionalDirectory]:
    """The usable folders of one file's `permissions.additionalDirectories`; each bad entry warns, naming
    `source`, and is skipped. The workspace itself (or a folder inside it) adds nothing and is dropped;
    `/` is refused: it would make every file on the machine writable."""
    if entries is None:
        return []
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list):
        warnings.append(f"{source}: `permissions.additionalDirectories` must be a list of folders; ignored")
        return []
    found: list[AdditionalDirectory] = []
    workspace = root.resolve()
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip() or "\0" in entry:
            warnings.append(f"{source}: additional directory {entry!r} ignored: a folder path is a string")
            continue
        path = Path(os.path.expanduser(entry.strip()))
        try:
            path = (path if path.is_absolute() else workspace / path).resolve(strict=False)
        except (OSError, RuntimeError) as exc:
            warnings.append(f"{source}: additional directory {entry} ignored: {exc}")
            continue
        if not path.is_dir():
            why = "it does not exist" if not path.exists() else "it is not a folder"
            warnings.append(f"{source}: additional directory {entry} ({path}) skipped: {why}")
            continue
        if path == Path(path.anchor):
            warnings.append(f"{source}: additional directory {entry} refused: the whole filesystem cannot be one")
            continue
        if path.is_relative_to(workspace):
            continue
        found.append(AdditionalDirectory(path, source))
    return found


@dataclass(frozen=True)
class ClaudeSettingsFile:
    path: Path
    label: str
    """As the notes name it: `.claude/settings.json`, `~/.claude/settings.json`."""
    scope: Scope
    data: dict[str, Any]


@dataclass
class ClaudeSettings:
    files: list[ClaudeSettingsFile] = field(default_factory=list)
    """The files that exist and parse, highest precedence first."""
    warnings: list[str] = field(default_factory=list)

    def first(self, key: str) -> tuple[Any, ClaudeSettingsFile] | None:
        """The value of `key` in the highest-precedence file that sets it."""
        for file in self.files:
            if key in file.data:
                return file.data[key], file
        return None

    @property
    def default_mode(self) -> str | None:
        for file in self.files:
            permissions = file.data.get("permissions")
            if isinstance(permissions, dict) and isinstance(permissions.get("defaultMode"), str):
                return str(permissions["defaultMode"])
        return None

    def additional_directories(self, root: Path) -> list[AdditionalDirectory]:
        """`permissions.additionalDirectories` of every file (highest precedence first); bad entries warn."""
        found: list[AdditionalDirectory] = []
        for file in self.files:
            permissions = file.data.get("permissions")
            if isinstance(permissions, dict):
                found += additional_directories(
                    permissions.get("additionalDirectories"), file.label, root, self.warnings
                )
        return found

    @property
    def model(self) -> str | None:
        found = self.first("model")
        return str(found[0]) if found and isinstance(found[0], str) and found[0].strip() else None

    def env(self) -> dict[str, str]:
        """`env` of every file merged, the higher-precedence file winning a name; bad entries warn."""
        merged: dict[str, str] = {}
        for file in reversed(self.files):
            value = file.data.get("env")
            if value is None:
                continue
            if not isinstance(value, dict):
                self.warnings.append(f"{file.label}: `env` must map names to strings; ignored")
                continue
            for name, text in value.items():
                if isinstance(text, (str, int, float)) and not isinstance(text, bool) and str(name).isidentifier():
                    merged[str(name)] = str(text)
                else:
                    self.warnings.append(f"{file.label}: env {name!r} ignored: a variable name and a string value")
        return merged

    def unhonoured(self) -> list[str]:
        """`key (file)` for every key stepwise does not use, each named once."""
        found: dict[str, list[str]] = {}
        for file in self.files:
            for key, value in file.data.items():
                if key not in HONOURED_KEYS:
                    found.setdefault(key, []).append(file.label)
                elif key == "permissions" and isinstance(value, dict):
                    for sub in value:
                        if sub not in HONOURED_PERMISSION_KEYS:
                            found.setdefault(f"permissions.{sub}", []).append(file.label)
        return [f"{key} ({', '.join(labels)})" for key, labels in found.items()]


def load_claude_settings(root: Path | None, home: Path | None = None) -> ClaudeSettings:
    """The Claude Code settings that apply in `root` (the user's file alone without a workspace)."""
    settings = ClaudeSettings()
    places: list[tuple[Path, str, Scope]] = []
    if root is not None:
        places += [(root / path, path.as_posix(), "project") for path in CLAUDE_PROJECT_FILES]
    places.append(((home or Path.home()) / ".claude" / "settings.json", "~/.claude/settings.json", "user"))
    for path, label, scope in places:
        data = read_settings_json(path, label, settings.warnings)
        if data is not None:
            settings.files.append(ClaudeSettingsFile(path, label, scope, data))
    return settings


def read_settings_json(path: Path, label: str, warnings: list[str]) -> dict[str, Any] | None:
    """One Claude Code settings file's mapping; None when it is missing or broken (a warning says why)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        warnings.append(f"{label}: cannot read it ({exc}); ignored")
        return None
    except ValueError as exc:
        warnings.append(f"{label}: invalid JSON ({str(exc).splitlines()[0]}); ignored")
        return None
    if not isinstance(data, dict):
        warnings.append(f"{label}: expected a mapping at the top level; ignored")
        return None
    return data
