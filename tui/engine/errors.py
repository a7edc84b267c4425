"""The root of stepwise's own exceptions.

Every error class the project raises derives from `StepwiseError`, so a caller
can tell "stepwise refused or failed, with a message meant for the user" from a
bug. Each class also keeps the builtin base it had (`ValueError`, `OSError`,
...), so code that catches those keeps working. Textual-free: the engine, the
app and the commands all import it.
"""

from __future__ import annotations

__all__ = ["StepwiseError"]


class StepwiseError(Exception):
    """Something stepwise cannot do; the message says what and, where it can, what to do instead."""
