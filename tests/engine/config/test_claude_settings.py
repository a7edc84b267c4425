import json

from tui.engine.config.claude_settings import load_claude_settings
from tui.engine.config.settings import load_settings


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def test_files_in_precedence_order_and_what_each_key_gives(tmp_path, homes):
    home, _ = homes
    root = tmp_path / "repo"
    write(root / ".claude" / "settings.local.json", {"env": {"A": "local"}, "permissions": {"defaultMode": "plan"}})
    write(
        root / ".claude" / "settings.json",
        {
            "env": {"A": "project", "B": 2},
            "model": "opus",
            "statusLine": {},
            "permissions": {"defaultMode": "acceptEdits", "disableBypassPermissionsMode": "disable"},
        },
    )
    write(home / ".claude" / "settings.json", {"env": {"C": "user"}, "apiKeyHelper": "x", "statusLine": {}})
    settings = load_claude_settings(root)
    assert [f.label for f in settings.files] == [
        ".claude/settings.local.json",
        ".claude/settings.json",
        "~/.claude/settings.json",
    ]
    assert settings.env() == {"A": "local", "B": "2", "C": "user"}
    assert (settings.default_mode, settings.model) == ("plan", "opus")
    assert settings.unhonoured() == [
        "statusLine (.claude/settings.json, ~/.claude/settings.json)",
        "permissions.disableBypassPermissionsMode (.claude/settings.json)",
        "apiKeyHelper (~/.claude/settings.json)",
    ]


def test_broken_files_are_reported_and_skipped(tmp_path, homes):
    root = tmp_path / "repo"
    write(root / ".claude" / "settings.json", "{not json")
    write(root / ".claude" / "settings.local.json", "[1, 2]")
    settings = load_claude_settings(root)
    assert settings.files == []
    assert [w.split(":")[0] for w in settings.warnings] == [".claude/settings.local.json", ".claude/settings.json"]


def test_stepwise_settings_win_and_unused_keys_are_noted_once(tmp_path, homes):
    root = tmp_path / "repo"
    write(
        root / ".claude" / "settings.json",
        {"model": "opus", "env": {"X": "claude"}, "permissions": {"defaultMode": "acceptEdits"}, "statusLine": {}},
    )
    (root / ".stepwise").mkdir()
    (root / ".stepwise" / "settings.yaml").write_text("model: haiku\nenv: {X: stepwise, Y: 1}\n")
    settings = load_settings(root)
    assert (settings.model, settings.default_mode) == ("haiku", "acceptEdits")
    assert settings.env == {"X": "stepwise", "Y": "1"}
    assert [w for w in settings.warnings if "does not use" in w] == [
        "Claude Code settings stepwise does not use: statusLine (.claude/settings.json)"
    ]


def test_additional_directories_from_every_settings_file(tmp_path, homes):
    home, _ = homes
    root = tmp_path / "repo"
    for folder in ("shared", "mine"):
        (tmp_path / folder).mkdir()
    (home / "lib").mkdir(parents=True)
    write(root / ".claude" / "settings.json", {"permissions": {"additionalDirectories": ["../shared", "../gone"]}})
    write(root / ".claude" / "settings.local.json", {"permissions": {"additionalDirectories": ["../shared"]}})
    write(home / ".claude" / "settings.json", {"permissions": {"additionalDirectories": ["~/lib", "sub"]}})
    (root / "sub").mkdir()
    write(root / ".stepwise" / "settings.yaml", "permissions:\n  additionalDirectories: [../mine, 7, /]\n")
    settings = load_settings(root)
    assert [(d.path, d.source) for d in settings.additional_directories] == [
        ((tmp_path / "mine").resolve(), str(root / ".stepwise" / "settings.yaml")),
        ((tmp_path / "shared").resolve(), ".claude/settings.local.json"),
        ((home / "lib").resolve(), "~/.claude/settings.json"),
    ]
    gone = [w for w in settings.warnings if "gone" in w]
    assert gone == [
        f".claude/settings.json: additional directory ../gone ({tmp_path / 'gone'}) skipped: it does not exist"
    ]
    assert any("additional directory 7 ignored" in w for w in settings.warnings)
    assert any("additional directory / refused" in w for w in settings.warnings)
    assert not any("additionalDirectories" in w for w in settings.warnings)  # honoured, so not listed as unused
