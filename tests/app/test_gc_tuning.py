"""When the garbage collector runs: paused for the start-up, frozen after it, unfrozen for a resume."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from tui.app.gc_tuning import freeze_long_lived, paused_for_start_up, start_up_done


@pytest.fixture(autouse=True)
def _restore_the_collector() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


class _Node:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_the_start_up_runs_without_collections_until_it_is_done() -> None:
    with paused_for_start_up():
        assert not gc.isenabled()
        frozen_before = gc.get_freeze_count()
        start_up_done()
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen_before  # what the start-up built is frozen
    assert gc.isenabled()


def test_the_collector_comes_back_even_when_the_start_up_fails() -> None:
    with pytest.raises(RuntimeError), paused_for_start_up():
        raise RuntimeError("the app failed to start")
    assert gc.isenabled()


def test_an_app_started_another_way_keeps_the_collector_as_it_was() -> None:
    frozen_before = gc.get_freeze_count()
    start_up_done()
    assert gc.isenabled() and gc.get_freeze_count() == frozen_before


def test_a_resume_frees_the_cycles_frozen_before_it() -> None:
    node = _Node()
    alive = weakref.ref(node)
    gc.freeze()
    del node
    gc.collect()
    assert alive() is not None  # frozen: the collector does not see it

    freeze_long_lived()

    assert alive() is None
