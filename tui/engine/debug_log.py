"""The debug log: what stepwise's loggers record, written to a file when asked for.

`--debug` or `STEPWISE_DEBUG=1` turns it on for one run; the records (DEBUG and
up, from every `tui.*` logger) go to `debug.log` in the sessions folder. Off, the
records go nowhere: nothing is written to the terminal, where it would tear
the app's screen.

Where the code catches a broad exception to keep the session alive, it calls
`log_failure`: the traceback goes to the log, and the message the user sees says
where to find it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tui.engine.config.home import sessions_dir
from tui.engine.errors import StepwiseError

__all__ = ["ENV_VAR", "debug_log_path", "enable", "log_failure", "requested"]

ENV_VAR = "STEPWISE_DEBUG"

_ROOT = logging.getLogger("tui")
# Without a handler, Python prints warnings and errors to stderr (the app's screen).
_ROOT.addHandler(logging.NullHandler())
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def requested(flag: bool = False) -> bool:
    """Whether this run keeps a debug log: the `--debug` flag, or `STEPWISE_DEBUG=1`."""
    return flag or os.environ.get(ENV_VAR, "").strip() == "1"


def debug_log_path() -> Path:
    return sessions_dir() / "debug.log"


def _active() -> Path | None:
    for handler in _ROOT.handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def enable(path: Path | None = None) -> Path:
    """Append the `tui` loggers' records to `path` (default `debug_log_path()`); returns the path.

    Raises:
        OSError: the folder or the file cannot be created.
    """
    active = _active()
    if active is not None:
        return active
    target = path or debug_log_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    _ROOT.addHandler(handler)
    _ROOT.setLevel(logging.DEBUG)
    _ROOT.debug("debug log started (pid %d)", os.getpid())
    return target


def log_failure(logger: logging.Logger, what: str, exc: BaseException, *, suggest: bool = True) -> str:
    """Log `what` with the traceback of `exc` (call it in the `except` block); returns where to read it.

    The result is a suffix for the user's message: ` (traceback in PATH)` when the
    debug log is on; otherwise, for an unexpected error (not a `StepwiseError`,
    whose message says it all) and when `suggest`, how to turn the log on. Empty
    otherwise.
    """
    logger.error("%s: %s", what, exc, exc_info=exc)
    active = _active()
    if active is not None:
        return f" (traceback in {active})"
    if suggest and not isinstance(exc, StepwiseError):
        return f" (run with --debug or {ENV_VAR}=1 to keep the traceback in {debug_log_path()})"
    return ""
