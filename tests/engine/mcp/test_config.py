import json
from pathlib import Path

import pytest

from tui.engine.mcp.config import expand, load_mcp_configs, parse_entry


def test_variables_expand_with_defaults():
    env = {"HOME": "/h", "EMPTY": ""}
    assert expand("${HOME}/x ${MISSING:-dflt} ${EMPTY:-fallback}", env) == ("/h/x dflt fallback", [])
    assert expand("${NOPE}", env) == ("", ["NOPE"])


def test_entries_take_claude_codes_shapes():
    stdio = parse_entry(
        "a",
        {"command": "npx", "args": ["-y", "${PKG:-srv}"], "env": {"K": "${TOKEN}"}},
        scope="project",
        source="p",
        environ={"TOKEN": "t"},
    )
    assert (stdio.transport, stdio.command, stdio.args, stdio.env) == ("stdio", "npx", ("-y", "srv"), (("K", "t"),))
    http = parse_entry(
        "b",
        {"type": "http", "url": "https://x.test/mcp", "headers": {"Authorization": "Bearer ${T}"}},
        scope="user",
        source="u",
        environ={"T": "secret"},
    )
    assert http.transport == "http" and http.headers == (("Authorization", "Bearer secret"),)
    assert "secret" not in http.launch_line() and "secret" not in json.dumps(http.describe())
    assert (
        parse_entry("c", {"type": "sse", "url": "http://127.0.0.1:1/sse"}, scope="cli", source="c").transport == "sse"
    )


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"args": ["x"]}, "needs a `command`"),
        ({"type": "http"}, "needs a `url`"),
        ({"type": "ftp", "url": "x"}, "unknown `type`"),
        ({"command": "x", "args": "not a list"}, "must be a list"),
        ({"type": "http", "url": "file:///etc/passwd"}, "must start with http"),
        ({"command": "${UNSET_FOR_TEST}"}, "UNSET_FOR_TEST"),
        ("just a string", "a mapping"),
    ],
)
def test_bad_entries_say_what_is_wrong(entry, problem):
    with pytest.raises(ValueError, match="server 's'") as caught:
        parse_entry("s", entry, scope="project", source="p", environ={})
    assert problem in str(caught.value)


def test_a_broken_file_is_reported_with_its_path_and_the_others_still_load(tmp_path: Path, homes):
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".mcp.json").write_text('{"mcpServers": {"good": {"command": "a"}, "bad": {"args": []}}}')
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    cli = tmp_path / "cli.json"
    cli.write_text(json.dumps({"mcpServers": {"good": {"command": "from-cli"}, "other": {"command": "b"}}}))
    found = load_mcp_configs(root, cli_files=[broken, cli])
    assert list(found.servers) == ["good", "other"]
    assert found.servers["good"].command == "from-cli" and found.servers["good"].scope == "cli"
    assert [s.source for s in found.shadowed] == [str(root / ".mcp.json")]
    assert any(str(broken) in w and "not valid JSON" in w for w in found.warnings)
    assert any(".mcp.json" in w and "server 'bad'" in w for w in found.warnings)


def test_settings_files_declare_servers_too(tmp_path: Path, homes):
    _, home = homes
    root = tmp_path / "repo"
    (root / ".stepwise").mkdir(parents=True)
    (root / ".stepwise" / "settings.yaml").write_text("mcpServers:\n  proj: {command: p}\n")
    (home / "settings.yaml").write_text("mcpServers:\n  mine: {command: m}\n")
    found = load_mcp_configs(root)
    assert {name: s.scope for name, s in found.servers.items()} == {"proj": "project-settings", "mine": "user"}
    assert found.servers["proj"].needs_trust and not found.servers["mine"].needs_trust
