"""Snapshots of the main screen with the permission pane open, in the dark and light themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.app.fakes import Edit, Say, make_app, until

OLD = 'def greet(name):\n    """Say hello."""\n    print("Hello", name)\n    return None\n'
NEW = (
    'def greet(name, punctuation="!"):\n    """Say hello."""\n    print("Hello", name + punctuation)\n    return name\n'
)


@pytest.mark.parametrize("theme", ["stepwise-dark", "stepwise-light"])
def test_main_screen_with_permission_pane(snap_compare, tmp_path: Path, theme: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "greet.py").write_text(OLD)
    turn = [
        Say("I'll add a **punctuation** parameter and return the name."),
        Edit({"greet.py": NEW}, explanation="add a punctuation parameter"),
    ]
    app, sessions = make_app(tmp_path, [turn], theme=theme, initial_prompt="Make greet configurable")

    async def open_pane(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: sessions and sessions[0].asked and app.main.permission.display, "the pane")
        await until(pilot, lambda: app.main.diff_view.is_highlighted, "the highlighting")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=open_pane)
