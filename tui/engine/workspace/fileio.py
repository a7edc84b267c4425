"""Reading and writing workspace text files safely.

Text is handled internally with `\\n` line endings; `TextFile.newline`
remembers CRLF so that a CRLF file stays CRLF. Writes are atomic (temp file in
the same folder, fsync, rename) and keep the file's mode.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui.engine.errors import StepwiseError

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Files larger than this are neither read whole nor edited."""


class FileRefused(StepwiseError, ValueError):
    """The file cannot be handled as text (binary, too large, not a file)."""


@dataclass(frozen=True)
class TextFile:
    text: str
    """Content with `\\n` line endings."""
    newline: str
    """`\\r\\n` when the file used CRLF, else `\\n`."""
    digest: str
    """sha256 of the bytes on disk, to detect changes made meanwhile."""
    mode: int | None


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """sha256 of the file's bytes, or None when it does not exist."""
    try:
        return digest_bytes(path.read_bytes())
    except FileNotFoundError:
        return None


Purpose = Literal["edit", "read", "attach"]
"""What a file is read for: refusals say so (`stepwise only attaches text files`)."""
_VERBS: dict[str, tuple[str, str]] = {
    "edit": ("edits", "editing"),
    "read": ("reads", "reading"),
    "attach": ("attaches", "attaching"),
}


def decode_text(data: bytes, name: str, purpose: Purpose = "edit") -> tuple[str, str]:
    """(text with `\\n` endings, newline style) of file bytes.

    Raises:
        FileRefused: the bytes look binary or are not UTF-8.
    """
    if b"\x00" in data[:8192]:
        raise FileRefused(f"{name} is a binary file; stepwise only {_VERBS[purpose][0]} text files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused(f"{name} is not UTF-8 text; stepwise only {_VERBS[purpose][0]} UTF-8 text files") from None
    # Only a file that ends every line with CRLF is treated as CRLF; a file with
    # mixed endings keeps its `\r`s in the text, so each line is written back as it was.
    crlf = text.count("\r\n")
    if crlf and crlf == text.count("\n"):
        return text.replace("\r\n", "\n"), "\r\n"
    return text, "\n"


def read_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES, purpose: Purpose = "edit") -> TextFile:
    """Read a text file.

    Raises:
        FileNotFoundError: it does not exist.
        FileRefused: it is a folder, binary, not UTF-8, or over `max_bytes`.
    """
    if path.is_dir():
        raise FileRefused(f"{path} is a folder, not a file")
    # Checked before opening (a socket cannot be opened at all), and again on the opened file: it
    # is opened with O_NONBLOCK, since a FIFO swapped in meanwhile would block (the event loop with it).
    _refuse_special(path, path.stat().st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        _refuse_special(path, st.st_mode)
        if st.st_size > max_bytes:
            raise FileRefused(
                f"{path.name} is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit for {_VERBS[purpose][1]}"
            )
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    text, newline = decode_text(data, path.name, purpose)
    return TextFile(text=text, newline=newline, digest=digest_bytes(data), mode=stat.S_IMODE(st.st_mode))


def special_file_kind(mode: int) -> str | None:
    """`FIFO`, `socket`, `character device` or `block device` for such a file mode; None for others."""
    for test, kind in (
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return kind
    return None


def _refuse_special(path: Path, mode: int) -> None:
    kind = special_file_kind(mode)
    if kind:
        raise FileRefused(f"{path.name} is a {kind}, not a regular file; only regular files are read or edited")


def encode_text(text: str, newline: str) -> bytes:
    if newline != "\n":
        text = text.replace("\n", newline)
    return text.encode("utf-8")


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a torn one.

    Parent folders are created. The temp file lives beside the target so the
    rename stays on one filesystem.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".stepwise-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
