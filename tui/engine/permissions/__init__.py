"""The permission engine: modes, rules, shell analysis and the hard limits on paths."""

__all__ = [
    "engine",
    "modes",
    "pathguard",
    "rules",
    "shell_split",
    "wrappers",
]
