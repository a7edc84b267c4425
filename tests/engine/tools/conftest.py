"""Fixtures for the tool tests: a workspace in tmp_path and a helper running one tool call."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tui.engine.exec.terminal import TerminalManager
from tui.engine.session.approval import Approval
from tui.engine.tools.base import Action, ToolContext, ToolOutput
from tui.engine.tools.registry import resolve


class Workspace:
    """A tmp workspace with a tool context; `call` runs resolve -> prepare -> execute."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.terminals = TerminalManager(kill_grace_s=0.3, drain_grace_s=0.3)
        self.output: list[str] = []
        self.ctx = ToolContext(root=root, terminals=self.terminals, on_output=self.output.append)

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(text.encode())
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_bytes().decode()

    def prepare(self, name: str, args: dict[str, Any]) -> Action:
        tool, canonical = resolve(name, args)
        return tool.prepare(canonical, self.ctx)

    async def call(self, name: str, args: dict[str, Any], approval: Approval | None = None) -> ToolOutput:
        tool, canonical = resolve(name, args)
        action = tool.prepare(canonical, self.ctx)
        return await tool.execute(action, self.ctx, approval or Approval.once())

    def git_init(self) -> None:
        for args in (["init", "-q"], ["config", "user.email", "t@example.invalid"], ["config", "user.name", "t"]):
            subprocess.run(["git", *args], cwd=self.root, check=True)

    def git_add_all(self) -> None:
        subprocess.run(["git", "add", "-A"], cwd=self.root, check=True)


@pytest.fixture
async def ws(tmp_path: Path):
    workspace = Workspace(tmp_path.resolve())
    yield workspace
    await workspace.terminals.close()
