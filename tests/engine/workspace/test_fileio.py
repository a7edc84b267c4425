from __future__ import annotations

import os
import stat

import pytest

from tui.engine.workspace.fileio import (
    FileRefused,
    atomic_write,
    decode_text,
    digest_bytes,
    encode_text,
    file_digest,
    read_text,
)


def test_read_lf_and_crlf(tmp_path):
    (tmp_path / "lf.txt").write_bytes(b"a\nb\n")
    (tmp_path / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    lf, crlf = read_text(tmp_path / "lf.txt"), read_text(tmp_path / "crlf.txt")
    assert (lf.text, lf.newline) == ("a\nb\n", "\n")
    assert (crlf.text, crlf.newline) == ("a\nb\n", "\r\n")
    assert crlf.digest == digest_bytes(b"a\r\nb\r\n")
    assert encode_text(crlf.text, crlf.newline) == b"a\r\nb\r\n"


def test_read_keeps_bom_and_mode(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhi\n")
    os.chmod(path, 0o640)
    got = read_text(path)
    assert got.text == "\ufeffhi\n" and got.mode == 0o640
    assert encode_text(got.text, got.newline) == b"\xef\xbb\xbfhi\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"ab\x00cd", "binary"), (b"\xff\xfe", "not UTF-8")],
)
def test_refuses_binary_and_non_utf8(data, message):
    with pytest.raises(FileRefused, match=message):
        decode_text(data, "f")


def test_refuses_folder_and_oversize(tmp_path):
    with pytest.raises(FileRefused, match="is a folder"):
        read_text(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 11)
    with pytest.raises(FileRefused, match="11 bytes, over the 10-byte limit"):
        read_text(big, max_bytes=10)
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "missing.txt")


def test_file_digest(tmp_path):
    assert file_digest(tmp_path / "missing") is None
    (tmp_path / "f").write_bytes(b"abc")
    assert file_digest(tmp_path / "f") == digest_bytes(b"abc")


def test_atomic_write_creates_parents_keeps_mode_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a" / "b.txt"
    atomic_write(path, b"one")
    assert path.read_bytes() == b"one"
    atomic_write(path, b"two", mode=0o700)
    assert path.read_bytes() == b"two" and stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert os.listdir(path.parent) == ["b.txt"]


def test_atomic_write_new_file_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "u.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "u.txt").st_mode) == 0o640


def test_atomic_write_failure_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    path.write_bytes(b"old")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.engine.workspace.fileio.os.replace", fail)
    with pytest.raises(OSError, match="No space left on device"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.txt"]


def test_mixed_line_endings_are_kept_line_by_line(tmp_path):
    from tui.engine.workspace.fileio import encode_text, read_text

    path = tmp_path / "mixed.txt"
    path.write_bytes(b"one\r\ntwo\nthree\n")
    loaded = read_text(path)
    assert loaded.newline == "\n"
    edited = loaded.text.replace("two", "TWO")
    assert encode_text(edited, loaded.newline) == b"one\r\nTWO\nthree\n"


def test_refusals_say_what_the_file_was_read_for(tmp_path):
    from tui.engine.workspace.fileio import FileRefused, read_text

    (tmp_path / "logo.png").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "big.txt").write_text("x" * 100)
    for purpose, verb, noun in (
        ("attach", "attaches", "attaching"),
        ("read", "reads", "reading"),
        ("edit", "edits", "editing"),
    ):
        with pytest.raises(FileRefused, match=f"stepwise only {verb} text files"):
            read_text(tmp_path / "logo.png", purpose=purpose)
        with pytest.raises(FileRefused, match=f"over the 10-byte limit for {noun}"):
            read_text(tmp_path / "big.txt", max_bytes=10, purpose=purpose)
