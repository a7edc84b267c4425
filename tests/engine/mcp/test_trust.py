import json
import subprocess
from pathlib import Path

from tui.engine.mcp.config import load_mcp_configs
from tui.engine.mcp.trust import TrustStore


def project(tmp_path: Path, entry: dict) -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": {"srv": entry}}))
    return root


def decide(root: Path):
    return TrustStore(root).decide(load_mcp_configs(root).servers["srv"])


def test_a_project_server_needs_approval_and_a_changed_entry_asks_again(tmp_path, homes):
    root = project(tmp_path, {"command": "srv", "args": ["1"]})
    assert decide(root).trusted is False
    TrustStore(root).approve(load_mcp_configs(root).servers["srv"])
    assert decide(root).trusted is True
    project(tmp_path, {"command": "srv", "args": ["2"]})
    again = decide(root)
    assert again.trusted is False and "changed" in again.reason


def test_an_approval_belongs_to_one_project(tmp_path, homes):
    root = project(tmp_path, {"command": "srv"})
    TrustStore(root).approve(load_mcp_configs(root).servers["srv"])
    other = tmp_path / "other"
    other.mkdir()
    (other / ".mcp.json").write_text((root / ".mcp.json").read_text())
    assert TrustStore(other).decide(load_mcp_configs(other).servers["srv"]).trusted is False


def test_claude_code_settings_outside_the_repository_approve_and_disable(tmp_path, homes):
    home, _ = homes
    root = project(tmp_path, {"command": "srv"})
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text(json.dumps({"enableAllProjectMcpServers": True}))
    assert decide(root).trusted is True
    (home / ".claude" / "settings.json").write_text(json.dumps({"disabledMcpjsonServers": ["srv"]}))
    assert decide(root).disabled is True


def test_an_untracked_local_settings_file_approves_but_a_committed_one_does_not(tmp_path, homes):
    root = project(tmp_path, {"command": "srv"})
    (root / ".claude").mkdir()
    local = root / ".claude" / "settings.local.json"
    local.write_text(json.dumps({"enabledMcpjsonServers": ["srv"]}))
    assert decide(root).trusted is True
    subprocess.run(["git", "add", "-f", str(local)], cwd=root, check=True)
    warnings: list[str] = []
    store = TrustStore(root, warnings)
    assert store.decide(load_mcp_configs(root).servers["srv"]).trusted is False
    assert any("cannot approve its own" in w for w in warnings)


def test_a_committed_shared_settings_file_cannot_approve_its_own_servers(tmp_path, homes):
    root = project(tmp_path, {"command": "srv"})
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text(json.dumps({"enableAllProjectMcpServers": True}))
    warnings: list[str] = []
    assert TrustStore(root, warnings).decide(load_mcp_configs(root).servers["srv"]).trusted is False
    assert len(warnings) == 1 and "enableAllProjectMcpServers ignored" in warnings[0]
