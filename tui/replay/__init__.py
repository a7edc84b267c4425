"""Recorded sessions: the replay screen, `replay --verify`, the scripted demo and `--replay-model`.

Uses the app's widgets for the replay screen (never the other way round: the app imports nothing from here).
"""

__all__ = ["app", "demo", "git_tree", "recorded_provider", "timeline", "verify"]
