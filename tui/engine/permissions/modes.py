"""Permission modes: their names, the alias `manual`, and what Shift+Tab steps through.

Pure data and two small functions, so that agent files, settings and the app
can name modes without importing the permission engine.
"""

from __future__ import annotations

MODES: tuple[str, ...] = ("default", "acceptEdits", "plan", "dontAsk", "bypassPermissions")
"""Every permission mode, canonical spelling."""

MODE_ALIASES: dict[str, str] = {"manual": "default"}
"""Other spellings accepted for a mode (Claude Code's `manual`)."""

MODE_CYCLE: tuple[str, ...] = ("default", "acceptEdits", "plan")
"""What Shift+Tab steps through. `dontAsk` and `bypassPermissions` are never entered by
accident: they are chosen on the command line or by an agent, and Shift+Tab from them goes
back to `default`."""


def canonical_mode(name: str) -> str:
    """The canonical spelling of a mode name or alias (case-insensitive).

    Raises:
        ValueError: unknown mode; the message lists the valid ones.
    """
    if isinstance(name, str):
        lowered = name.strip().lower()
        for mode in MODES:
            if mode.lower() == lowered:
                return mode
        if lowered in MODE_ALIASES:
            return MODE_ALIASES[lowered]
    valid = ", ".join([*MODES, *(f"{alias} (= {mode})" for alias, mode in MODE_ALIASES.items())])
    raise ValueError(f"unknown permission mode {name!r}; valid modes: {valid}")


def next_mode(mode: str) -> str:
    """The mode after `mode` in the Shift+Tab cycle: default -> acceptEdits -> plan -> default."""
    mode = canonical_mode(mode)
    if mode not in MODE_CYCLE:
        return MODE_CYCLE[0]
    return MODE_CYCLE[(MODE_CYCLE.index(mode) + 1) % len(MODE_CYCLE)]


_LOOSENESS: dict[str, int] = {"plan": 0, "dontAsk": 1, "default": 2, "acceptEdits": 3, "bypassPermissions": 4}
"""How much a mode lets through without asking, least first."""


def subagent_mode(session_mode: str, agent_mode: str) -> str:
    """The mode a sub-agent runs in: never looser than the session's.

    A session in `acceptEdits` or `bypassPermissions` decides for its sub-agents (as in
    Claude Code); otherwise the stricter of the two applies, so a sub-agent asking for
    `acceptEdits` under a `default` or `plan` session still asks.
    """
    session_mode, agent_mode = canonical_mode(session_mode), canonical_mode(agent_mode)
    if session_mode in ("acceptEdits", "bypassPermissions"):
        return session_mode
    return min(session_mode, agent_mode, key=_LOOSENESS.__getitem__)
