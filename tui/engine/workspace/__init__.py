"""The git workspace: checkpoints and undo, proposals (diffs and hunks) and safe file I/O."""

__all__ = [
    "checkpoints",
    "fileio",
    "gitrun",
    "globs",
    "proposals",
]
