import pytest
from mcp_types import AudioContent, BlobResourceContents, EmbeddedResource, TextContent

from tui.engine.agents.files import parse_agent
from tui.engine.mcp.names import MAX_NAME, api_name, covers
from tui.engine.mcp.setup import agent_allows
from tui.engine.mcp.tools import bounded, repair_schema, result_text


def test_names_the_api_refuses_are_shortened_deterministically():
    assert api_name("calc", "add") == "mcp__calc__add"
    long = api_name("server", "t" * 80)
    assert len(long) == MAX_NAME and long == api_name("server", "t" * 80) and long != api_name("server", "t" * 81)
    odd = api_name("my.server", "do it")
    assert odd.startswith("mcp__my_server__do_it_") and all(c.isalnum() or c in "_-" for c in odd)


def test_rule_forms_cover_what_they_say():
    assert covers("mcp__calc", "mcp__calc__add") and covers("mcp__calc__*", "mcp__calc__add")
    assert not covers("mcp__calc", "mcp__calculator__add") and not covers("mcp__calc__sub", "mcp__calc__add")


@pytest.mark.parametrize(
    ("schema", "fixed", "note"),
    [
        (
            {"properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"a": {"type": "string"}}},
            "type",
        ),
        ({"type": "object", "anyOf": [{}]}, {"type": "object"}, "anyOf"),
        ({"type": "object"}, {"type": "object"}, ""),
    ],
)
def test_schemas_are_repaired(schema, fixed, note):
    repaired, why = repair_schema(schema)
    assert repaired == fixed and (note in why if note else why == "")


@pytest.mark.parametrize("schema", [{"type": "string"}, "x", {"type": "object", "properties": []}])
def test_schemas_that_cannot_be_repaired_skip_the_tool(schema):
    assert repair_schema(schema)[0] is None


def test_binary_content_becomes_a_placeholder_and_text_is_capped():
    blob = EmbeddedResource(
        type="resource", resource=BlobResourceContents(uri="file:///b", blob="AAAA", mime_type="x/y")
    )
    audio = AudioContent(type="audio", data="AAAAAA==", mime_type="audio/wav")
    assert (
        result_text([blob, audio])
        == "[resource file:///b: x/y, 3 bytes, not shown]\n[audio: audio/wav, 4 bytes, not shown]"
    )
    assert result_text([], {"n": 1}) == '{\n  "n": 1\n}'
    capped = bounded(result_text([TextContent(type="text", text="\x1b[31m" + "x" * 50_000)]))
    assert "\x1b" not in capped and "characters cut" in capped and len(capped) < 31_000


def test_an_agents_tools_list_selects_mcp_tools(tmp_path):
    text = "---\nname: a\ndescription: d\ntools: Read, mcp__calc__add, mcp__docs\ndisallowedTools: mcp__docs__secret\n---\nbody"
    agent = parse_agent(text, tmp_path / "a.md")
    assert agent is not None and agent.warnings == []
    assert agent_allows(agent, "mcp__calc__add") and not agent_allows(agent, "mcp__calc__sub")
    assert agent_allows(agent, "mcp__docs__search") and not agent_allows(agent, "mcp__docs__secret")
    everything = parse_agent("---\nname: b\ndescription: d\n---\nbody", tmp_path / "b.md")
    assert agent_allows(everything, "mcp__any__thing")
