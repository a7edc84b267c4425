"""When the cyclic garbage collector may run, so its pauses stay off the screen.

Python's full collections walk every tracked object. A Textual app at start
allocates a few hundred thousand objects that live as long as it does
(modules, classes, widgets, styles), and a resumed session adds its history;
a full collection over those took 20 ms in the middle of the first frame and
100-200 ms later, which showed as a frozen frame while scrolling or
streaming. So the collector is off until the first frame is drawn, and what
is alive then (and after a history is loaded) is frozen: moved to a
generation the collector never walks. Reference counting still frees it all.
"""

from __future__ import annotations

import gc


def pause_for_start_up() -> None:
    """Stop cyclic collections until `first_frame_drawn` (call before the app's imports)."""
    gc.disable()


def first_frame_drawn() -> None:
    """Freeze what start-up built and collect again from here on."""
    gc.freeze()
    gc.enable()


def freeze_long_lived() -> None:
    """Exempt what lives on now (a resumed history, its widgets) from full collections.

    The garbage is collected first so none of it is kept; that takes about
    100 ms, once, after the history is shown.
    """
    gc.collect()
    gc.freeze()
