"""YAML already parsed: `yaml.safe_load` results kept between launches, keyed by the text itself.

Every start reads the agent files, the skills and the settings, all YAML (frontmatter or
whole files). Importing PyYAML and parsing them cost 30-60 ms before the first request,
part of it before the first frame; the files themselves rarely change. The cache in
`$STEPWISE_HOME/cache/yaml.json` maps a text that was parsed to what it parsed to, so a
changed file (whatever its times say) is a different text and is parsed again: the cache
can be stale only in what it no longer needs. Only results that JSON gives back exactly are
kept (no dates, no non-string keys); parse errors are never kept, so a broken file is
reported on every start, as before. A cache file that cannot be read, is not this format,
or was written for another PyYAML (whose parse may differ) is ignored and rewritten. The
preview and `Session.open` store inside a `batch`, so a start writes the file at most once.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from tui.engine.config.home import stepwise_home
from tui.engine.workspace.fileio import atomic_write

FORMAT: Final = 1
MAX_ENTRIES: Final = 128
"""Past this, the oldest entries go (edited files leave their old texts behind)."""
MAX_TEXT_CHARS: Final = 8_192
"""Longer texts are parsed every time: they would bloat the cache that every start reads."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""What `lookup` returns for a text it has not seen parsed."""

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[Path, dict[str, Any]] = {}
_batches = 0
"""How many `batch` blocks are open (in any thread)."""
_unwritten: set[Path] = set()
"""Cache files stored into inside them, written when the last one closes."""


def cache_path() -> Path:
    return stepwise_home() / "cache" / "yaml.json"


def _parser_stamp() -> list[int] | None:
    """The installed PyYAML's module file (size, modification time), found without importing it."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        return None
    try:
        stat = os.stat(spec.origin)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _entries(path: Path) -> dict[str, Any]:
    """This process's copy of the cache at `path`, read once; empty when the file is unusable."""
    entries = _loaded.get(path)
    if entries is not None:
        return entries
    entries = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("parser") == _parser_stamp()
            and isinstance(data.get("entries"), dict)
        ):
            entries = data["entries"]
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        _log.debug("yaml cache %s ignored: %s", path, exc)
    _loaded[path] = entries
    return entries


def lookup(text: str) -> Any:
    """What `yaml.safe_load(text)` returned when this text was parsed before (a fresh copy the caller
    may change), else `MISSING`."""
    with _lock:
        found = _entries(cache_path()).get(text, MISSING)
    return found if found is MISSING else json.loads(json.dumps(found))


def store(text: str, value: Any) -> None:
    """Remember `yaml.safe_load(text)`'s result (best effort: a cache that cannot be written is no error)."""
    if len(text) > MAX_TEXT_CHARS:
        return
    try:
        kept = json.loads(json.dumps(value))
    except (TypeError, ValueError):  # dates, sets, ...: JSON cannot give them back
        return
    if kept != value:  # non-string keys
        return
    path = cache_path()
    with _lock:
        entries = _entries(path)
        entries[text] = kept
        while len(entries) > MAX_ENTRIES:
            del entries[next(iter(entries))]
        if _batches:
            _unwritten.add(path)
        else:
            _write(path)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Store what is parsed inside the block with one write of the cache, when the block ends.

    A start in a project whose files were never parsed (or all changed) stores one entry
    per agent, skill and settings file; each `store` alone rewrites the whole cache file
    (written atomically, synced). Blocks may nest and run in several threads: the write
    comes when the last open one ends, even by an exception.
    """
    global _batches
    with _lock:
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if not _batches:
                for path in sorted(_unwritten):
                    _write(path)
                _unwritten.clear()


def _write(path: Path) -> None:
    """Write this process's entries for `path` (with `_lock` held); a failure is logged, not raised."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "parser": _parser_stamp(), "entries": _entries(path)}
        atomic_write(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
    except (OSError, ValueError) as exc:
        _log.debug("yaml cache %s not written: %s", path, exc)


def yaml_error() -> type[Exception]:
    """PyYAML's error class, for `except yaml_cache.yaml_error()`: an `except` clause is evaluated only once
    something was raised, so a start that parses nothing never imports PyYAML."""
    import yaml

    return yaml.YAMLError


def safe_load(text: str) -> Any:
    """`yaml.safe_load(text)`, from the cache when this text was parsed before.

    Raises:
        yaml.YAMLError: as `yaml.safe_load` does (errors are never cached).
    """
    value = lookup(text)
    if value is MISSING:
        import yaml

        value = yaml.safe_load(text)
        store(text, value)
    return value
