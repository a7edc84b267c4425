from __future__ import annotations

import gc
import os

import pytest

from tui.engine.workspace.fileio import digest_bytes
from tui.engine.workspace.proposals import Proposal, StaleProposal, WriteRefused, apply_proposal, compute_hunks

OLD = "".join(f"line {i}\n" for i in range(1, 21))


def _proposal(root, rel, old_bytes: bytes | None, new_text: str, **kw) -> Proposal:
    path = root / rel
    if old_bytes is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(old_bytes)
    old_text = None if old_bytes is None else old_bytes.decode().replace("\r\n", "\n")
    return Proposal.build(
        path, rel, old_text, new_text, old_digest=None if old_bytes is None else digest_bytes(old_bytes), **kw
    )


def test_hunks_are_split_by_distance():
    new = OLD.replace("line 2\n", "LINE 2\n").replace("line 18\n", "LINE 18\n")
    hunks = compute_hunks(OLD, new)
    assert len(hunks) == 2
    assert [h.header for h in hunks] == ["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"]
    assert hunks[0].lines == (" line 1", "-line 2", "+LINE 2", " line 3", " line 4", " line 5")
    assert (hunks[1].added, hunks[1].removed) == (1, 1)


def test_close_changes_share_a_hunk():
    new = OLD.replace("line 5\n", "5\n").replace("line 8\n", "8\n")
    assert len(compute_hunks(OLD, new)) == 1


def test_new_file_diff(tmp_path):
    proposal = _proposal(tmp_path, "n.txt", None, "a\nb\n")
    assert proposal.is_new_file and proposal.added == 2
    assert proposal.diff == "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n"


def test_missing_final_newline_is_marked(tmp_path):
    proposal = _proposal(tmp_path, "f.txt", b"a\nb", "a\nc")
    assert "-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file" in proposal.diff


def test_identical_text_has_no_hunks_and_no_diff(tmp_path):
    proposal = _proposal(tmp_path, "f.txt", b"same\n", "same\n")
    assert proposal.hunks == () and proposal.diff == ""


def test_text_with_hunks_subset(tmp_path):
    new = OLD.replace("line 2\n", "LINE 2\n").replace("line 18\n", "").replace("line 20\n", "line 20\nline 21\n")
    proposal = _proposal(tmp_path, "f.txt", OLD.encode(), new)
    assert len(proposal.hunks) == 2
    assert proposal.text_with_hunks([0]) == OLD.replace("line 2\n", "LINE 2\n")
    assert proposal.text_with_hunks([1]) == OLD.replace("line 18\n", "").replace("line 20\n", "line 20\nline 21\n")
    assert proposal.text_with_hunks([0, 1]) == new
    assert proposal.text_with_hunks([]) == OLD


def test_apply_whole_keeps_crlf_and_mode(tmp_path):
    proposal_path = tmp_path / "w.txt"
    proposal_path.write_bytes(b"a\r\nb\r\n")
    os.chmod(proposal_path, 0o741)
    proposal = Proposal.build(
        proposal_path,
        "w.txt",
        "a\nb\n",
        "a\nB\n",
        newline="\r\n",
        old_digest=digest_bytes(b"a\r\nb\r\n"),
        mode=0o741,
    )
    edit = apply_proposal(proposal, tmp_path)
    assert proposal_path.read_bytes() == b"a\r\nB\r\n" == edit.after
    assert edit.before == b"a\r\nb\r\n" and os.stat(proposal_path).st_mode & 0o777 == 0o741
    assert edit.hunks_applied == (0,) and not edit.edited_by_user


def test_apply_some_hunks_reports_landed_diff(tmp_path):
    new = OLD.replace("line 2\n", "LINE 2\n").replace("line 18\n", "LINE 18\n")
    proposal = _proposal(tmp_path, "f.txt", OLD.encode(), new)
    edit = apply_proposal(proposal, tmp_path, hunks=[1, 7])
    assert edit.hunks_applied == (1,)
    assert (tmp_path / "f.txt").read_text() == OLD.replace("line 18\n", "LINE 18\n")
    assert "+LINE 18" in edit.diff and "LINE 2" not in edit.diff


def test_apply_user_text(tmp_path):
    proposal = _proposal(tmp_path, "f.txt", b"x\n", "y\n")
    edit = apply_proposal(proposal, tmp_path, text="z\r\n")
    assert (tmp_path / "f.txt").read_text() == "z\n" and edit.edited_by_user and "+z" in edit.diff


def test_apply_new_file_creates_parents(tmp_path):
    proposal = _proposal(tmp_path, "a/b/c.txt", None, "hi\n")
    apply_proposal(proposal, tmp_path)
    assert (tmp_path / "a" / "b" / "c.txt").read_text() == "hi\n"


def test_stale_when_changed_created_or_deleted(tmp_path):
    changed = _proposal(tmp_path, "f.txt", b"x\n", "y\n")
    (tmp_path / "f.txt").write_text("other\n")
    with pytest.raises(StaleProposal, match=r"f\.txt changed on disk"):
        apply_proposal(changed, tmp_path)
    created = _proposal(tmp_path, "g.txt", None, "y\n")
    (tmp_path / "g.txt").write_text("meanwhile\n")
    with pytest.raises(StaleProposal):
        apply_proposal(created, tmp_path)
    deleted = _proposal(tmp_path, "h.txt", b"x\n", "y\n")
    (tmp_path / "h.txt").unlink()
    with pytest.raises(StaleProposal):
        apply_proposal(deleted, tmp_path)
    assert not (tmp_path / "h.txt").exists()


def test_hard_limits(tmp_path, tmp_path_factory):
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path_factory.mktemp("out") / "x.txt"
    with pytest.raises(WriteRefused, match="outside the workspace"):
        apply_proposal(Proposal.build(outside, str(outside), None, "x"), root)
    with pytest.raises(WriteRefused, match=r"inside \.git/"):
        apply_proposal(Proposal.build(root / ".git" / "config", ".git/config", None, "x"), root)
    target = root / "linked.txt"
    target.write_text("x\n")
    os.link(target, tmp_path / "other-link.txt")
    with pytest.raises(WriteRefused, match="hard links"):
        apply_proposal(_proposal(root, "linked.txt", None, "y\n"), root)
    assert not outside.exists() and target.read_text() == "x\n"


def test_computing_hunks_leaves_the_garbage_collector_as_it_found_it():
    new = OLD.replace("line 2\n", "LINE 2\n")
    assert gc.isenabled()
    assert len(compute_hunks(OLD, new)) == 1
    assert gc.isenabled()
    gc.disable()
    try:
        assert len(compute_hunks(OLD, new)) == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
