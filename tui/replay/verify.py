"""`stepwise replay SESSION --verify`: prove that a session's recorded changes reproduce.

The session is re-executed in a scratch folder laid out from its base
checkpoint; the user's tree is never touched. Every applied edit is re-applied
from its recorded tool input and approval (the chosen hunks, or the user's
edited text), command effects are taken from their checkpoints (or re-run with
`--rerun-commands`), and after each step the scratch tree is compared with the
recorded checkpoint. The first divergence is reported with its diff.

Edits are re-applied through the live tools themselves (`tool.prepare`, then
`tool.execute` with the `Approval` the log records), so verify checks the code
that really writes files, not a second implementation of it. Recorded inputs
name paths in the original workspace, often absolutely (Copilot's `filePath`):
the recorded root, and its symlink-free form, are mapped onto the scratch tree
first, so a log whose workspace moved or was cloned elsewhere still verifies.
A step that edited a file in an additional directory (its recorded path is
absolute) is not re-applied: that file is outside the workspace's git, and
verify never writes outside its scratch tree; the workspace's files of that
step come from its checkpoint, as a command's do.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine.errors import StepwiseError
from tui.engine.session.events import (
    Checkpoint,
    EditApplied,
    PermissionDecision,
    Rewind,
    ToolCall,
    flat_events,
)
from tui.engine.session.log import SessionRecord
from tui.engine.workspace.gitrun import run_git
from tui.replay.git_tree import TreeModel, blob_id, path_mode

if TYPE_CHECKING:
    from tui.engine.session.approval import Approval
    from tui.engine.tools.base import Action
    from tui.engine.workspace.proposals import AppliedEdit

PATH_FIELDS = frozenset({"filePath", "path"})
"""Canonical tool arguments that name a path (also inside `replacements`)."""


class VerifyError(StepwiseError, RuntimeError):
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

    def git(self, *args: str, input: bytes | None = None) -> bytes:  # noqa: A002 - subprocess.run's name
        env = {"GIT_INDEX_FILE": str(self._index), "GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(self.folder)}
        done = run_git(args, self.folder, env=env, stdin=input)
        if not done.ok:
            raise VerifyError(f"git {' '.join(args)} failed: {done.err.strip()}")
        return done.out

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
        env = {"GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(self.folder)}
        done = run_git(
            ["check-ignore", "--no-index", "--stdin", "-z"],
            self.folder,
            env=env,
            stdin="\0".join(paths).encode() + b"\0",
        )
        return {p for p in done.out.decode().split("\0") if p}

    def lay_out(self, tree: str) -> None:
        """Make the folder hold exactly `tree`."""
        for child in self.folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        self.git("read-tree", tree)
        self.git("checkout-index", "-a", "-f")
        self.model = TreeModel.read(self.git_dir, tree)

    def sync_from_disk(self) -> None:
        """Re-read the whole folder (after a re-run command changed unknown files)."""
        self.git("add", "-A", ".")
        self.model = TreeModel.read(self.git_dir, self.git("write-tree").decode().strip())

    def diff_against(self, commit: str) -> str:
        self.git("add", "-A", ".")
        return self.git("diff", "--cached", "--stat", "-p", commit).decode(errors="replace")


def verify(
    record: SessionRecord,
    *,
    rerun_commands: bool = False,
    report: Callable[[StepResult], None] | None = None,
    repo: Path | None = None,
) -> list[StepResult]:
    """Re-execute `record` and compare every checkpoint; stops at the first divergence.

    The checkpoints are read from the recorded workspace's repository, or from
    `repo` (where the command runs) when the workspace moved and `repo` has them.

    Raises:
        VerifyError: the session has no base checkpoint or its objects are missing.
    """
    events = list(flat_events(record.events))
    checkpoints = [e for e in events if isinstance(e, Checkpoint)]
    if not checkpoints:
        raise VerifyError("the session made no change, so there is nothing to verify")
    git_dir = _git_dir_with(checkpoints[0].commit, [Path(record.header.workspace), *([repo] if repo else [])])
    results: list[StepResult] = []

    def emit(result: StepResult) -> None:
        results.append(result)
        if report:
            report(result)

    with tempfile.TemporaryDirectory(prefix="stepwise-verify-") as tmp:
        folder = Path(tmp) / "tree"
        folder.mkdir()
        scratch = ScratchTree(git_dir, folder)
        commits = [c.commit for c in checkpoints] + [e.commit for e in events if isinstance(e, Rewind)]
        trees = scratch.trees_of(commits)
        scratch.lay_out(trees[checkpoints[0].commit])
        edited_paths = sorted({e.path for e in events if isinstance(e, EditApplied) and not os.path.isabs(e.path)})
        replay = _Replay(
            scratch, scratch.ignored(edited_paths), rerun_commands, recorded_roots(record.header.workspace)
        )
        emit(StepResult(checkpoints[0].step, checkpoints[0].label, True))
        for event in events:
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


def _git_dir_with(commit: str, workspaces: list[Path]) -> Path:
    """The git folder of the first workspace whose repository holds `commit` (the recorded one first)."""
    for workspace in workspaces:
        if not workspace.is_dir():
            continue
        found = run_git(["rev-parse", "--absolute-git-dir"], workspace).text().strip()
        if found and run_git(["--git-dir", found, "cat-file", "-e", f"{commit}^{{commit}}"], workspace).ok:
            return Path(found)
    places = " or ".join(str(w) for w in workspaces)
    raise VerifyError(
        f"the base checkpoint {commit[:12]} is in no repository at {places}; "
        "run verify inside a clone that has the session's refs/stepwise/ refs"
    )


def recorded_roots(workspace: str) -> tuple[str, ...]:
    """The recorded workspace root as the model may have written it: as recorded and symlink-free."""
    roots = {workspace.rstrip("/") or "/", os.path.realpath(workspace)}
    # Longest first, so a root inside another (a symlink into the tree) maps by its own prefix.
    return tuple(sorted(roots, key=len, reverse=True))


def relocate(value: Any, roots: tuple[str, ...], scratch: Path, key: str = "") -> Any:
    """`value` (canonical tool arguments) with paths under a recorded root moved onto `scratch`.

    Only path arguments are mapped, so file content that mentions the old
    root is re-applied unchanged; a command's text is mapped too, so a
    re-run command never reaches into the original workspace.
    """
    if isinstance(value, dict):
        return {k: relocate(v, roots, scratch, k) for k, v in value.items()}
    if isinstance(value, list):
        return [relocate(v, roots, scratch, key) for v in value]
    if isinstance(value, str) and key == "command":
        for root in roots:
            value = value.replace(root, str(scratch))
        return value
    if isinstance(value, str) and key in PATH_FIELDS and os.path.isabs(value):
        # A path through a symlink into the workspace is mapped by where it leads.
        for candidate in (value, os.path.realpath(value)):
            for root in roots:
                if candidate == root or candidate.startswith(root + "/"):
                    return str(scratch) + candidate[len(root) :]
    return value


def recorded_approval(
    action: Action, edits: dict[str, EditApplied], choice: str | None, read_blob: Callable[[str], str]
) -> Approval | str:
    """The `Approval` the user gave, rebuilt from the log; a message when the log cannot explain the step."""
    from tui.engine.session.approval import Approval, ApprovalKind

    hunks: dict[int, list[int]] = {}
    texts: dict[int, str] = {}
    for index, proposal in enumerate(action.proposals):
        edit = edits.get(proposal.rel_path)
        if edit is None:
            if choice == str(ApprovalKind.HUNKS):
                hunks[index] = []  # every hunk of this file was rejected
                continue
            return f"the recorded input proposes a change to {proposal.rel_path}, but no edit of it was applied"
        if edit.edited_by_user:
            texts[index] = read_blob(edit.after_blob)
        elif len(edit.hunks_applied) < len(proposal.hunks):
            hunks[index] = list(edit.hunks_applied)
    if texts:
        return Approval(ApprovalKind.EDITED, text=texts)
    if hunks:
        return Approval(ApprovalKind.HUNKS, hunks=hunks)
    return Approval.once()


class _Replay:
    """Re-does the steps of one session in a scratch tree, through the live tools."""

    def __init__(self, scratch: ScratchTree, ignored: set[str], rerun_commands: bool, roots: tuple[str, ...]) -> None:
        from tui.engine.exec.terminal import TerminalManager
        from tui.engine.tools.base import ToolContext

        self.scratch = scratch
        self.ignored = ignored
        self.rerun_commands = rerun_commands
        self.roots = roots
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
        from tui.engine.mcp.names import is_mcp_name
        from tui.engine.session.approval import Approval
        from tui.engine.tools.base import ToolKind
        from tui.engine.tools.registry import resolve

        if checkpoint.outside:
            # Changes made outside stepwise are not in the log, only their checkpoint.
            self.scratch.lay_out(tree)
            return None
        call = self.calls.get(checkpoint.tool_use_id or "")
        if call is None:
            return f"no tool call is recorded for checkpoint {checkpoint.step}"
        decision = self.decisions.get(call.tool_use_id)
        if decision is not None and decision.behavior != "allow":
            return f"the log records a change by a call that was denied ({decision.reason})"
        if is_mcp_name(call.name):
            # An MCP server is not there to call again: like a command's, its effects come from the checkpoint.
            self.scratch.lay_out(tree)
            return None
        if any(os.path.isabs(edit.path) for edit in self.edits.get(call.tool_use_id, [])):
            # An edit in an additional directory is outside the workspace's git and is never re-applied
            # (verify writes nothing but its scratch tree): the workspace's files come from the checkpoint.
            self.scratch.lay_out(tree)
            return None
        tool, args = resolve(call.name, call.input)
        args = relocate(args, self.roots, self.context.root)
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
        approval = recorded_approval(action, recorded, decision.choice if decision else None, self._blob_text)
        if isinstance(approval, str):
            return approval
        output = self._loop.run_until_complete(tool.execute(action, self.context, approval))
        landed = {edit.proposal.rel_path: edit for edit in output.edits}
        for path, edit in recorded.items():
            problem = self._compare(path, edit, landed.get(path), output.content)
            if problem:
                return problem
        return None

    def _blob_text(self, blob: str) -> str:
        return self.scratch.git("cat-file", "blob", blob).decode("utf-8")

    def _compare(self, path: str, edit: EditApplied, applied: AppliedEdit | None, said: str) -> str | None:
        """Whether the re-applied edit of `path` wrote the recorded file; the tree model follows it."""
        if applied is None:
            return f"the recorded edit of {path} did not land when re-applied: {said}"
        after = blob_id(applied.after)
        if after != edit.after_blob:
            landed = applied.text.splitlines(keepends=True)
            wanted = self.scratch.git("cat-file", "blob", edit.after_blob).decode("utf-8", "replace")
            diff = "".join(
                difflib.unified_diff(wanted.splitlines(keepends=True), landed, f"recorded/{path}", f"replayed/{path}")
            )
            return f"re-applying the edit of {path} gives a different file:\n{diff}"
        if path not in self.ignored:
            mode = self.scratch.model.mode_of(path) or path_mode(applied.proposal.path)
            self.scratch.model.set(path, mode, after)
        return None
