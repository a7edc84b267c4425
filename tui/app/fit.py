"""Fitting a one-line label into the cells it has: cut with `…`, keeping what matters (its end) visible."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

ELLIPSIS = "…"
SEPARATOR = " · "


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending with `…` when it was longer."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + ELLIPSIS if width > 0 else ""


def cut_start(text: str, width: int) -> str:
    """`text` in at most `width` cells, starting with `…` when it was longer (its end kept)."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 0
    for char in reversed(text):
        size = cell_len(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return ELLIPSIS + "".join(reversed(kept)) if width > 0 else ""


def fit(head: str, tail: str, width: int) -> str:
    """`head · tail` in `width` cells (any width when `width` <= 0, before the first layout).

    The head (a command, a path, the agent and model) is cut first; the tail (a status, an
    exit code, what is happening) stays whole while it fits, and loses its start last.
    """
    full = f"{head}{SEPARATOR}{tail}" if head and tail else head or tail
    if width <= 0 or cell_len(full) <= width:
        return full
    room = width - cell_len(SEPARATOR) - cell_len(tail)
    if head and room >= 2:
        return f"{cut(head, room)}{SEPARATOR}{tail}"
    return cut_start(tail, width)


def fit_parts(parts: Sequence[tuple[str, int]], tail: str, width: int) -> str:
    """`part · part · … · tail` in `width` cells, leaving out the least important parts first.

    Each part comes with its rank (higher is kept longer); what is left keeps its order. A
    whole part dropped reads better than every part cut short: the cost stays, the cache
    share goes. When even the highest-ranked part does not fit, the rest is cut as `fit` does.
    """
    kept = [text for text, _ in parts]
    by_rank = sorted(range(len(parts)), key=lambda index: parts[index][1])
    dropped: set[int] = set()
    while width > 0 and len(dropped) < len(parts) - 1:
        shown = [text for index, text in enumerate(kept) if index not in dropped]
        if cell_len(SEPARATOR.join([*shown, tail])) <= width:
            break
        dropped.add(by_rank[len(dropped)])
    head = SEPARATOR.join(text for index, text in enumerate(kept) if index not in dropped)
    return fit(head, tail, width)
