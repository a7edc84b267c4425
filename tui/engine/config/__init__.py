"""Where stepwise keeps its files (STEPWISE_HOME) and the settings read from them."""

__all__ = [
    "home",
    "settings",
    "yaml_cache",
]
