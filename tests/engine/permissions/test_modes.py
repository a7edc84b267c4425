"""Permission modes: canonical spellings, the alias, the Shift+Tab cycle."""

from __future__ import annotations

import pytest

from tui.engine.permissions.modes import MODE_CYCLE, MODES, canonical_mode, next_mode


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("default", "default"),
        ("manual", "default"),
        ("MANUAL", "default"),
        ("acceptEdits", "acceptEdits"),
        ("acceptedits", "acceptEdits"),
        (" plan ", "plan"),
        ("dontAsk", "dontAsk"),
        ("bypassPermissions", "bypassPermissions"),
    ],
)
def test_canonical_mode(name: str, mode: str) -> None:
    assert canonical_mode(name) == mode


@pytest.mark.parametrize("name", ["auto", "", "yolo", None, 3])
def test_canonical_mode_rejects_unknown(name: object) -> None:
    with pytest.raises(ValueError, match="unknown permission mode") as info:
        canonical_mode(name)  # type: ignore[arg-type]
    message = str(info.value)
    assert all(mode in message for mode in MODES) and "manual" in message


@pytest.mark.parametrize(
    ("mode", "after"),
    [
        ("default", "acceptEdits"),
        ("manual", "acceptEdits"),
        ("acceptEdits", "plan"),
        ("plan", "default"),
        ("dontAsk", "default"),
        ("bypassPermissions", "default"),
    ],
)
def test_next_mode_cycles(mode: str, after: str) -> None:
    assert next_mode(mode) == after


def test_cycle_returns_to_start() -> None:
    mode = "default"
    seen = []
    for _ in MODE_CYCLE:
        seen.append(mode)
        mode = next_mode(mode)
    assert mode == "default" and seen == list(MODE_CYCLE)


def test_agent_files_accept_exactly_the_engines_modes() -> None:
    from tui.engine.agents.files import canonical_permission_mode

    assert [canonical_permission_mode(mode) for mode in MODES] == [(mode, None) for mode in MODES]
    assert canonical_permission_mode("Manual") == ("default", None)
    mode, warning = canonical_permission_mode("yolo")
    assert mode == "default" and warning is not None and all(known in warning for known in MODES)
