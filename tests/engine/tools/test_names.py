"""Tool groups are named next to the tools: each is made of known tools of the kind it claims."""

from __future__ import annotations

from tui.engine.tools.base import ToolKind
from tui.engine.tools.names import EDIT_TOOLS, PATH_READ_TOOLS, RUN_TOOLS, SEARCH_TOOLS, TOOL_KINDS


def test_groups_are_known_tools_of_their_kind() -> None:
    assert set(EDIT_TOOLS) == {name for name, kind in TOOL_KINDS.items() if kind is ToolKind.EDIT}
    assert {TOOL_KINDS[name] for name in PATH_READ_TOOLS} == {ToolKind.READ}
    assert set(SEARCH_TOOLS) <= set(PATH_READ_TOOLS)
    assert [TOOL_KINDS[name] for name in RUN_TOOLS] == [ToolKind.EXECUTE, ToolKind.READ]
