"""Settings: `settings.yaml` of the user (`$STEPWISE_HOME`) and of the project (`.stepwise/`).

The project file overrides the user file key by key; mappings (`model_aliases`,
`prices`, `permissions`, ...) are merged one level deeper. A file that cannot be
read or parsed, or a value of the wrong type, gives a warning naming the file and
the key, and the defaults are used instead: settings never stop a session.

This module is the one reader (`load_settings`, `read_settings_file`) and the one
writer (`update_settings_file`) of these files: the permission rules read their
`permissions` from the loaded `Settings`, and saving a rule goes through the same
writer as saving the theme, so a broken file is reported once and never clobbered.

Example::

    model: opus
    model_aliases: {opus: claude-opus-5-5}
    prices:
      claude-opus-5-5: {input: 5, output: 25}   # cache prices default to 1.25x / 0.1x input
    context_windows: {claude-sonnet-5-5: 1000000}   # tokens, by family or model id
    compact_at: 0.8                                 # compact when a request would pass 80% of it
    theme: nord
    sandbox: false            # default: on wherever bubblewrap works
    sandbox_network: false    # sandboxed commands get no network unless true
    auto_commit: false
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.engine.config.claude_settings import (
    AdditionalDirectory,
    ClaudeSettings,
    additional_directories,
    load_claude_settings,
)
from tui.engine.config.home import stepwise_home
from tui.engine.errors import StepwiseError
from tui.engine.model.aliases import DEFAULT_SESSION_ALIAS, default_aliases
from tui.engine.model.context import DEFAULT_COMPACT_AT, DEFAULT_WINDOWS, context_window
from tui.engine.model.pricing import DEFAULT_PRICES, price_for
from tui.engine.workspace.fileio import atomic_write

SETTINGS_FILE = "settings.yaml"
PROJECT_DIR = ".stepwise"
PROJECT_SETTINGS = Path(PROJECT_DIR) / SETTINGS_FILE
"""The project settings file, relative to the workspace root."""


class SettingsError(StepwiseError, ValueError):
    """A settings file cannot be updated (it is broken, or cannot be written); the message names the file."""


@dataclass(frozen=True)
class SettingsFile:
    """One settings file as read."""

    path: Path
    scope: Literal["user", "project"]
    data: dict[str, Any]
    """Its mapping; empty when the file is missing or broken (the problem is in `Settings.warnings`)."""


@dataclass
class Settings:
    model: str = DEFAULT_SESSION_ALIAS
    """The session model: an alias or a full id."""
    model_aliases: dict[str, str] = field(default_factory=default_aliases)
    prices: dict[str, dict[str, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    """USD per million tokens (`input`, `output`, `cache_write`, `cache_read`) by family or model id."""
    context_windows: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WINDOWS))
    """Context window in tokens by family or model id."""
    compact_at: float = DEFAULT_COMPACT_AT
    """The share of the context window past which the conversation is compacted before a request."""
    theme: str | None = None
    sandbox: bool | None = None
    """Run commands in the bubblewrap sandbox: true (fail when it cannot run), false, or unset (on where it works)."""
    sandbox_network: bool = False
    """Let sandboxed commands use the network."""
    auto_commit: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
    """The merged settings as read, unknown keys included (e.g. `permissions`)."""
    files: list[SettingsFile] = field(default_factory=list)
    """Every file looked at, lowest precedence first, with its own mapping."""
    claude: ClaudeSettings = field(default_factory=ClaudeSettings)
    """Claude Code's settings files (permissions, env, model, hooks), read-only."""
    default_mode: str | None = None
    """`permissions.defaultMode` (stepwise's settings, else Claude Code's): the mode when neither a
    flag nor the agent sets one."""
    env: dict[str, str] = field(default_factory=dict)
    """`env` for the agent's commands: Claude Code's files, then stepwise's own over them."""
    additional_directories: list[AdditionalDirectory] = field(default_factory=list)
    """`permissions.additionalDirectories` of every file (stepwise's and Claude Code's), each folder once:
    more roots the agent may read and, where the mode allows, edit, with the workspace's hard limits."""
    warnings: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[Path]:
        """The files that set something, lowest precedence first."""
        return [file.path for file in self.files if file.data]

    def file(self, scope: Literal["user", "project"]) -> SettingsFile | None:
        """The user or the project file, None when it was not looked at (no workspace)."""
        return next((file for file in self.files if file.scope == scope), None)

    def price_for(self, model: str) -> Mapping[str, float] | None:
        return price_for(model, self.prices)

    def context_window(self, model: str) -> int:
        return context_window(model, self.context_windows)


