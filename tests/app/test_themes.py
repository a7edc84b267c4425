"""Theme files: bundled themes, user overrides, broken files skipped with a warning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.app import App

from tui.app import themes as themes_module
from tui.app.themes import DiffColors, ThemeError, load_theme_file, load_themes, register_all

BUNDLED = ("stepwise-dark", "stepwise-light", "stepwise-high-contrast")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEPWISE_HOME", str(tmp_path))
    (tmp_path / "themes").mkdir()
    return tmp_path


def test_bundled_themes_load_cleanly(home: Path) -> None:
    warnings: list[str] = []
    themes = load_themes(warnings)
    assert warnings == []
    assert set(BUNDLED) <= set(themes)
    assert themes["stepwise-dark"].dark and not themes["stepwise-light"].dark
    assert themes["stepwise-dark"].pygments_style == "monokai"
    assert themes["stepwise-light"].pygments_style == "friendly"
    assert themes["stepwise-high-contrast"].pygments_style == "github-dark"
    theme = themes["stepwise-light"].textual_theme()
    assert theme.name == "stepwise-light" and theme.dark is False
    assert theme.background == "#FFFFFF"


def test_user_theme_overrides_bundled_by_name(home: Path) -> None:
    (home / "themes" / "mine.yaml").write_text(
        "name: stepwise-dark\nprimary: '#ff0000'\npygments_style: dracula\ndiff:\n  added_bg: green\n"
    )
    themes = load_themes()
    spec = themes["stepwise-dark"]
    assert spec.source == home / "themes" / "mine.yaml"
    assert spec.colors["primary"] == "#FF0000"
    assert spec.pygments_style == "dracula"
    assert spec.diff.added_bg == "#008000"
    # Colours the user left out fall back to the defaults for a dark theme.
    assert spec.diff.removed_bg == DiffColors.defaults(dark=True).removed_bg


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("name: [unclosed\n", "invalid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("primary: '#123456'\n", "'name'"),
        ("name: x\n", "'primary'"),
        ("name: x\nprimary: not-a-colour\n", "'primary' is not a colour"),
        ("name: x\nprimary: red\ndark: maybe\n", "'dark'"),
        ("name: x\nprimary: red\npygments_style: nope\n", "unknown pygments_style 'nope'"),
        ("name: x\nprimary: red\ndiff:\n  added_bg: 12\n", "'diff.added_bg' must be a colour"),
    ],
)
def test_broken_theme_file_is_skipped_with_a_warning(home: Path, content: str, problem: str) -> None:
    broken = home / "themes" / "broken.yaml"
    broken.write_text(content)
    warnings: list[str] = []
    themes = load_themes(warnings)
    assert set(BUNDLED) <= set(themes)
    assert "x" not in themes
    assert len(warnings) == 1
    assert str(broken) in warnings[0] and problem in warnings[0] and "skipped" in warnings[0]
    with pytest.raises(ThemeError, match=r"broken\.yaml"):
        load_theme_file(broken)


def test_unknown_keys_are_reported_but_the_theme_loads(home: Path) -> None:
    (home / "themes" / "typo.yaml").write_text("name: typo\nprimary: red\nprimery: blue\ndiff:\n  added: red\n")
    warnings: list[str] = []
    themes = load_themes(warnings)
    assert "typo" in themes
    assert any("'primery'" in warning for warning in warnings)
    assert any("'added'" in warning for warning in warnings)


async def test_register_all_makes_themes_selectable(home: Path) -> None:
    app: App[None] = App()
    async with app.run_test(size=(40, 10)):
        themes = register_all(app)
        assert set(BUNDLED) <= set(app.available_themes)
        app.theme = "stepwise-light"
        assert app.current_theme.dark is False
        assert themes["stepwise-light"].textual_theme().primary == app.current_theme.primary


# --- the cache of validated themes ----------------------------------------------------


def _parsing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parse(path: Path, warnings: list[str] | None = None) -> None:
        raise AssertionError(f"{path} was parsed")

    monkeypatch.setattr(themes_module, "load_theme_file", no_parse)


def test_unchanged_theme_files_come_from_the_cache(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "themes" / "mine.yaml").write_text("name: mine\nprimary: red\nshade: 3\n")
    cache = home / "cache" / "themes.json"
    first_warnings: list[str] = []
    first = load_themes(first_warnings, cache=cache)
    assert cache.is_file()

    _parsing_fails(monkeypatch)
    warnings: list[str] = []
    again = load_themes(warnings, cache=cache)

    assert again == first
    assert warnings == first_warnings and "unknown key 'shade'" in warnings[0]  # reported on every start


def test_a_changed_theme_file_is_parsed_again(home: Path) -> None:
    mine = home / "themes" / "mine.yaml"
    mine.write_text("name: mine\nprimary: red\n")
    cache = home / "cache" / "themes.json"
    load_themes(cache=cache)

    mine.write_text("name: mine\nprimary: '#00ff00'\n")
    os.utime(mine, ns=(mine.stat().st_atime_ns, mine.stat().st_mtime_ns + 1_000_000_000))

    assert load_themes(cache=cache)["mine"].colors["primary"] == "#00FF00"


def test_a_broken_theme_is_never_cached(home: Path) -> None:
    (home / "themes" / "bad.yaml").write_text("name: bad\n")
    cache = home / "cache" / "themes.json"
    for _ in range(2):
        warnings: list[str] = []
        assert "bad" not in load_themes(warnings, cache=cache)
        assert any("'primary'" in warning for warning in warnings)


@pytest.mark.parametrize("content", ["{not json", '{"header": [1, "0.0"], "themes": {}}', '{"header": null}'])
def test_a_corrupt_or_stale_cache_is_ignored_and_rewritten(home: Path, content: str) -> None:
    cache = home / "cache" / "themes.json"
    cache.parent.mkdir()
    cache.write_text(content)
    expected = load_themes()

    assert load_themes(cache=cache) == expected
    assert json.loads(cache.read_text())["themes"]


def test_a_cache_entry_that_does_not_fit_is_parsed_instead(home: Path) -> None:
    cache = home / "cache" / "themes.json"
    expected = load_themes(cache=cache)
    data = json.loads(cache.read_text())
    for entry in data["themes"].values():
        entry["spec"]["colors"] = ["not", "a", "mapping"]
    cache.write_text(json.dumps(data))

    assert load_themes(cache=cache) == expected


def test_an_unwritable_cache_only_costs_the_parse(home: Path) -> None:
    (home / "cache").write_text("a file where the folder should be")
    assert set(BUNDLED) <= set(load_themes(cache=home / "cache" / "themes.json"))


def test_a_cached_colour_that_is_no_colour_sends_the_file_back_to_the_parser(home: Path) -> None:
    cache = home / "cache" / "themes.json"
    expected = load_themes(cache=cache)
    data = json.loads(cache.read_text())
    for entry in data["themes"].values():
        entry["spec"]["colors"]["primary"] = "not-a-colour"
    cache.write_text(json.dumps(data))

    assert load_themes(cache=cache) == expected


def test_a_copy_that_keeps_the_modification_time_is_parsed_again(home: Path) -> None:
    mine = home / "themes" / "mine.yaml"
    mine.write_text("name: mine\nprimary: '#ff0000'\n")
    cache = home / "cache" / "themes.json"
    load_themes(cache=cache)
    before = mine.stat()

    replacement = home / "replacement.yaml"
    replacement.write_text("name: mine\nprimary: '#00ff00'\n")  # the same size
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, mine)  # as `cp -p` or an archive would leave it: same size, same mtime

    assert load_themes(cache=cache)["mine"].colors["primary"] == "#00FF00"
