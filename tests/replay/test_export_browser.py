"""The exported HTML as Debian's headless Chromium renders it (.ci/run installs chromium)."""

import re
import shutil
import subprocess

import pytest

from tui.cli import main

CHROMIUM = shutil.which("chromium")
# Flags for a closed network and a root user; see the machine notes in .ci/run.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_renders_the_transcript(recorded_session, capsys, tmp_path):
    page = tmp_path / "session.html"
    assert main(["export", str(recorded_session), "--format", "html", "-o", str(page)]) == 0
    shot = tmp_path / "shot.png"
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", dom, flags=re.S)))
    for expected in ("stepwise session", "You", "go", "All done.", "Applied: big.py", "LINE TWO", "Approved by"):
        assert expected in text
    subprocess.run(
        [*common, "--window-size=1000,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
