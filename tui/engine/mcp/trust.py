"""Trust before code runs: which configured MCP servers may start.

Servers from `--mcp-config`, the user's settings and agents outside the
workspace are trusted: the user wrote them. Servers declared by files inside
the workspace (`.mcp.json`, `.stepwise/settings.yaml`, a project agent) start
only after the user approved them once for this project. The approval is kept
in `$STEPWISE_HOME/mcp-trust.json`, keyed by the project root, the server name
and a digest of its entry: a changed entry asks again.

Claude Code's `enableAllProjectMcpServers`, `enabledMcpjsonServers` and
`disabledMcpjsonServers` are honoured from `~/.claude/settings.json` and from
`.claude/settings.local.json` when git does not track it (Claude Code writes
the user's answers there). A committed `.claude/settings.json` cannot approve
its own project's servers: whoever wrote the repository could pre-approve
anything, so those keys are reported and ignored there.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.engine.config.home import stepwise_home
from tui.engine.mcp.config import McpServerConfig
from tui.engine.workspace.fileio import atomic_write

TRUST_FILE = "mcp-trust.json"
_CLAUDE_KEYS = ("enableAllProjectMcpServers", "enabledMcpjsonServers", "disabledMcpjsonServers")


@dataclass(frozen=True)
class TrustDecision:
    trusted: bool
    reason: str
    disabled: bool = False
    """Switched off by `disabledMcpjsonServers`: never started, never asked about."""


@dataclass
class _ClaudeApprovals:
    enable_all: str | None = None
    """The file that sets `enableAllProjectMcpServers: true`."""
    enabled: dict[str, str] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)


def trust_path() -> Path:
    return stepwise_home() / TRUST_FILE


class TrustStore:
    """The user's remembered approvals of project servers."""

    def __init__(self, root: Path, warnings: list[str] | None = None) -> None:
        """Reads Claude Code's approvals now; problems are appended to `warnings`."""
        self.root = Path(root).resolve()
        self.warnings = warnings if warnings is not None else []
        self._claude = self._read_claude_settings()

    # -- reading ---------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        path = trust_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self.warnings.append(f"{path}: unreadable ({exc}); no project MCP server is trusted until it is fixed")
            return {}
        return data if isinstance(data, dict) else {}

    def _approved(self) -> dict[str, str]:
        projects = self._load().get("projects")
        entry = projects.get(str(self.root)) if isinstance(projects, dict) else None
        return {k: v for k, v in entry.items() if isinstance(v, str)} if isinstance(entry, dict) else {}

    def decide(self, config: McpServerConfig) -> TrustDecision:
        """Whether `config` may start now, and why."""
        if not config.needs_trust:
            reason = {"cli": "--mcp-config", "user": "user settings", "agent": "the agent's own file"}
            return TrustDecision(True, f"trusted: from {reason.get(config.scope, config.scope)}")
        if config.scope == "project":
            claude = self._claude
            if config.name in claude.disabled:
                return TrustDecision(
                    False, f"disabled by disabledMcpjsonServers in {claude.disabled[config.name]}", True
                )
            if config.name in claude.enabled:
                return TrustDecision(True, f"approved by enabledMcpjsonServers in {claude.enabled[config.name]}")
            if claude.enable_all:
                return TrustDecision(True, f"approved by enableAllProjectMcpServers in {claude.enable_all}")
        if self._approved().get(config.name) == config.fingerprint:
            return TrustDecision(True, "approved by you for this project")
        if config.name in self._approved():
            return TrustDecision(False, "its entry changed since you approved it: approve it again to start it")
        return TrustDecision(False, "a project server: approve it once to start it")

    # -- writing ---------------------------------------------------------------

    def approve(self, config: McpServerConfig) -> None:
        """Remember that the user trusts this entry in this project.

        Raises:
            OSError: the trust file cannot be written.
        """
        data = self._load()
        projects = data.setdefault("projects", {})
        if not isinstance(projects, dict):
            projects = data["projects"] = {}
        entry = projects.setdefault(str(self.root), {})
        entry[config.name] = config.fingerprint
        data["version"] = 1
        atomic_write(trust_path(), (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))

    # -- Claude Code's settings --------------------------------------------------

    def _read_claude_settings(self) -> _ClaudeApprovals:
        approvals = _ClaudeApprovals()
        files = [Path.home() / ".claude" / "settings.json"]
        local = self.root / ".claude" / "settings.local.json"
        if local.exists() and not _tracked(self.root, local):
            files.append(local)
        elif local.exists():
            self._ignore_committed(local)
        self._ignore_committed(self.root / ".claude" / "settings.json")
        for path in files:
            data = _read_json(path)
            if data is None:
                continue
            if data.get("enableAllProjectMcpServers") is True:
                approvals.enable_all = str(path)
            for key, into in (
                ("enabledMcpjsonServers", approvals.enabled),
                ("disabledMcpjsonServers", approvals.disabled),
            ):
                names = data.get(key)
                if isinstance(names, list):
                    into.update({str(name): str(path) for name in names})
        return approvals

    def _ignore_committed(self, path: Path) -> None:
        data = _read_json(path)
        keys = [key for key in _CLAUDE_KEYS if data and key in data]
        if keys:
            self.warnings.append(
                f"{path}: {', '.join(keys)} ignored: a file committed to the project cannot approve its own "
                "MCP servers (approve them in stepwise, or in ~/.claude/settings.json)"
            )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _tracked(root: Path, path: Path) -> bool:
    """Whether git tracks `path` (a tracked file came with the repository, not from this user's tools)."""
    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path.relative_to(root))],
            cwd=root,
            capture_output=True,
            timeout=10,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return True  # unknown: fail closed
    return done.returncode != 1  # 1: not tracked; anything else (no repository, an error) fails closed
