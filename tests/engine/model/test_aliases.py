from pathlib import Path

import pytest

from tui.engine.config.settings import Settings
from tui.engine.model import aliases as models
from tui.engine.model.aliases import FALLBACK_ALIASES, default_aliases, newest_by_family, resolve_model


def test_newest_by_family_compares_versions_and_ignores_snapshots():
    ids = [
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-opus-4-10",
        "claude-opus-5-20260101",
        "claude-haiku-4-5-20251001",
        "claude-haiku-4-5",
        "claude-mythos-preview",
        "claude-3-5-sonnet-20240620",
    ]
    assert newest_by_family(ids) == {"opus": "claude-opus-5", "haiku": "claude-haiku-4-5"}


def test_default_aliases_come_from_the_installed_sdk():
    aliases = default_aliases()
    assert aliases["haiku"] == "claude-haiku-5-5"
    assert aliases["sonnet"] == "claude-sonnet-5-5"
    assert aliases["opus"] == "claude-opus-5-5"
    assert aliases["fable"].startswith("claude-fable-")


def test_sdk_file_is_read_as_text_without_importing_anthropic():
    import subprocess
    import sys

    code = "import sys; from tui.engine.model.aliases import default_aliases; default_aliases(); print('anthropic' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "False"


def test_missing_sdk_file_uses_the_fallback(monkeypatch):
    monkeypatch.setattr(models, "sdk_model_file", lambda: None)
    models._sdk_aliases.cache_clear()
    try:
        assert default_aliases() == FALLBACK_ALIASES
    finally:
        models._sdk_aliases.cache_clear()


def test_aliases_ids_inherit_and_unknowns():
    aliases = {"haiku": "claude-haiku-9", "opus": "claude-opus-9"}
    assert resolve_model("haiku", "opus", aliases).resolved == "claude-haiku-9"
    assert resolve_model("Haiku", "opus", aliases).resolved == "claude-haiku-9"
    assert resolve_model("claude-sonnet-4-20250514", "opus", aliases).resolved == "claude-sonnet-4-20250514"
    inherited = resolve_model("inherit", "opus", aliases)
    assert (inherited.resolved, inherited.warning) == ("claude-opus-9", None)
    assert resolve_model(None, "haiku", aliases).resolved == "claude-haiku-9"
    copilot = resolve_model("Claude Sonnet 4.5 (copilot)", "opus", aliases)
    assert copilot.resolved == "claude-opus-9"
    assert copilot.requested == "Claude Sonnet 4.5 (copilot)"
    assert "not a Claude model" in copilot.warning


def test_default_session_model_is_sonnet():
    assert resolve_model(None).resolved == default_aliases()["sonnet"]


def test_unknown_session_model_falls_back_with_a_warning():
    result = resolve_model("auto", "gpt-5", Settings().model_aliases)
    assert result.resolved == default_aliases()["sonnet"]
    assert "gpt-5" in result.warning and "'auto'" in result.warning


def test_a_model_the_user_names_is_refused_when_unknown_with_the_aliases_listed():
    from tui.engine.model.aliases import UnknownModelError, validate_model

    aliases = {"haiku": "claude-haiku-9", "opus": "claude-opus-9"}
    assert validate_model("opus", aliases) == "claude-opus-9"
    assert validate_model("claude-custom-1", aliases) == "claude-custom-1"
    with pytest.raises(UnknownModelError, match=r"unknown model 'nonsense-model'; use an alias \(haiku, opus\)"):
        validate_model("nonsense-model", aliases)


def test_an_unknown_agent_model_and_session_model_give_one_warning_naming_both():
    result = resolve_model("nonsense", "worse", Settings().model_aliases)
    assert result.warning == (
        "neither model 'nonsense' nor the session model 'worse' is a Claude model alias or id; "
        f"using {default_aliases()['sonnet']}"
    )
