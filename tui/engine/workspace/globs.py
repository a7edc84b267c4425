"""Globs over workspace-relative POSIX paths, as search tools and instruction files write them.

`**` spans folders, `*` and `?` stay inside one, `[...]` and `{a,b}` (nested too) work.
"""

from __future__ import annotations

import re
from functools import lru_cache


def expand_braces(pattern: str) -> list[str]:
    """`*.{ts,tsx}` -> [`*.ts`, `*.tsx`] (nested braces too)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    out: list[str] = []
    for option in match.group(1).split(","):
        out.extend(expand_braces(head + option + tail))
    return out


def normalize_glob(pattern: str) -> str:
    """A search glob as matched against workspace-relative paths.

    A pattern without `/` matches a file name anywhere (`*.py` is `**/*.py`),
    as in editors' "files to include"; `./` and a leading `/` anchor at the root.
    """
    pattern = pattern.strip().replace("\\", "/")
    if pattern.startswith("./"):
        return pattern[2:]
    if pattern.startswith("/"):
        return pattern[1:]
    if "/" not in pattern.rstrip("/"):
        return "**/" + pattern
    return pattern


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob (`**`, `*`, `?`, `[...]`, `{a,b}`) to a regex over POSIX paths."""
    return re.compile("|".join(f"(?:{_glob_body(p)})" for p in expand_braces(pattern)) + r"\Z", re.DOTALL)


def _glob_body(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif c == "*":
            out.append(r"[^/]*")
            i += 1
        elif c == "?":
            out.append(r"[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def glob_matches(pattern: str, rel_path: str) -> bool:
    return glob_regex(pattern).match(rel_path) is not None
