"""`stepwise replay SESSION --verify`: prove that a session's recorded changes reproduce.

The session is re-executed in a scratch folder laid out from its base
checkpoint; the user's tree is never touched. Every applied edit is re-applied
from its recorded tool input and approval (the chosen hunks, or the user's
edited text), command effects are taken from their checkpoints (or re-run with
`--rerun-commands`), and after each step the scratch tree is compared with the
recorded checkpoint. The first divergence is reported with its diff.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.engine.events import Checkpoint, EditApplied, PermissionDecision, Rewind, ToolCall
from tui.engine.session_log import SessionRecord


class VerifyError(RuntimeError):
    """The session cannot be verified at all (no base checkpoint, missing objects)."""


@dataclass
class StepResult:
    step: int
    label: str
    ok: bool
    detail: str = ""


class ScratchTree:
    """A folder outside the repository, compared against checkpoints through a private index."""

    def __init__(self, git_dir: Path, folder: Path) -> None:
        self.git_dir = git_dir
        self.folder = folder
        self._index = folder.parent / "verify-index"

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        env = {**os.environ, "GIT_INDEX_FILE": str(self._index), "GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(self.folder)}
        done = subprocess.run(["git", *args], cwd=self.folder, env=env, input=input, capture_output=True)
        if done.returncode != 0:
            raise VerifyError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def has_object(self, sha: str) -> bool:
        env = {**os.environ, "GIT_DIR": str(self.git_dir)}
        return subprocess.run(["git", "cat-file", "-e", sha], env=env, capture_output=True).returncode == 0

    def tree_of(self, commit: str) -> str:
        if not self.has_object(commit):
            raise VerifyError(f"checkpoint {commit[:12]} is missing from the repository (was the ref deleted or gc'd?)")
        return self.git("rev-parse", f"{commit}^{{tree}}").decode().strip()

    def current_tree(self) -> str:
        self.git("add", "-A", ".")
        return self.git("write-tree").decode().strip()

    def lay_out(self, commit: str) -> None:
        """Make the folder hold exactly the checkpoint's tree."""
        tree = self.tree_of(commit)
        for child in self.folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        self.git("read-tree", tree)
        self.git("checkout-index", "-a", "-f")

    def diff_against(self, commit: str) -> str:
        self.current_tree()
        return self.git("diff", "--cached", "--stat", "-p", commit).decode(errors="replace")


def verify(
    record: SessionRecord,
    *,
    rerun_commands: bool = False,
    report: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Re-execute `record` and compare every checkpoint; stops at the first divergence.

    Raises:
        VerifyError: the session has no base checkpoint or its objects are missing.
    """
    workspace = Path(record.header.workspace)
    git_dir = Path(
        subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"], cwd=workspace, capture_output=True, text=True
        ).stdout.strip()
        or workspace / ".git"
    )
    checkpoints = [e for e in record.events if isinstance(e, Checkpoint)]
    if not checkpoints:
        raise VerifyError("the session made no change, so there is nothing to verify")
    results: list[StepResult] = []

    def emit(result: StepResult) -> None:
        results.append(result)
        if report:
            report(result)

    with tempfile.TemporaryDirectory(prefix="stepwise-verify-") as tmp:
        folder = Path(tmp) / "tree"
        folder.mkdir()
        scratch = ScratchTree(git_dir, folder)
        scratch.lay_out(checkpoints[0].commit)
        emit(StepResult(checkpoints[0].step, checkpoints[0].label, True))
        calls: dict[str, ToolCall] = {}
        decisions: dict[str, PermissionDecision] = {}
        edits: dict[str, list[EditApplied]] = {}
        for event in record.events:
            if isinstance(event, ToolCall):
                calls[event.tool_use_id] = event
            elif isinstance(event, PermissionDecision):
                decisions[event.tool_use_id] = event
            elif isinstance(event, EditApplied):
                edits.setdefault(event.tool_use_id, []).append(event)
            elif isinstance(event, Checkpoint) and event is not checkpoints[0]:
                problem = _replay_step(scratch, event, calls, decisions, edits, rerun_commands)
                if problem is None:
                    problem = _compare(scratch, event.commit)
                emit(StepResult(event.step, event.label, problem is None, problem or ""))
                if problem:
                    return results
            elif isinstance(event, Rewind):
                target = next((c for c in checkpoints if c.step == event.to_step), None)
                if target is None:
                    problem = f"the rewind names step {event.to_step}, which the log does not have"
                else:
                    scratch.lay_out(target.commit)
                    problem = _compare(scratch, event.commit)
                emit(StepResult(event.step, f"rewind to step {event.to_step}", problem is None, problem or ""))
                if problem:
                    return results
    return results


def _compare(scratch: ScratchTree, commit: str) -> str | None:
    if scratch.current_tree() == scratch.tree_of(commit):
        return None
    return "the tree differs from the recorded checkpoint:\n" + scratch.diff_against(commit)


def _replay_step(
    scratch: ScratchTree,
    checkpoint: Checkpoint,
    calls: dict[str, ToolCall],
    decisions: dict[str, PermissionDecision],
    edits: dict[str, list[EditApplied]],
    rerun_commands: bool,
) -> str | None:
    """Re-do the step that produced `checkpoint`; a message when it cannot be re-done faithfully."""
    from tui.engine.approval import Approval
    from tui.engine.proposals import apply_proposal
    from tui.engine.terminal import TerminalManager
    from tui.engine.tools.base import ToolContext, ToolKind
    from tui.engine.tools.registry import resolve

    call = calls.get(checkpoint.tool_use_id or "")
    if call is None:
        return f"no tool call is recorded for checkpoint {checkpoint.step}"
    tool, args = resolve(call.name, call.input)
    context = ToolContext(root=scratch.folder.resolve(), terminals=TerminalManager())
    if tool.kind is ToolKind.EXECUTE:
        if not rerun_commands:
            scratch.lay_out(checkpoint.commit)
            return None
        output = asyncio.run(tool.execute(tool.prepare(args, context), context, Approval.once()))
        asyncio.run(context.terminals.close())
        return None if not output.is_error or "exit code" in output.content else output.content
    try:
        action = tool.prepare(args, context)
    except Exception as exc:  # noqa: BLE001 - a recorded input that no longer prepares is a divergence
        return f"the recorded {call.tool} input no longer applies: {exc}"
    recorded = {e.path: e for e in edits.get(call.tool_use_id, [])}
    for proposal in action.proposals:
        edit = recorded.get(proposal.rel_path)
        if edit is None:
            return f"the recorded input proposes a change to {proposal.rel_path}, but no edit of it was applied"
        if edit.edited_by_user:
            text = scratch.git("cat-file", "blob", edit.after_blob).decode("utf-8")
            applied = apply_proposal(proposal, context.root, text=text.replace("\r\n", "\n"))
        else:
            applied = apply_proposal(proposal, context.root, hunks=edit.hunks_applied)
        after = scratch.git("hash-object", "--stdin", input=applied.after).decode().strip()
        if after != edit.after_blob:
            landed = applied.text.splitlines(keepends=True)
            wanted = scratch.git("cat-file", "blob", edit.after_blob).decode("utf-8", "replace").splitlines(keepends=True)
            diff = "".join(difflib.unified_diff(wanted, landed, f"recorded/{edit.path}", f"replayed/{edit.path}"))
            return f"re-applying the edit of {edit.path} gives a different file:\n{diff}"
    decision = decisions.get(call.tool_use_id)
    if decision is not None and decision.behavior != "allow":
        return f"the log applies an edit the decision denied ({decision.reason})"
    return None
