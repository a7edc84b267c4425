"""Model names: the aliases `haiku`, `sonnet`, `opus`, `fable` and how a requested model resolves.

The alias defaults are the newest id of each family listed by the installed
anthropic SDK. Its `types/model.py` is read as text (importing `anthropic`
costs about a second); when it cannot be found the hard-coded table is used.
Settings (`model_aliases`) override any alias.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.engine.errors import StepwiseError

FAMILIES: tuple[str, ...] = ("haiku", "sonnet", "opus", "fable")
"""The families that have an alias of the same name."""

FALLBACK_ALIASES: dict[str, str] = {
    "haiku": "claude-haiku-5-5",
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "fable": "claude-fable-5-2",
}
"""Used when the SDK's model list cannot be read (the ids of anthropic 2.14)."""

DEFAULT_SESSION_ALIAS = "sonnet"

INHERIT = "inherit"

# `claude-<family>-<n>[-<n>...]`; a trailing 8-digit component is a dated snapshot.
_MODEL_ID = re.compile(r"^claude-(?P<family>[a-z]+)-(?P<version>\d+(?:-\d+)*)$")
_QUOTED = re.compile(r'"(claude-[^"]+)"')
# Copilot and Claude's apps write display names: "Claude Sonnet 4.5", "Claude Opus 4.7 (copilot)".
_DISPLAY_NAME = re.compile(r"^claude\s+(?P<family>[a-z]+)\s+(?P<version>\d+(?:\.\d+)*)\s*(?:\(.*\))?$", re.IGNORECASE)


class UnknownModelError(StepwiseError, ValueError):
    """A model the user named is neither an alias nor a `claude-...` id; the message lists the aliases."""


@dataclass(frozen=True)
class ResolvedModel:
    requested: str | None
    """What the agent file (or the user) asked for, as written; None when absent."""
    resolved: str
    """The concrete model id to send to the API."""
    warning: str | None = None
    """Why the request was not honoured as written, when it was not."""


def newest_by_family(model_ids: list[str]) -> dict[str, str]:
    """The highest-versioned id per family, ignoring dated snapshots and non-numeric ids.

    >>> newest_by_family(["claude-opus-4-8", "claude-opus-5", "claude-opus-4-5-20251101"])
    {'opus': 'claude-opus-5'}
    """
    best: dict[str, tuple[tuple[int, ...], str]] = {}
    for model_id in model_ids:
        match = _MODEL_ID.match(model_id)
        if not match:
            continue
        parts = match["version"].split("-")
        if len(parts[-1]) == 8:
            continue
        version = tuple(int(p) for p in parts)
        family = match["family"]
        if family not in best or version > best[family][0]:
            best[family] = (version, model_id)
    return {family: model_id for family, (_, model_id) in best.items()}


