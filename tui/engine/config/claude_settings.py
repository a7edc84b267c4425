"""Claude Code's settings files, read (never written): what stepwise honours from them, and what not.

Files, highest precedence first: the project's `.claude/settings.local.json` and
`.claude/settings.json`, then the user's `~/.claude/settings.json`. stepwise reads:

- `permissions`: `allow` / `ask` / `deny` rules (see `permissions.rules`), `defaultMode`;
- `env`: variables set for the agent's commands (and hooks);
- `model`: the session model when stepwise's own settings name none;
- `hooks`: see `session.hooks`;
- `enableAllProjectMcpServers`, `enabledMcpjsonServers`, `disabledMcpjsonServers`: MCP trust.

Every other key is listed by name in `unhonoured`, so that the startup notes can say
once what is ignored instead of ignoring it silently.
"""

from __future__ import annotations

import json
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
HONOURED_PERMISSION_KEYS = frozenset({"allow", "ask", "deny", "defaultMode"})

Scope = Literal["project", "user"]


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
        data = _read(path, label, settings.warnings)
        if data is not None:
            settings.files.append(ClaudeSettingsFile(path, label, scope, data))
    return settings


def _read(path: Path, label: str, warnings: list[str]) -> dict[str, Any] | None:
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
