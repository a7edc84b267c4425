"""`grep_search`: find text in workspace files, fast on large trees.

Three engines give the same results: `git grep` in a git work tree (it knows
every ignore rule and reads the index), else ripgrep when installed, else a
pure-Python walk that honours `.gitignore` files. `STEPWISE_GREP_ENGINE`
(`git`, `rg` or `python`) forces one, for tests and for odd setups.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from tui.engine.errors import StepwiseError
from tui.engine.session.approval import Approval
from tui.engine.tools._files import display_path, hidden_note, in_git_work_tree, readable, tool_path, walk_files
from tui.engine.tools._schema import check_args, with_internal
from tui.engine.tools.base import Action, Tool, ToolContext, ToolInputError, ToolKind, ToolOutput
from tui.engine.workspace.gitrun import GitError, run_git
from tui.engine.workspace.globs import expand_braces, glob_matches, normalize_glob

DEFAULT_RESULTS = 20
MAX_RESULTS = 200
COLLECT_LIMIT = 10_000
"""Matches read from an engine before it is stopped (enough to sort and count)."""
LINE_CHARS = 200
SEARCH_TIMEOUT_S = 60.0
ENGINE_ENV = "STEPWISE_GREP_ENGINE"
ENGINES = ("git", "rg", "python")
OUTPUT_MODES = ("content", "files_with_matches", "count")


class SearchError(StepwiseError, RuntimeError):
    """The search engine failed (bad pattern for its dialect, unreadable folder, timeout)."""


@dataclass(frozen=True, order=True)
class Match:
    path: Path
    line: int
    text: str


@dataclass(frozen=True)
class SearchResult:
    matches: list[Match]
    """Sorted by path and line; at most `COLLECT_LIMIT`."""
    complete: bool
    """False when the engine was stopped at `COLLECT_LIMIT` matches."""
    engine: str


@dataclass(frozen=True)
class SearchQuery:
    pattern: str
    regex: bool
    case_sensitive: bool = False
    include: str | None = None
    """A glob relative to the searched folder; without `/` it matches names anywhere."""
    include_ignored: bool = False

    def compiled(self) -> re.Pattern[str]:
        """The pattern as a Python regex (raises `re.error` when invalid)."""
        flags = 0 if self.case_sensitive else re.IGNORECASE
        return re.compile(self.pattern if self.regex else re.escape(self.pattern), flags)


class GrepSearch(Tool):
    name: ClassVar[str] = "grep_search"
    kind: ClassVar[ToolKind] = ToolKind.READ
    description: ClassVar[str] = (
        "Search workspace files for text. Case-insensitive; set isRegexp to true for a regular "
        "expression (use alternation like `foo|bar` to search several words at once), false for a "
        "literal string. Ignored files (.gitignore) and binary files are skipped unless "
        "includeIgnoredFiles is true. includePattern limits the search to files matching a glob "
        "(`src/**/*.py`, or `*.ts` for any folder). Returns `path:line: text` per match, "
        f"{DEFAULT_RESULTS} by default (maxResults up to {MAX_RESULTS})."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "The text or regular expression to find."},
            "isRegexp": {"type": "boolean", "description": "Whether query is a regular expression."},
            "includePattern": {"type": "string", "description": "Only search files matching this glob."},
            "maxResults": {"type": "integer", "minimum": 1, "description": f"At most {MAX_RESULTS}."},
            "includeIgnoredFiles": {"type": "boolean", "description": "Also search ignored files."},
        },
        "required": ["query"],
    }
    internal_schema: ClassVar[dict[str, Any]] = with_internal(
        input_schema,
        {
            "caseSensitive": {"type": "boolean"},
            "path": {"type": "string", "description": "Folder or file to search (Grep alias)."},
            "outputMode": {"type": "string", "enum": list(OUTPUT_MODES)},
        },
    )

    def prepare(self, args: dict[str, Any], ctx: ToolContext) -> Action:
        check_args(args, self.internal_schema)
        query = _query(args)
        if not query.pattern:
            raise ToolInputError("`query` is empty; give the text to search for")
        try:
            query.compiled()
        except re.error as exc:
            raise ToolInputError(
                f"`query` is not a valid regular expression ({exc}); fix it or set isRegexp to false"
            ) from None
        folder = tool_path(ctx.root, args["path"], "path") if args.get("path") else ctx.root
        target = query.pattern + (f" in {query.include}" if query.include else "")
        if folder != ctx.root:
            target += f" under {display_path(ctx.root, folder)}"
        return Action(tool=self.name, kind=self.kind, input=args, target=target, paths=(folder,))

    async def execute(self, action: Action, ctx: ToolContext, approval: Approval) -> ToolOutput:
        folder = action.paths[0]
        if not folder.exists():
            return ToolOutput(f"{display_path(ctx.root, folder)} does not exist.", is_error=True)
        query = _query(action.input)
        try:
            result = await asyncio.to_thread(search, folder, query)
        except SearchError as exc:
            return ToolOutput(f"Search failed: {exc}", is_error=True)
        # Per match, by the file it is in: a deny rule holds whatever folder was searched.
        kept, hidden = readable(ctx, self.name, dict.fromkeys(m.path for m in result.matches))
        allowed = set(kept)
        result = dataclasses.replace(result, matches=[m for m in result.matches if m.path in allowed])
        limit = min(int(action.input.get("maxResults") or DEFAULT_RESULTS), MAX_RESULTS)
        mode = action.input.get("outputMode") or "content"
        return ToolOutput(format_result(result, query, ctx.root, limit, mode) + hidden_note(hidden))


def _query(args: dict[str, Any]) -> SearchQuery:
    include = args.get("includePattern") or None
    return SearchQuery(
        pattern=args["query"],
        regex=bool(args.get("isRegexp")),
        case_sensitive=bool(args.get("caseSensitive")),
        include=include,
        include_ignored=bool(args.get("includeIgnoredFiles")),
    )


def format_result(result: SearchResult, query: SearchQuery, root: Path, limit: int, mode: str) -> str:
    """The model's view of the matches: one line per match, file or count."""
    if not result.matches:
        where = f" in files matching {query.include}" if query.include else ""
        return f"No matches for {query.pattern!r}{where}."
    more = "" if result.complete else " or more"
    if mode == "content":
        pattern = _safe_compiled(query)
        rows = [f"{display_path(root, m.path)}:{m.line}: {_excerpt(m.text, pattern)}" for m in result.matches]
        noun = "matches"
    else:
        counts: dict[Path, int] = {}
        for match in result.matches:
            counts[match.path] = counts.get(match.path, 0) + 1
        if mode == "count":
            rows = [f"{display_path(root, path)}: {n}" for path, n in counts.items()]
        else:
            rows = [display_path(root, path) for path in counts]
        noun = "files"
    shown = rows[:limit]
    if len(rows) > limit:
        shown.append(
            f"[{limit} of {len(rows)}{more} {noun} shown; narrow the query or includePattern, "
            f"or raise maxResults (at most {MAX_RESULTS}).]"
        )
    elif not result.complete:
        shown.append(f"[The search stopped after {COLLECT_LIMIT:,} matches.]")
    return "\n".join(shown)