def user_settings_path() -> Path:
    return stepwise_home() / SETTINGS_FILE


def project_settings_path(root: Path) -> Path:
    return root / PROJECT_SETTINGS


def read_settings_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """(mapping, problem) of one settings file; a missing file is an empty mapping."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"cannot read settings file {path}: {exc}; using defaults for it"
    from tui.engine.config import yaml_cache

    try:
        # PyYAML (10-15 ms to import) is loaded only when there is a file the cache has not seen.
        data = yaml_cache.safe_load(text)
    except yaml_cache.yaml_error() as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return {}, f"settings file {path} is not valid YAML{line}: {problem}; using defaults for it"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"settings file {path} must be a mapping of keys to values, not {type(data).__name__}; ignored"
    return data, None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


class _Reader:
    """Typed access to the merged settings; a bad value warns with the file that set it."""

    def __init__(self, layers: list[tuple[Path, dict[str, Any]]], warnings: list[str]) -> None:
        self.layers = layers
        self.warnings = warnings
        self.raw: dict[str, Any] = {}
        for _, data in layers:
            self.raw = _merge(self.raw, data)

    def origin(self, *keys: str) -> Path:
        """The highest-precedence file that sets the (nested) key."""
        for path, data in reversed(self.layers):
            node: Any = data
            for key in keys:
                if not isinstance(node, dict) or key not in node:
                    break
                node = node[key]
            else:
                return path
        return self.layers[-1][0]

    def bad(self, message: str, *keys: str) -> None:
        self.warnings.append(f"{self.origin(*keys)}: `{'.'.join(keys)}` {message}; using the default")

    def string(self, key: str, default: str | None) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)) or not str(value).strip():
            self.bad(f"must be a non-empty string, got {value!r}", key)
            return default
        return str(value).strip()

    def boolean(self, key: str, default: bool) -> bool:
        value = self.optional_boolean(key)
        return default if value is None else value

    def optional_boolean(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.bad(f"must be true or false, got {value!r}", key)
            return None
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(f"must be a mapping, got {type(value).__name__}", key)
            return {}
        return value

    def aliases(self) -> dict[str, str]:
        aliases = default_aliases()
        for name, target in self.mapping("model_aliases").items():
            if not isinstance(target, str) or not target.strip():
                self.bad(f"must be a model id string, got {target!r}", "model_aliases", str(name))
                continue
            aliases[str(name).strip().lower()] = target.strip()
        return aliases

    def windows(self) -> dict[str, int]:
        windows = dict(DEFAULT_WINDOWS)
        for name, tokens in self.mapping("context_windows").items():
            if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1000:
                self.bad(f"must be a number of tokens (at least 1000), got {tokens!r}", "context_windows", str(name))
                continue
            windows[str(name).strip().lower()] = tokens
        return windows

    def share(self, key: str, default: float) -> float:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.1 <= value <= 0.95:
            self.bad(f"must be a share of the context window between 0.1 and 0.95, got {value!r}", key)
            return default
        return float(value)

    def prices(self) -> dict[str, dict[str, float]]:
        prices = dict(DEFAULT_PRICES)
        for name, entry in self.mapping("prices").items():
            price = self._price(str(name), entry, prices.get(str(name)))
            if price is not None:
                prices[str(name)] = price
        return prices

    def _price(self, name: str, entry: Any, default: Mapping[str, float] | None) -> dict[str, float] | None:
        keys = ("prices", name)
        if not isinstance(entry, dict):
            self.bad("must be a mapping with input/output/cache_write/cache_read", *keys)
            return None
        values: dict[str, float] = {}
        for part, number in entry.items():
            if part not in ("input", "output", "cache_write", "cache_read"):
                self.bad(f"has unknown field {part!r}", *keys)
                return None
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                self.bad(f"field {part!r} must be a non-negative number, got {number!r}", *keys)
                return None
            values[part] = float(number)
        base = dict(default or {})
        if "input" in values:
            # Unless given, cache prices follow the input price with the API's usual ratios.
            base.update(cache_write=values["input"] * 1.25, cache_read=values["input"] * 0.1)
        price = {**base, **values}
        if "input" not in price or "output" not in price:
            self.bad("needs at least `input` and `output`", *keys)
            return None
        return price


def load_settings(root: Path | None = None) -> Settings:
    """Read the user settings and, with `root`, the project settings over them.

    Args:
        root: The workspace root; its `.stepwise/settings.yaml` overrides the user file.
    """
    warnings: list[str] = []
    places: list[tuple[Path, Literal["user", "project"]]] = [(user_settings_path(), "user")]
    if root is not None:
        places.append((project_settings_path(root), "project"))
    files: list[SettingsFile] = []
    for path, scope in places:
        data, problem = read_settings_file(path)
        if problem:
            warnings.append(problem)
        files.append(SettingsFile(path, scope, data))
    layers = [(file.path, file.data) for file in files]
    reader = _Reader(layers, warnings)
    claude = load_claude_settings(root)
    # stepwise's own `model` wins; Claude Code's applies when stepwise's settings name none.
    model = reader.string("model", None) or claude.model or DEFAULT_SESSION_ALIAS
    env = {**claude.env(), **{str(name): str(value) for name, value in reader.mapping("env").items()}}
    permissions = reader.raw.get("permissions")  # its type is reported once, by the rules
    default_mode = permissions.get("defaultMode") if isinstance(permissions, dict) else None
    if not isinstance(default_mode, str):
        default_mode = None
    directories = _additional_directories(root, files, claude, warnings) if root is not None else []
    warnings.extend(claude.warnings)
    if unused := claude.unhonoured():
        warnings.append(f"Claude Code settings stepwise does not use: {', '.join(unused)}")
    return Settings(
        model=model,
        model_aliases=reader.aliases(),
        prices=reader.prices(),
        context_windows=reader.windows(),
        compact_at=reader.share("compact_at", DEFAULT_COMPACT_AT),
        theme=reader.string("theme", None),
        sandbox=reader.optional_boolean("sandbox"),
        sandbox_network=reader.boolean("sandbox_network", False),
        auto_commit=reader.boolean("auto_commit", False),
        raw=reader.raw,
        files=files,
        claude=claude,
        default_mode=default_mode or claude.default_mode,
        env=env,
        additional_directories=directories,
        warnings=warnings,
    )


def _additional_directories(
    root: Path, files: list[SettingsFile], claude: ClaudeSettings, warnings: list[str]
) -> list[AdditionalDirectory]:
    """Every file's `permissions.additionalDirectories`, project files first, each folder once."""
    theirs = claude.additional_directories(root)
    scope_of = {file.label: file.scope for file in claude.files}
    found: list[AdditionalDirectory] = []
    for scope in ("project", "user"):
        for mine in (file for file in files if file.scope == scope):
            if isinstance(permissions := mine.data.get("permissions"), dict):
                entries = permissions.get("additionalDirectories")
                found += additional_directories(entries, str(mine.path), root, warnings)
        found += [directory for directory in theirs if scope_of.get(directory.source) == scope]
    unique: dict[Path, AdditionalDirectory] = {}
    for directory in found:
        unique.setdefault(directory.path, directory)
    return list(unique.values())


