"""`stepwise doctor`: which protections are active, from the real probe and the real workspace."""

from __future__ import annotations

import json

from tui.cli import main
from tui.engine.exec import sandbox as sandbox_module
from tui.engine.exec.sandbox import SandboxStatus, probe


def test_doctor_reports_the_sandbox_network_subreaper_and_protected_paths(git_repo, capsys):
    (git_repo / "sub").mkdir()
    (git_repo / "sub" / "CLAUDE.md").write_text("# nested\n")
    assert main(["doctor", "--json", "--cwd", str(git_repo)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["sandbox"] == ("on" if probe().available else "unavailable")
    assert found["network"] == ("off for commands" if probe().available else "not restricted (no sandbox)")
    assert found["subreaper"] is True
    assert {".git/config", ".git/hooks", "sub/CLAUDE.md"} <= set(found["protected_paths"])


def test_doctor_says_commands_run_unsandboxed_without_bubblewrap(git_repo, capsys, monkeypatch):
    monkeypatch.setattr(sandbox_module, "probe", lambda: SandboxStatus(False, "bubblewrap (`bwrap`) is not installed"))
    from tui.commands import doctor

    monkeypatch.setattr(doctor, "probe", sandbox_module.probe)
    assert main(["doctor", "--cwd", str(git_repo)]) == 0
    out = capsys.readouterr().out
    assert "sandbox: unavailable (commands run unsandboxed: bubblewrap (`bwrap`) is not installed)" in out
    assert "protected paths (" in out and ".git/config" in out


def test_doctor_lists_additional_directories_and_their_protected_paths(git_repo, capsys):
    shared = git_repo.parent / "shared"
    (shared / ".claude").mkdir(parents=True)
    (git_repo / ".claude").mkdir()
    (git_repo / ".claude" / "settings.json").write_text(
        json.dumps({"permissions": {"additionalDirectories": ["../shared", "../gone"]}})
    )
    assert main(["doctor", "--cwd", str(git_repo)]) == 0
    out = capsys.readouterr().out
    assert f"additional directory {shared} (from .claude/settings.json): the agent may read it" in out
    assert "warning: .claude/settings.json: additional directory ../gone" in out
    assert main(["doctor", "--json", "--cwd", str(git_repo)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert str(shared / ".claude") in found["protected_paths"]
