"""The provider process: `python -m tui.engine.model.worker PARENT_PID [HOLD_FD]`.

`remote.start()` launches it at the very top of `stepwise`'s `main`, so the
anthropic SDK (about a second of imports) loads on another core while the app
draws and opens its session, and the SDK's stream parsing never runs on the
app's event loop. Given HOLD_FD (a pipe), it waits until the app closes that
pipe's other end, or sends a request, or ends, before it loads anything more
than this module: asyncio, the SDK and the server (`serving.py`). It keeps
nothing between launches: it exits when its standard input closes (the app
ended) or, on Linux, when its parent dies (`PR_SET_PDEATHSIG`). Ctrl+C in a
terminal reaches the whole process group; only the parent acts on it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        # Where this fails, the end of standard input still ends it.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        raise SystemExit(0)


def _wait_for_release(hold: int) -> None:
    """Wait until the app closes its end of the `hold` pipe (or dies), or its first request comes."""
    select.select([hold, sys.stdin], [], [])
    os.close(hold)


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(int(argv[0]))
    # Records go to the original standard output; anything else printing there would corrupt them.
    out = os.dup(1)
    os.dup2(2, 1)
    if len(argv) > 1:
        _wait_for_release(int(argv[1]))
    from tui.engine.model import serving

    serving.run(out)


if __name__ == "__main__":
    main(sys.argv[1:])