def sdk_model_file() -> Path | None:
    """`anthropic/types/model.py` of the installed SDK, located without importing it."""
    try:
        spec = importlib.util.find_spec("anthropic")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "types" / "model.py"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def sdk_model_ids() -> frozenset[str]:
    """Every model id the installed SDK lists (empty when its model list cannot be read)."""
    path = sdk_model_file()
    if path is None:
        return frozenset()
    try:
        return frozenset(_QUOTED.findall(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return frozenset()


def display_name_id(name: str) -> str | None:
    """`Claude Sonnet 4.5 (copilot)` -> `claude-sonnet-4-5`; None when it is no Claude display name."""
    match = _DISPLAY_NAME.match(name.strip())
    if not match:
        return None
    return f"claude-{match['family'].lower()}-{match['version'].replace('.', '-')}"


def first_claude_model(value: object) -> str | None:
    """An agent's `model` as written: a string, or the first Claude entry of a Copilot model list."""
    if value is None:
        return None
    if isinstance(value, list):
        entries = [str(item).strip() for item in value if item is not None and str(item).strip()]
        claude = [entry for entry in entries if entry.lower().startswith("claude") or entry.lower() in FAMILIES]
        chosen = claude or entries
        return chosen[0] if chosen else None
    text = str(value).strip()
    return text or None


def default_aliases() -> dict[str, str]:
    """The alias table before settings: the SDK's newest id per family, else the fallback.

    A fresh dict each call: callers overlay settings on it.
    """
    return dict(_sdk_aliases())


@functools.cache
def _sdk_aliases() -> dict[str, str]:
    aliases = dict(FALLBACK_ALIASES)
    path = sdk_model_file()
    if path is None:
        return aliases
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return aliases
    newest = newest_by_family(_QUOTED.findall(text))
    for family in FAMILIES:
        if family in newest:
            aliases[family] = newest[family]
    return aliases


def _lookup(name: str, aliases: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(concrete id, warning) for an alias, a full id or a Claude display name; (None, None) for anything else.

    A display name becomes its id when the installed SDK lists that id, else its family's
    alias; an id the SDK does not list is used as written, with a warning.
    """
    key = name.strip()
    lowered = key.lower()
    if lowered in aliases:
        return aliases[lowered], None
    known = sdk_model_ids()
    if lowered.startswith("claude-"):
        if known and key not in known and key not in aliases.values():
            return key, f"model {key!r} is not in the installed SDK's model list; sending it as written"
        return key, None
    model_id = display_name_id(key)
    if model_id is None:
        return None, None
    if model_id in known or model_id in aliases.values():
        return model_id, None
    family = model_id.split("-")[1]
    if family in aliases:
        return aliases[
            family
        ], f"model {key!r} ({model_id}) is not in the installed SDK's model list; using {family} ({aliases[family]})"
    return None, None


def validate_model(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The concrete id for a model the user named (`--model`, `/model`).

    Unlike an agent file's `model`, which falls back to the session model, a
    name the user typed is refused: a typo must not silently pick another model.

    Raises:
        UnknownModelError: `name` is no alias and no `claude-...` id.
    """
    aliases = default_aliases() if aliases is None else aliases
    concrete, _ = _lookup(name, aliases)
    if concrete is None:
        raise UnknownModelError(
            f"unknown model {name.strip()!r}; use an alias ({', '.join(sorted(aliases))}) or a full claude-... model id"
        )
    return concrete


def resolve_model(
    requested: str | None,
    session_model: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ResolvedModel:
    """Resolve an agent's (or the user's) model request to a concrete id.

    Args:
        requested: An alias, a full `claude-...` id, a Claude display name ("Claude Sonnet
            4.5 (copilot)"), `inherit`, or None (= inherit). Other values fall back to the
            session model with a warning.
        session_model: The session's model (alias or id); None for the sonnet alias.
        aliases: Alias -> id (the settings' `model_aliases`); None for `default_aliases()`.
    """
    aliases = default_aliases() if aliases is None else aliases
    session_name = session_model or DEFAULT_SESSION_ALIAS
    session_id, session_warning = _lookup(session_name, aliases)
    session_unknown = session_id is None
    if session_id is None:
        session_id = aliases.get(DEFAULT_SESSION_ALIAS, FALLBACK_ALIASES[DEFAULT_SESSION_ALIAS])
        session_warning = f"unknown session model {session_name!r}; using {session_id}"

    if requested is None or not requested.strip() or requested.strip().lower() == INHERIT:
        return ResolvedModel(requested, session_id, session_warning)
    concrete, warning = _lookup(requested, aliases)
    if concrete is not None:
        return ResolvedModel(requested, concrete, warning)
    if session_unknown:
        # One sentence for both: the session model is already the fallback.
        warning = f"neither model {requested!r} nor the session model {session_name!r} is a Claude model alias or id; using {session_id}"
    else:
        warning = f"model {requested!r} is not a Claude model alias or id; using the session model {session_id}"
    return ResolvedModel(requested, session_id, warning)
