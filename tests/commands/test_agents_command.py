import argparse
import json

import pytest

from tui.commands.agents import add_arguments, run
from tui.engine.config.home import bundled_dir
from tui.engine.model.aliases import default_aliases


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with isolated HOME and STEPWISE_HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STEPWISE_HOME", str(tmp_path / "stepwise-home"))
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def run_json(capsys, **kwargs):
    args = argparse.Namespace(json=True, agent=None, **kwargs)
    code = run(args)
    return code, json.loads(capsys.readouterr().out)


def test_bundled_backend_dev_resolves(repo, capsys):
    code, report = run_json(capsys, cwd=repo)
    assert code == 0
    backend = next(a for a in report["agents"] if a["name"] == "backend-dev")
    assert backend["source"] == str(bundled_dir("agents") / "backend-dev.md")
    assert backend["tools"] == ["create_file", "replace_string_in_file", "read_file", "grep_search", "run_in_terminal"]
    assert backend["model"] == {"requested": "haiku", "resolved": "claude-haiku-5-5"}
    assert backend["permission_mode"] == "default"
    assert [(s["name"], s["found"]) for s in backend["skills"]] == [
        ("backend-patterns", True),
        ("api-best-practices", True),
        ("security-patterns", True),
    ]
    assert backend["warnings"] == []
    assert report["shadowed"] == [] and report["skipped"] == []


def test_shadowed_and_skipped_entries(repo, capsys):
    folder = repo / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "general.md").write_text("---\nname: general\ndescription: mine\nmodel: opus\n---\n", encoding="utf-8")
    (folder / "broken.md").write_text("---\nname: broken\n", encoding="utf-8")
    code, report = run_json(capsys, cwd=repo)
    assert code == 0
    general = next(a for a in report["agents"] if a["name"] == "general")
    assert general["source"] == str(folder / "general.md")
    assert general["model"]["requested"] == "opus"
    (shadowed,) = report["shadowed"]
    assert shadowed["name"] == "general"
    assert shadowed["source"] == str(bundled_dir("agents") / "general.md")
    assert shadowed["shadowed_by"] == str(folder / "general.md")
    (skipped,) = report["skipped"]
    assert skipped["path"] == str(folder / "broken.md")
    assert "never closed" in skipped["reason"]


def test_project_settings_change_the_resolved_model(repo, capsys):
    (repo / ".stepwise").mkdir()
    (repo / ".stepwise" / "settings.yaml").write_text("model_aliases: {haiku: claude-haiku-custom}\n", encoding="utf-8")
    _, report = run_json(capsys, cwd=repo)
    backend = next(a for a in report["agents"] if a["name"] == "backend-dev")
    assert backend["model"]["resolved"] == "claude-haiku-custom"


def test_bad_explicit_agent_fails(repo, capsys):
    code = run(argparse.Namespace(json=True, agent=str(repo / "missing.md"), cwd=repo))
    captured = capsys.readouterr()
    assert code == 1
    assert "missing.md does not exist" in captured.err
    assert json.loads(captured.out)["skipped"][0]["reason"] == "does not exist"


def test_text_table(repo, capsys):
    assert run(argparse.Namespace(json=False, agent=None, cwd=repo)) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["NAME", "MODEL", "MODE", "TOOLS", "SKILLS", "SOURCE"]
    backend_row = next(line for line in out.splitlines() if line.startswith("backend-dev "))
    assert "claude-haiku-5-5" in backend_row and "default" in backend_row


def test_add_arguments_does_not_clobber_a_global_agent_option():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent")
    sub = parser.add_subparsers(dest="command")
    add_arguments(sub.add_parser("agents"))
    args = parser.parse_args(["--agent", "x.md", "agents", "--json"])
    assert (args.agent, args.json) == ("x.md", True)
    assert parser.parse_args(["agents", "--agent", "y.md"]).agent == "y.md"


def test_the_report_says_which_agents_can_delegate_and_to_whom(repo, capsys):
    code, report = run_json(capsys, cwd=repo)
    assert code == 0
    by_name = {agent["name"]: agent for agent in report["agents"]}
    assert by_name["general"]["delegates_to"] == ["general", "backend-dev"]
    assert by_name["backend-dev"]["delegates_to"] == []  # its tools do not name Task
    run(argparse.Namespace(json=False, agent=None, cwd=repo))
    assert "can delegate to: general, backend-dev" in capsys.readouterr().out


def test_a_copilot_agent_shows_its_mapped_tools_and_model(repo, capsys):
    agents = repo / ".github" / "agents"
    agents.mkdir(parents=True)
    (agents / "api.agent.md").write_text(
        "---\ndescription: API work\ntools: ['runCommands', 'editFiles', 'codebase', 'Microsoft Docs']\n"
        "model: Claude Sonnet 4.5\n---\nYou build APIs.\n"
    )
    code, report = run_json(capsys, cwd=repo)
    assert code == 0
    api = next(a for a in report["agents"] if a["name"] == "api")
    assert api["tools"] == [
        "run_in_terminal",
        "get_terminal_output",
        "create_file",
        "replace_string_in_file",
        "multi_replace_string_in_file",
        "grep_search",
        "file_search",
    ]
    # claude-sonnet-4-5 is not in the installed SDK's model list: the sonnet alias, with a warning.
    assert api["model"] == {"requested": "Claude Sonnet 4.5", "resolved": default_aliases()["sonnet"]}
    assert any("claude-sonnet-4-5" in warning for warning in api["warnings"])
    assert any("Microsoft Docs" in warning for warning in api["warnings"])
