"""MCP server configuration: where servers are declared, `${VAR}` expansion, and validation.

Sources, highest precedence first (the first one to name a server wins; the
others are listed as shadowed):

1. `--mcp-config FILE` (repeatable; Claude Code's `{"mcpServers": {...}}` JSON)
2. the agent's frontmatter `mcpServers` / `mcp-servers` (only for that agent)
3. `mcpServers` in `.stepwise/settings.yaml`
4. the project's `.mcp.json` (Claude Code's format)
5. `mcpServers` in `$STEPWISE_HOME/settings.yaml`

An entry is `{command, args, env, cwd}` (stdio) or `{type: "http" | "sse", url,
headers}`; strings may use `${VAR}` and `${VAR:-default}`. A file that is not
valid JSON/YAML, or an entry without `command`/`url`, becomes a warning naming
the file, and every other entry still loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.engine.config.settings import Settings, load_settings

PROJECT_MCP_FILE = ".mcp.json"

Transport = Literal["stdio", "http", "sse"]
Scope = Literal["cli", "agent", "project-settings", "project", "user"]

PROJECT_SCOPES: frozenset[Scope] = frozenset({"project-settings", "project"})
"""Scopes whose servers come from files inside the workspace: they start only once the user trusts them."""

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_TRANSPORT_NAMES: dict[str, Transport] = {
    "stdio": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamablehttp": "http",
    "streamable_http": "http",
    "sse": "sse",
}


@dataclass(frozen=True)
class McpServerConfig:
    """One server as configured (strings already expanded)."""

    name: str
    transport: Transport
    scope: Scope
    source: str
    """Where it was declared: a file path, or `agent NAME (path)`."""
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    fingerprint: str = ""
    """A digest of the entry as written: a changed entry is a new entry for trust."""

    @property
    def needs_trust(self) -> bool:
        return self.scope in PROJECT_SCOPES

    def launch_line(self) -> str:
        """Exactly what starting it runs or connects to, as shown before the user trusts it."""
        if self.transport == "stdio":
            env = " ".join(f"{key}={shlex.quote(value)}" for key, value in self.env)
            line = shlex.join([self.command, *self.args])
            where = f" (in {self.cwd})" if self.cwd else ""
            return f"{env + ' ' if env else ''}{line}{where}"
        headers = ", ".join(f"{key}: …" for key, _ in self.headers)
        return f"{self.transport.upper()} {self.url}" + (f" (headers {headers})" if headers else "")

    def describe(self) -> dict[str, Any]:
        """The JSON form for `stepwise mcp get` (header values are not shown: they are often secrets)."""
        data: dict[str, Any] = {"name": self.name, "transport": self.transport, "scope": self.scope}
        data["source"] = self.source
        if self.transport == "stdio":
            data.update(command=self.command, args=list(self.args), env=sorted(k for k, _ in self.env), cwd=self.cwd)
        else:
            data.update(url=self.url, headers=sorted(k for k, _ in self.headers))
        return data


@dataclass
class McpConfigSet:
    """Every server found, in precedence order, with what was shadowed and what was wrong."""

    servers: dict[str, McpServerConfig] = field(default_factory=dict)
    shadowed: list[McpServerConfig] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, config: McpServerConfig) -> None:
        if config.name in self.servers:
            self.shadowed.append(config)
        else:
            self.servers[config.name] = config


def expand(value: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """`value` with `${VAR}` and `${VAR:-default}` replaced, and the variables that were unset (no default)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ and (environ[name] or default is None):
            return environ[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _VAR.sub(replace, value), missing


def parse_entry(
    name: str, entry: Any, *, scope: Scope, source: str, environ: Mapping[str, str] | None = None
) -> McpServerConfig:
    """One server from its entry.

    Raises:
        ValueError: the entry is not a mapping, has neither `command` nor `url`,
            names an unknown `type`, or has fields of the wrong type.
    """
    env_source = os.environ if environ is None else environ
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a server name must be a non-empty string, got {name!r}")
    if not isinstance(entry, dict):
        raise ValueError(f"server {name!r}: an entry is a mapping with `command` or `url`")
    missing: list[str] = []

    def text(key: str) -> str:
        value = entry.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValueError(f"server {name!r}: `{key}` must be a string")
        result, unset = expand(str(value), env_source)
        missing.extend(unset)
        return result

    def strings(key: str) -> tuple[str, ...]:
        value = entry.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise ValueError(f"server {name!r}: `{key}` must be a list of strings")
        out = []
        for item in value:
            result, unset = expand(str(item), env_source)
            missing.extend(unset)
            out.append(result)
        return tuple(out)

    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        value = entry.get(key) or {}
        if not isinstance(value, dict):
            raise ValueError(f"server {name!r}: `{key}` must be a mapping of names to strings")
        out = []
        for k, v in value.items():
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise ValueError(f"server {name!r}: `{key}.{k}` must be a string")
            result, unset = expand(str(v), env_source)
            missing.extend(unset)
            out.append((str(k), result))
        return tuple(out)

    def check_missing() -> None:
        if missing:
            unset = ", ".join(sorted(set(missing)))
            raise ValueError(f"server {name!r}: environment variable(s) {unset} are not set and have no default")

    kind = entry.get("type") or entry.get("transport")
    command, url = text("command"), text("url")
    check_missing()
    if kind is None:
        transport: Transport = "stdio" if command or not url else "http"
    elif isinstance(kind, str) and kind.lower() in _TRANSPORT_NAMES:
        transport = _TRANSPORT_NAMES[kind.lower()]
    else:
        raise ValueError(f"server {name!r}: unknown `type` {kind!r}; use stdio, http or sse")
    if transport == "stdio" and not command:
        raise ValueError(f"server {name!r}: a stdio server needs a `command`")
    if transport != "stdio" and not url:
        raise ValueError(f"server {name!r}: an {transport} server needs a `url`")
    if transport != "stdio" and not url.startswith(("http://", "https://")):
        raise ValueError(f"server {name!r}: `url` must start with http:// or https://, got {url!r}")
    config = McpServerConfig(
        name=name.strip(),
        transport=transport,
        scope=scope,
        source=source,
        command=command,
        args=strings("args") if transport == "stdio" else (),
        env=pairs("env") if transport == "stdio" else (),
        cwd=(text("cwd") or None) if transport == "stdio" else None,
        url=url,
        headers=pairs("headers") if transport != "stdio" else (),
        fingerprint=_fingerprint(entry),
    )
    check_missing()
    return config


def _fingerprint(entry: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()[:32]


def read_servers(
    data: Any, *, scope: Scope, source: str, into: McpConfigSet, environ: Mapping[str, str] | None = None
) -> None:
    """Add the servers of one `mcpServers` mapping; a bad entry becomes a warning naming `source`."""
    if data is None:
        return
    if not isinstance(data, dict):
        into.warnings.append(f"{source}: `mcpServers` must be a mapping of server names to entries; ignored")
        return
    for name, entry in data.items():
        try:
            into.add(parse_entry(name, entry, scope=scope, source=source, environ=environ))
        except ValueError as exc:
            into.warnings.append(f"{source}: {exc}; skipped")


def _read_json(path: Path, into: McpConfigSet, *, required: bool) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if required:
            into.warnings.append(f"{path}: no such MCP config file")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        into.warnings.append(f"{path}: cannot read it ({exc}); its MCP servers are skipped")
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        into.warnings.append(f"{path}: not valid JSON ({exc}); its MCP servers are skipped")
        return None
    if not isinstance(data, dict):
        into.warnings.append(f"{path}: expected a JSON object with `mcpServers`; skipped")
        return None
    return data


def load_mcp_configs(
    root: Path,
    *,
    cli_files: Iterable[Path] = (),
    agent_servers: Any = None,
    agent_label: str = "",
    agent_in_project: bool = False,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
) -> McpConfigSet:
    """Every MCP server for a workspace, in precedence order (see the module docstring).

    Args:
        agent_servers: the agent's `mcpServers` frontmatter value (None when it has none).
        agent_label: how the agent is named in sources (`agent NAME (path)`).
        agent_in_project: the agent file is inside the workspace, so its servers need trust too.
        settings: the session's settings (read here when not given); their files' problems are theirs to report.
    """
    found = McpConfigSet()
    for path in cli_files:
        data = _read_json(Path(path), found, required=True)
        if data is not None:
            read_servers(data.get("mcpServers"), scope="cli", source=str(path), into=found, environ=environ)
    if agent_servers is not None:
        scope: Scope = "project" if agent_in_project else "agent"
        # An agent file inside the workspace is project content: its servers need trust like .mcp.json's.
        read_servers(agent_servers, scope=scope, source=agent_label or "agent", into=found, environ=environ)
    settings = settings if settings is not None else load_settings(root)
    project_settings = settings.file("project")
    if project_settings is not None:
        source = str(project_settings.path)
        servers = project_settings.data.get("mcpServers")
        read_servers(servers, scope="project-settings", source=source, into=found, environ=environ)
    project_file = root / PROJECT_MCP_FILE
    project = _read_json(project_file, found, required=False)
    if project is not None:
        read_servers(project.get("mcpServers"), scope="project", source=str(project_file), into=found, environ=environ)
    user_settings = settings.file("user")
    if user_settings is not None:
        source = str(user_settings.path)
        read_servers(user_settings.data.get("mcpServers"), scope="user", source=source, into=found, environ=environ)
    return found
