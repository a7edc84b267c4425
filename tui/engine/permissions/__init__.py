"""The permission engine: modes, rules, shell analysis and the hard limits on paths."""

__all__ = [
    "analysis",
    "engine",
    "modes",
    "pathguard",
    "rules",
    "wrappers",
]
