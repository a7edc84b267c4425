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

from tui.engine.session.events import Checkpoint, EditApplied, PermissionDecision, Rewind, ToolCall
from tui.engine.session.log import SessionRecord
from tui.replay.git_tree import TreeModel, blob_id, path_mode


class VerifyError(RuntimeError):
    """The session cannot be verified at all (no base checkpoint, missing objects)."""


@dataclass
class StepResult:
    step: int
    label: str
    ok: bool
    detail: str = ""


class ScratchTree:
    """A folder outside the repository, laid out from checkpoints through a private index.

    Its git tree id is tracked in Python (`TreeModel`) as edits land, so a
    step's comparison with its checkpoint needs no git process.
    """

    def __init__(self, git_dir: Path, folder: Path) -> None:
        self.git_dir = git_dir
        self.folder = folder
        self._index = folder.parent / "verify-index"
        self.model = TreeModel({})

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        env = {**os.environ, "GIT_INDEX_FILE": str(self._index), "GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(self.folder)}
        done = subprocess.run(["git", *args], cwd=self.folder, env=env, input=input, capture_output=True)
        if done.returncode != 0:
            raise VerifyError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def trees_of(self, commits: list[str]) -> dict[str, str]:
        """The tree of each commit, in one git call.

        Raises:
            VerifyError: a commit is missing from the repository.
        """
        query = "".join(f"{c}^{{tree}}\n" for c in commits).encode()
        lines = self.git("cat-file", "--batch-check=%(objectname) %(objecttype)", input=query).decode().splitlines()
        trees = {}
        for commit, line in zip(commits, lines, strict=True):
            if not line.endswith(" tree"):
                raise VerifyError(
                    f"checkpoint {commit[:12]} is missing from the repository (was the ref deleted or gc'd?)"
                )
            trees[commit] = line.split()[0]
        return trees

    def ignored(self, paths: list[str]) -> set[str]:
        """Which of `paths` the repository's ignore rules leave out of checkpoints."""
        if not paths:
            return set()
        env = {**os.environ, "GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(self.folder)}
        done = subprocess.run(
            ["git", "check-ignore", "--no-index", "--stdin", "-z"],
            cwd=self.folder, env=env, input="\0".join(paths).encode() + b"\0", capture_output=True,
        )
        return {p for p in done.stdout.decode().split("\0") if p}

    def lay_out(self, tree: str) -> None:
        """Make the folder hold exactly `tree`."""
        for child in self.folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        self.git("read-tree", tree)
        self.git("checkout-index", "-a", "-f")
        self.model = TreeModel.read(["git", "--git-dir", str(self.git_dir)], tree)

    def sync_from_disk(self) -> None:
        """Re-read the whole folder (after a re-run command changed unknown files)."""
        self.git("add", "-A", ".")
        self.model = TreeModel.read(["git", "--git-dir", str(self.git_dir)], self.git("write-tree").decode().strip())

    def diff_against(self, commit: str) -> str:
        self.git("add", "-A", ".")
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
        commits = [c.commit for c in checkpoints] + [e.commit for e in record.events if isinstance(e, Rewind)]
        trees = scratch.trees_of(commits)
        scratch.lay_out(trees[checkpoints[0].commit])
        edited_paths = sorted({e.path for e in record.events if isinstance(e, EditApplied)})
        replay = _Replay(scratch, scratch.ignored(edited_paths), rerun_commands)
        emit(StepResult(checkpoints[0].step, checkpoints[0].label, True))
        for event in record.events:
            if isinstance(event, ToolCall):
                replay.calls[event.tool_use_id] = event
            elif isinstance(event, PermissionDecision):
                replay.decisions[event.tool_use_id] = event
            elif isinstance(event, EditApplied):
                replay.edits.setdefault(event.tool_use_id, []).append(event)
            elif isinstance(event, Checkpoint) and event is not checkpoints[0]:
                problem = replay.step(event, trees[event.commit])
                if problem is None and scratch.model.tree_id() != trees[event.commit]:
                    problem = "the tree differs from the recorded checkpoint:\n" + scratch.diff_against(event.commit)
                emit(StepResult(event.step, event.label, problem is None, problem or ""))
                if problem:
                    return results
            elif isinstance(event, Rewind):
                target = next((c for c in checkpoints if c.step == event.to_step), None)
                if target is None:
                    problem = f"the rewind names step {event.to_step}, which the log does not have"
                elif trees[target.commit] != trees[event.commit]:
                    problem = f"the files after the rewind differ from checkpoint {event.to_step}"
                else:
                    scratch.lay_out(trees[target.commit])
                    problem = None
                emit(StepResult(event.step, f"rewind to step {event.to_step}", problem is None, problem or ""))
                if problem:
                    return results
        replay.close()
    return results


class _Replay:
    """Re-does the steps of one session in a scratch tree."""

    def __init__(self, scratch: ScratchTree, ignored: set[str], rerun_commands: bool) -> None:
        from tui.engine.exec.terminal import TerminalManager
        from tui.engine.tools.base import ToolContext

        self.scratch = scratch
        self.ignored = ignored
        self.rerun_commands = rerun_commands
        self.calls: dict[str, ToolCall] = {}
        self.decisions: dict[str, PermissionDecision] = {}
        self.edits: dict[str, list[EditApplied]] = {}
        self.context = ToolContext(root=scratch.folder.resolve(), terminals=TerminalManager())
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        self._loop.run_until_complete(self.context.terminals.close())
        self._loop.close()

    def step(self, checkpoint: Checkpoint, tree: str) -> str | None:
        """Re-do the step that produced `checkpoint`; a message when it cannot be re-done faithfully."""
        from tui.engine.session.approval import Approval
        from tui.engine.tools.base import ToolKind
        from tui.engine.tools.registry import resolve

        call = self.calls.get(checkpoint.tool_use_id or "")
        if call is None:
            return f"no tool call is recorded for checkpoint {checkpoint.step}"
        decision = self.decisions.get(call.tool_use_id)
        if decision is not None and decision.behavior != "allow":
            return f"the log records a change by a call that was denied ({decision.reason})"
        tool, args = resolve(call.name, call.input)
        if tool.kind is ToolKind.EXECUTE:
            if not self.rerun_commands:
                self.scratch.lay_out(tree)
                return None
            action = tool.prepare(args, self.context)
            self._loop.run_until_complete(tool.execute(action, self.context, Approval.once()))
            self.scratch.sync_from_disk()
            return None
        try:
            action = tool.prepare(args, self.context)
        except Exception as exc:  # noqa: BLE001 - a recorded input that no longer prepares is a divergence
            return f"the recorded {call.tool} input no longer applies: {exc}"
        recorded = {e.path: e for e in self.edits.get(call.tool_use_id, [])}
        for proposal in action.proposals:
            problem = self._apply(proposal, recorded.get(proposal.rel_path))
            if problem:
                return problem
        return None

    def _apply(self, proposal, edit: EditApplied | None) -> str | None:
        from tui.engine.workspace.proposals import apply_proposal

        if edit is None:
            return f"the recorded input proposes a change to {proposal.rel_path}, but no edit of it was applied"
        if edit.edited_by_user:
            text = self.scratch.git("cat-file", "blob", edit.after_blob).decode("utf-8")
            applied = apply_proposal(proposal, self.context.root, text=text)
        else:
            applied = apply_proposal(proposal, self.context.root, hunks=edit.hunks_applied)
        after = blob_id(applied.after)
        if after != edit.after_blob:
            landed = applied.text.splitlines(keepends=True)
            wanted = self.scratch.git("cat-file", "blob", edit.after_blob).decode("utf-8", "replace")
            diff = "".join(
                difflib.unified_diff(
                    wanted.splitlines(keepends=True), landed, f"recorded/{edit.path}", f"replayed/{edit.path}"
                )
            )
            return f"re-applying the edit of {edit.path} gives a different file:\n{diff}"
        if edit.path not in self.ignored:
            mode = self.scratch.model.mode_of(edit.path) or path_mode(proposal.path)
            self.scratch.model.set(edit.path, mode, after)
        return None