def _safe_compiled(query: SearchQuery) -> re.Pattern[str] | None:
    try:
        return query.compiled()
    except re.error:
        return None


def _excerpt(text: str, pattern: re.Pattern[str] | None) -> str:
    """The line trimmed to about `LINE_CHARS`, keeping the match in view."""
    text = text.strip()
    if len(text) <= LINE_CHARS:
        return text
    found = pattern.search(text) if pattern else None
    start = max(0, found.start() - LINE_CHARS // 4) if found else 0
    end = start + LINE_CHARS
    return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")


# --- engines ----------------------------------------------------------------


def choose_engine(folder: Path, engine: str | None = None) -> str:
    """The engine for `folder`: forced by argument or `STEPWISE_GREP_ENGINE`, else the fastest available."""
    forced = engine or os.environ.get(ENGINE_ENV)
    if forced:
        if forced not in ENGINES:
            raise SearchError(f"unknown search engine {forced!r} (one of {', '.join(ENGINES)})")
        return forced
    if in_git_work_tree(folder):
        return "git"
    if shutil.which("rg"):
        return "rg"
    return "python"


def search(folder: Path, query: SearchQuery, *, engine: str | None = None) -> SearchResult:
    """Run `query` over the files under `folder` (or in the file `folder`)."""
    if folder.is_file():
        # One file: no listing or ignore rules to apply, Python is as fast as anything.
        name = "python"
        matches, complete = _search_python([folder], query)
    else:
        name = choose_engine(folder, engine)
        runner = {"git": _search_git, "rg": _search_rg, "python": _search_python_tree}[name]
        matches, complete = runner(folder, query)
    return SearchResult(sorted(matches), complete, name)


def _search_git(folder: Path, query: SearchQuery) -> tuple[list[Match], bool]:
    args = ["git", "-c", "core.quotePath=false", "grep", "-z", "-n", "-I", "--no-color", "--untracked"]
    if query.include_ignored:
        args.append("--no-exclude-standard")
    if not query.case_sensitive:
        args.append("-i")
    if query.regex:
        args.append("-P" if _git_has_pcre() else "-E")
    else:
        args.append("-F")
    args += ["-e", query.pattern, "--"]
    if query.include:
        args += [f":(glob){p}" for p in expand_braces(normalize_glob(query.include))]
    matches: list[Match] = []

    def parse(line: bytes) -> None:
        parts = line.split(b"\0", 2)
        if len(parts) == 3 and parts[1].isdigit():
            text = parts[2].decode("utf-8", "replace").rstrip("\r")
            matches.append(Match(folder / os.fsdecode(parts[0]), int(parts[1]), text))

    code, errors, complete = _stream(args, folder, parse, lambda: len(matches) >= COLLECT_LIMIT)
    if code not in (0, 1) and complete:
        raise SearchError(errors.strip() or f"git grep exited with {code}")
    return matches, complete


@lru_cache(maxsize=1)
def _git_has_pcre() -> bool:
    """Whether this git was built with PCRE (`-P`), whose syntax is close to Python's."""
    try:
        done = run_git(["grep", "--no-index", "-P", "-q", "x", "--", os.devnull], None, timeout=SEARCH_TIMEOUT_S)
    except GitError:
        return False
    return done.status in (0, 1)


def _search_rg(folder: Path, query: SearchQuery) -> tuple[list[Match], bool]:
    rg = shutil.which("rg")
    if rg is None:
        raise SearchError("ripgrep (rg) is not installed")
    args = [rg, "--null", "--line-number", "--no-heading", "--with-filename", "--color", "never"]
    # Hidden files and missing git repositories: search what git grep would search.
    args += ["--hidden", "--no-require-git", "--glob", "!.git", "--no-config"]
    args.append("--ignore-case" if not query.case_sensitive else "--case-sensitive")
    if not query.regex:
        args.append("--fixed-strings")
    if query.include_ignored:
        args.append("--no-ignore")
    args += ["--regexp", query.pattern, "."]
    # rg's --glob would also pull in ignored files that match it, so the include
    # pattern is applied here instead.
    include = normalize_glob(query.include) if query.include else None
    matches: list[Match] = []

    def parse(line: bytes) -> None:
        name, sep, rest = line.partition(b"\0")
        number, colon, text = rest.partition(b":")
        rel = os.fsdecode(name).removeprefix("./")
        if sep and colon and number.isdigit() and (include is None or glob_matches(include, rel)):
            matches.append(Match(folder / rel, int(number), text.decode("utf-8", "replace").rstrip("\r")))

    code, errors, complete = _stream(args, folder, parse, lambda: len(matches) >= COLLECT_LIMIT)
    # rg exits 2 for unreadable files too; matches found elsewhere still count.
    if complete and (code not in (0, 1, 2) or (code == 2 and not matches and errors.strip())):
        raise SearchError(errors.strip() or f"rg exited with {code}")
    return matches, complete


def _search_python_tree(folder: Path, query: SearchQuery) -> tuple[list[Match], bool]:
    files = walk_files(folder, include_ignored=query.include_ignored)
    if query.include:
        include = normalize_glob(query.include)
        files = (f for f in files if glob_matches(include, f.relative_to(folder).as_posix()))
    return _search_python(files, query)


def _search_python(files: Iterable[Path], query: SearchQuery) -> tuple[list[Match], bool]:
    pattern = query.compiled()
    matches: list[Match] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary, as git grep -I and rg skip it
        lines = data.decode("utf-8", "replace").split("\n")
        if lines[-1] == "":
            lines.pop()  # the final newline ends the last line
        for number, line in enumerate(lines, start=1):
            if pattern.search(line):
                matches.append(Match(path, number, line.rstrip("\r")))
                if len(matches) >= COLLECT_LIMIT:
                    return matches, False
    return matches, True


def _stream(
    args: list[str], cwd: Path, on_line: Callable[[bytes], None], full: Callable[[], bool]
) -> tuple[int, str, bool]:
    """Run a search process, feeding each output line to `on_line` until `full()`.

    Returns (exit code, stderr, complete): complete is False when it was stopped early.

    Raises:
        SearchError: it cannot start, or runs past `SEARCH_TIMEOUT_S`.
    """
    # stderr goes to a file: a full stderr pipe would stall the process and our read of stdout.
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            raise SearchError(f"cannot run {args[0]}: {exc.strerror or exc}") from None
        assert process.stdout is not None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(SEARCH_TIMEOUT_S, expire)
        timer.start()
        complete = True
        try:
            for line in process.stdout:
                on_line(line.rstrip(b"\n"))
                if full():
                    complete = False
                    process.kill()
                    break
            code = process.wait()
        finally:
            timer.cancel()
            process.stdout.close()
        if expired.is_set():
            raise SearchError(f"the search took longer than {SEARCH_TIMEOUT_S:.0f} s")
        errors.seek(0)
        return code, errors.read().decode("utf-8", "replace"), complete
