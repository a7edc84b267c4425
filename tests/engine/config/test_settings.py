import pytest
import yaml

from tui.engine.config.settings import SettingsError, load_settings, save_user_setting, user_settings_path
from tui.engine.model.aliases import default_aliases
from tui.engine.model.pricing import DEFAULT_PRICES


@pytest.fixture
def user_home(tmp_path, monkeypatch):
    home = tmp_path / "stepwise-home"
    home.mkdir()
    monkeypatch.setenv("STEPWISE_HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / ".stepwise").mkdir(parents=True)
    return root


def test_defaults_without_files(user_home, project):
    settings = load_settings(project)
    assert settings.model == "sonnet"
    assert settings.model_aliases == default_aliases()
    assert settings.prices == DEFAULT_PRICES
    # The sandbox is neither asked for nor refused: on wherever bubblewrap works.
    assert (settings.theme, settings.sandbox, settings.sandbox_network, settings.auto_commit) == (
        None,
        None,
        False,
        False,
    )
    assert settings.warnings == [] and settings.sources == []


def test_project_overrides_user_and_mappings_merge(user_home, project):
    (user_home / "settings.yaml").write_text(
        "model: haiku\ntheme: nord\nmodel_aliases: {opus: claude-opus-user, fast: claude-haiku-x}\n"
        "permissions: {allow: ['Bash(ls)']}\n",
        encoding="utf-8",
    )
    (project / ".stepwise" / "settings.yaml").write_text(
        "model: opus\nauto_commit: true\nmodel_aliases: {opus: claude-opus-project}\n"
        "permissions: {deny: ['Bash(rm:*)']}\n",
        encoding="utf-8",
    )
    settings = load_settings(project)
    assert settings.model == "opus"
    assert settings.theme == "nord"
    assert settings.auto_commit is True
    assert settings.model_aliases["opus"] == "claude-opus-project"
    assert settings.model_aliases["fast"] == "claude-haiku-x"
    assert settings.model_aliases["haiku"] == default_aliases()["haiku"]
    assert settings.raw["permissions"] == {"allow": ["Bash(ls)"], "deny": ["Bash(rm:*)"]}
    assert len(settings.sources) == 2


def test_broken_yaml_names_the_file_and_uses_defaults(user_home, project):
    broken = project / ".stepwise" / "settings.yaml"
    broken.write_text("model: [opus\ntheme: x\n", encoding="utf-8")
    settings = load_settings(project)
    assert settings.model == "sonnet"
    assert len(settings.warnings) == 1
    assert str(broken) in settings.warnings[0] and "not valid YAML" in settings.warnings[0]


def test_non_mapping_and_bad_values_warn(user_home, project):
    (user_home / "settings.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (project / ".stepwise" / "settings.yaml").write_text(
        "sandbox: maybe\nmodel_aliases: {opus: 5}\nprices: {sonnet: {input: -1}}\n", encoding="utf-8"
    )
    settings = load_settings(project)
    assert settings.sandbox is None
    assert settings.model_aliases["opus"] == default_aliases()["opus"]
    assert settings.prices["sonnet"] == DEFAULT_PRICES["sonnet"]
    text = "\n".join(settings.warnings)
    assert "must be a mapping" in text and str(user_home / "settings.yaml") in text
    assert "`sandbox` must be true or false" in text
    assert "`model_aliases.opus`" in text
    assert "`prices.sonnet`" in text


def test_prices_override_and_derive_cache_prices(user_home, project):
    (project / ".stepwise" / "settings.yaml").write_text(
        "prices:\n"
        "  claude-opus-5-5: {input: 10, output: 50}\n"
        "  haiku: {output: 6}\n"
        "  sonnet: {input: 4}\n"
        "  custom: {input: 1}\n",
        encoding="utf-8",
    )
    settings = load_settings(project)
    assert settings.price_for("claude-opus-5-5") == {"input": 10, "output": 50, "cache_write": 12.5, "cache_read": 1.0}
    assert settings.price_for("claude-opus-4-8") == DEFAULT_PRICES["opus"]
    assert settings.price_for("claude-haiku-5-5") == {**DEFAULT_PRICES["haiku"], "output": 6}
    assert settings.price_for("claude-sonnet-5-5") == {"input": 4, "output": 15, "cache_write": 5.0, "cache_read": 0.4}
    assert settings.price_for("gpt-4") is None
    assert "custom" not in settings.prices
    assert "`prices.custom` needs at least `input` and `output`" in settings.warnings[0]


def test_context_windows_override_the_table_and_bad_values_warn(user_home, project):
    from tui.engine.model.context import DEFAULT_COMPACT_AT, DEFAULT_WINDOW

    assert load_settings(project).context_window("claude-opus-5-5") == DEFAULT_WINDOW
    (project / ".stepwise" / "settings.yaml").write_text(
        "context_windows: {claude-sonnet-5-5: 1000000, haiku: 50000, opus: 10}\ncompact_at: 0.6\n", encoding="utf-8"
    )
    settings = load_settings(project)
    assert settings.context_window("claude-sonnet-5-5") == 1_000_000
    assert settings.context_window("claude-sonnet-4-5") == DEFAULT_WINDOW
    assert settings.context_window("claude-haiku-5-5") == 50_000
    assert settings.context_window("claude-opus-5-5") == DEFAULT_WINDOW
    assert "`context_windows.opus` must be a number of tokens (at least 1000), got 10" in settings.warnings[0]
    assert settings.compact_at == 0.6
    (project / ".stepwise" / "settings.yaml").write_text("compact_at: 1.5\n", encoding="utf-8")
    settings = load_settings(project)
    assert settings.compact_at == DEFAULT_COMPACT_AT and "`compact_at` must be a share" in settings.warnings[0]


def test_save_user_setting_keeps_other_keys(user_home):
    (user_home / "settings.yaml").write_text("model: opus\nprices: {opus: {input: 1, output: 2}}\n", encoding="utf-8")
    path = save_user_setting("theme", "gruvbox")
    assert path == user_settings_path()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data == {"model": "opus", "prices": {"opus": {"input": 1, "output": 2}}, "theme": "gruvbox"}
    assert load_settings().theme == "gruvbox"


def test_save_user_setting_creates_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STEPWISE_HOME", str(tmp_path / "new-home"))
    save_user_setting("sandbox", True)
    assert load_settings().sandbox is True


def test_save_refuses_to_clobber_a_broken_file(user_home):
    path = user_home / "settings.yaml"
    path.write_text("model: [broken\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not saving 'theme'"):
        save_user_setting("theme", "x")
    assert path.read_text(encoding="utf-8") == "model: [broken\n"
