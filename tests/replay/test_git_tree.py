import os
import subprocess

from tui.replay.git_tree import TreeModel, blob_id


def git(repo, *args, stdin=None):
    return (
        subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True, input=stdin).stdout.decode().strip()
    )


def write_tree(repo):
    git(repo, "add", "-A")
    return git(repo, "write-tree")


def test_blob_ids_match_git(tmp_path):
    git(tmp_path, "init", "-q")
    for data in (b"", b"hello\n", bytes(range(256))):
        assert blob_id(data) == git(tmp_path, "hash-object", "--stdin", stdin=data)


def test_tree_ids_follow_git_through_adds_removals_and_modes(tmp_path):
    git(tmp_path, "init", "-q")
    for path in ("a.txt", "b/c.txt", "b/d/e.py", "b-x.txt", "b.txt", "z/y/x", "ünï.txt"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
    os.chmod(tmp_path / "b.txt", 0o755)
    (tmp_path / "link").symlink_to("a.txt")
    tree = write_tree(tmp_path)
    model = TreeModel.read(tmp_path / ".git", tree)
    assert model.tree_id() == tree

    (tmp_path / "b/d/new.py").write_text("hi")
    model.set("b/d/new.py", "100644", blob_id(b"hi"))
    (tmp_path / "z/y/x").unlink()
    model.remove("z/y/x")
    assert model.mode_of("b.txt") == "100755"
    assert model.tree_id() == write_tree(tmp_path)
