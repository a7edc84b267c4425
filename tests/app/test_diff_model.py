"""The diff model: parsing unified diffs, and building the same model from a proposal."""

from __future__ import annotations

import pytest

from tests.app.proposal_samples import make_proposal, three_hunk_proposal
from tui.app.diff_model import DiffFile, change_blocks, parse_unified_diff, proposal_diff_files

GIT_DIFF = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,4 +1,4 @@ def main():
 import os
-x = compute(1)
+x = compute(2)
 y = 3
 z = 4
diff --git a/db/schema.sql b/db/schema.sql
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/db/schema.sql
@@ -0,0 +1,2 @@
+-- comment that looks like a header
+create table t (id int);
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
\\ No newline at end of file
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
"""


# --- parse_unified_diff -----------------------------------------------------------


def test_parse_multi_file_git_diff() -> None:
    files = parse_unified_diff(GIT_DIFF)
    assert [f.path for f in files] == ["src/app.py", "db/schema.sql", "old.txt", "logo.png"]
    app_py, schema, old, logo = files
    assert (app_py.added, app_py.removed) == (1, 1)
    assert schema.is_new_file
    assert schema.hunks[0].lines[0].text == "-- comment that looks like a header"
    assert old.is_deleted and old.hunks[0].lines[-1].sign == "\\"
    assert logo.notes == ("binary file",) and logo.hunks == ()
    assert [h.index for f in files for h in f.hunks] == [0, 1, 2]


def test_parse_numbers_lines_and_pairs_changes() -> None:
    (app_py,) = parse_unified_diff(GIT_DIFF.split("diff --git a/db")[0])
    lines = app_py.hunks[0].lines
    assert [(line.sign, line.old_no, line.new_no) for line in lines] == [
        (" ", 1, 1),
        ("-", 2, None),
        ("+", None, 2),
        (" ", 3, 3),
        (" ", 4, 4),
    ]
    assert lines[1].partner == 2 and lines[2].partner == 1 and lines[0].partner is None


def test_parse_ignores_garbage_and_uses_the_given_path() -> None:
    files = parse_unified_diff("random text\n@@ -3,2 +3,2 @@\n a\n-b\n+c\ntrailing junk\n", "given.py")
    assert len(files) == 1 and files[0].path == "given.py"
    assert [line.sign for line in files[0].hunks[0].lines] == [" ", "-", "+"]
    assert parse_unified_diff("not a diff at all") == ()


def test_parse_sanitizes_paths_headers_and_text() -> None:
    hostile = "--- a/evil\x1b[2J.txt\n+++ b/evil\x1b[2J.txt\n@@ -1 +1 @@ \x1b]0;x\x07\n-safe\n+\x1b[31mred\n"
    (diff_file,) = parse_unified_diff(hostile)
    assert diff_file.path == "evil␛[2J.txt"
    assert "\x1b" not in diff_file.hunks[0].header
    assert diff_file.hunks[0].lines[1].text == "␛[31mred"


def test_proposal_hunk_indices_match_the_engine() -> None:
    proposal = three_hunk_proposal()
    (diff_file,) = parse_unified_diff(proposal.diff, proposal.rel_path)
    assert [h.index for h in diff_file.hunks] == [h.index for h in proposal.hunks]
    assert [h.header.split(" @@")[0] + " @@" for h in diff_file.hunks] == [h.header for h in proposal.hunks]


def test_change_blocks_pair_runs_and_keep_markers_on_their_side() -> None:
    (diff_file,) = parse_unified_diff("@@ -1,3 +1,2 @@\n keep\n-a\n-b\n\\ No newline at end of file\n+c\n", "f.txt")
    assert list(change_blocks(diff_file.hunks[0].lines)) == [([0], [0]), ([1, 2, 3], [4])]


# --- proposal_diff_files ------------------------------------------------------------

PROPOSALS = {
    "three hunks": three_hunk_proposal,
    "new file": lambda: make_proposal(None, "print('hi')\nprint('there')\n", "new.py"),
    "emptied file": lambda: make_proposal("a\nb\n", "", "gone.txt"),
    "no final newline on either side": lambda: make_proposal("a\nb", "a\nc"),
    "final newline added": lambda: make_proposal("a\nb", "a\nb\n"),
    "insertion at the top": lambda: make_proposal("x\ny\n", "top\nx\ny\n"),
    "control characters and CR": lambda: make_proposal("a\x1b[31m\nb\n", "a\x1b[32m\nb\rc\n"),
    "removed line starting with dashes": lambda: make_proposal("-- note\nkeep\n", "keep\n", "q.sql"),
}


@pytest.mark.parametrize("make", PROPOSALS.values(), ids=PROPOSALS.keys())
def test_proposal_model_equals_the_parsed_proposal_diff(make) -> None:  # type: ignore[no-untyped-def]
    proposal = make()
    assert proposal_diff_files(proposal) == parse_unified_diff(proposal.diff, proposal.rel_path)


def test_proposal_without_changes_is_one_file_without_hunks() -> None:
    assert proposal_diff_files(make_proposal("same\n", "same\n")) == (DiffFile("src/app.py", ()),)
    assert proposal_diff_files(make_proposal(None, "", "empty.txt")) == (DiffFile("empty.txt", (), is_new_file=True),)


def test_proposal_counts_match_the_engine() -> None:
    proposal = three_hunk_proposal()
    (diff_file,) = proposal_diff_files(proposal)
    assert (diff_file.added, diff_file.removed) == (proposal.added, proposal.removed)
    assert [(h.added, h.removed) for h in diff_file.hunks] == [(h.added, h.removed) for h in proposal.hunks]