def update_settings_file(path: Path, change: Callable[[dict[str, Any]], None], what: str) -> Path:
    """Change a settings file's mapping and write it back, keeping every key the change leaves alone.

    YAML comments are not kept: the file is rewritten from its data.

    Args:
        path: The file (created, with its folder, when missing).
        change: Edits the mapping in place; raises `SettingsError` to refuse.
        what: What is being saved, for the error message (`'theme'`, `the rule 'Bash(ls)'`).

    Returns:
        The file written.

    Raises:
        SettingsError: the existing file is broken (it is left untouched), the change refused,
            or the file cannot be written.
    """
    data, problem = read_settings_file(path)
    if problem:
        raise SettingsError(f"not saving {what}: {problem.split(';')[0]}; fix or remove the file first")
    before = copy.deepcopy(data)
    change(data)
    if data == before and path.exists():
        return path  # nothing to save: the file (and its comments) stay as they are
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot write settings file {path}: {exc}") from None
    return path


def save_user_setting(key: str, value: Any) -> Path:
    """Set one top-level key in the user settings file, keeping every other key.

    Returns:
        The file written.

    Raises:
        SettingsError: the existing file is broken (it is left untouched) or cannot be written.
    """
    return update_settings_file(user_settings_path(), lambda data: data.update({key: value}), repr(key))
