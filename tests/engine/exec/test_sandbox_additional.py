"""The bubblewrap sandbox and the guard with an additional directory: writable like the workspace, with
the same protected paths read-only inside it (the bwrap test skips where bubblewrap cannot run)."""

from __future__ import annotations

import subprocess

import pytest

from tui.engine.exec import guard
from tui.engine.exec.sandbox import Sandbox, probe

needs_bwrap = pytest.mark.skipif(not probe().available, reason=f"bubblewrap cannot run here: {probe().reason}")


@needs_bwrap
def test_an_additional_directory_is_writable_but_its_protected_paths_are_not(tmp_path):
    root, extra, outside = tmp_path / "repo", tmp_path / "shared", tmp_path / "outside"
    for folder in (root, extra, outside):
        folder.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (extra / "CLAUDE.md").write_text("memory\n")
    (extra / ".claude").mkdir()
    (extra / ".claude" / "settings.json").write_text("{}")
    script = "; ".join(
        f"(echo changed > {target}) 2>/dev/null && echo {name}=written || echo {name}=refused"
        for name, target in [
            ("workspace", root / "w.txt"),
            ("extra", extra / "new.txt"),
            ("memory", extra / "CLAUDE.md"),
            ("settings", extra / ".claude" / "settings.json"),
            ("config", extra / ".git" / "config"),
            ("hook", extra / ".git" / "hooks" / "pre-commit"),
            ("outside", outside / "x.txt"),
        ]
    )
    argv = Sandbox(root.resolve(), extra_roots=(extra.resolve(),)).wrap(["bash", "-c", script], root)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    said = dict(line.split("=") for line in done.stdout.split())
    assert said == {
        "workspace": "written",
        "extra": "written",
        "memory": "refused",
        "settings": "refused",
        "config": "refused",
        "hook": "refused",
        "outside": "refused",
    }, done.stderr
    assert (extra / "CLAUDE.md").read_text() == "memory\n"
    assert not (extra / ".git" / "hooks" / "pre-commit").exists()
    # Without the additional directory, it is read-only like the rest of the machine.
    argv = Sandbox(root.resolve()).wrap(["bash", "-c", f"echo x > {extra}/other.txt"], root)
    assert subprocess.run(argv, capture_output=True, timeout=60).returncode != 0
    assert not (extra / "other.txt").exists()


def test_the_guard_puts_back_and_moves_aside_control_files_of_an_additional_directory(tmp_path):
    root, extra = (tmp_path / "repo").resolve(), (tmp_path / "shared").resolve()
    for folder in (root, extra):
        folder.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (extra / "CLAUDE.md").write_text("memory\n")
    before = guard.snapshot(root, (extra,))
    (extra / "CLAUDE.md").write_text("planted\n")
    (extra / "pkg").mkdir()
    (extra / "pkg" / "AGENTS.md").write_text("planted\n")
    report = guard.restore(before)
    assert (extra / "CLAUDE.md").read_text() == "memory\n"
    assert not (extra / "pkg" / "AGENTS.md").exists()
    assert report.moved == (str(extra / "pkg" / "AGENTS.md"),)
    assert report.quarantine is not None
    assert (report.quarantine / str(extra / "pkg" / "AGENTS.md").lstrip("/")).read_text() == "planted\n"
