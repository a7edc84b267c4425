"""When the cyclic garbage collector may run, so its pauses stay off the screen.

Python's full collections walk every tracked object. A Textual app at start
allocates a few hundred thousand objects that live as long as it does
(modules, classes, widgets, styles), and a resumed session adds its history;
a full collection over those took 20 ms in the middle of the first frame and
100-200 ms later, which showed as a frozen frame while scrolling or
streaming, and collections during the first session's imports cost about
100 ms of CPU. So the collector is off until the start-up is done (the first
frame drawn and the first session open, or failed to), and what is alive
then (and after a history is loaded) is frozen: moved to a generation the
collector never walks. Reference counting still frees frozen
objects; only frozen reference cycles wait, until `freeze_long_lived`
unfreezes and collects (a resume), or for good (the start-up's own few).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_for_start_up() -> Iterator[None]:
    """No cyclic collection until `start_up_done` (or, at the latest, the end of the block)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def start_up_done() -> None:
    """If the start-up paused the collector: freeze what it built, and collect again from here on.

    The app calls it once its first frame is drawn and its first session has opened (or
    failed to); later calls do nothing.

    An app started another way (tests, the replay) keeps the collector as it was.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def freeze_long_lived() -> None:
    """Exempt what lives on now (a resumed history, its widgets) from full collections.

    What was frozen before (the start-up, an earlier history) is unfrozen and
    the garbage collected first, so none of it is kept: about 100 ms, once,
    after a history is shown.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
