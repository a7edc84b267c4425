"""How many real user files stepwise loads: agent files, Claude Code settings, custom commands.

    python -m tests.perf.corpus_rate /work/corpus         # a folder with agents/, settings/, commands/

Not part of the test run and needs no network: the corpus is a folder of public files collected
beforehand (one file each, named `owner__repo__path__with__underscores`, so a result names where a
file came from). Each file is loaded with stepwise's own readers (`load_agent_file`, the Claude
settings reader and the rule, hook and additional-directory parsers, `read_command`); the figures
are the share that load, with every failure's reason, and what loading warned about.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.agents.commands import read_command
from tui.engine.agents.files import AgentFileError, load_agent_file
from tui.engine.config.claude_settings import ClaudeSettings, ClaudeSettingsFile, read_settings_json
from tui.engine.permissions.rules import parse_rule
from tui.engine.session.hooks import parse_hooks


@dataclass
class Tally:
    kind: str
    loaded: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_agents: list[str] = field(default_factory=list)
    """Markdown in an agents folder without frontmatter (notes, templates): Claude Code skips it too."""
    warnings: Counter[str] = field(default_factory=Counter)
    distinct: set[str] = field(default_factory=set)
    """sha256 of each file's bytes: many public files are copies of the same template."""
    repos: set[str] = field(default_factory=set)

    def files(self, folder: Path) -> Iterator[Path]:
        """Each file of `folder` in name order, counted (its bytes, its repository) as it is handed out."""
        for path in sorted(folder.glob("*")):
            self.distinct.add(hashlib.sha256(path.read_bytes()).hexdigest())
            self.repos.add(_origin(path))
            yield path

    @property
    def total(self) -> int:
        return self.loaded + len(self.failed)

    def report(self) -> list[str]:
        rate = 100 * self.loaded / self.total if self.total else 0.0
        lines = [
            f"{self.kind}: {self.loaded}/{self.total} load ({rate:.1f}%), "
            f"{len(self.distinct)} distinct, from {len(self.repos)} repositories"
        ]
        if self.not_agents:
            everything = self.total + len(self.not_agents)
            lines.append(
                f"  and {len(self.not_agents)} Markdown files without frontmatter, not agents (Claude Code skips "
                f"them too): {self.loaded}/{everything} of every file ({100 * self.loaded / everything:.1f}%)"
            )
            lines += [f"  not an agent: {name}" for name in self.not_agents]
        lines += [f"  FAILED {name}: {reason}" for name, reason in self.failed]
        lines += [f"  warned {count}x: {text}" for text, count in self.warnings.most_common(15)]
        return lines


def _origin(path: Path) -> str:
    owner, repo, *_ = path.name.split("__")
    return f"{owner}/{repo}"


def _generic(warning: str, path: Path) -> str:
    """A warning with the file's own names taken out, so that the same problem counts once."""
    return warning.replace(str(path), "FILE")


def agents(folder: Path) -> Tally:
    tally = Tally("agent files")
    for path in tally.files(folder):
        try:
            agent = load_agent_file(path)
        except AgentFileError as exc:
            tally.failed.append((path.name, str(exc)))
            continue
        if agent is None:
            tally.not_agents.append(path.name)
            continue
        tally.loaded += 1
        tally.warnings.update(_generic(w.split(": ", 1)[-1], path) for w in agent.warnings)
    return tally


def settings(folder: Path, root: Path) -> tuple[Tally, Tally]:
    files, rules = Tally("Claude settings files"), Tally("permission rules in them")
    for path in files.files(folder):
        problems: list[str] = []
        data = read_settings_json(path, path.name, problems)
        if data is None:
            files.failed.append((path.name, "; ".join(problems) or "empty"))
            continue
        files.loaded += 1
        found = ClaudeSettings(files=[ClaudeSettingsFile(path, path.name, "project", data)])
        warnings: list[str] = []
        parse_hooks(data.get("hooks"), path.name, warnings)
        found.env()
        found.additional_directories(root)
        warnings += found.warnings
        files.warnings.update(w.split(": ", 1)[-1] for w in warnings)
        files.warnings.update(f"not honoured: {key.split(' (')[0]}" for key in found.unhonoured())
        permissions = data.get("permissions") if isinstance(data.get("permissions"), dict) else {}
        for behavior in ("allow", "ask", "deny"):
            entries = permissions.get(behavior) or []
            for entry in entries if isinstance(entries, list) else [entries]:
                rules.repos.add(_origin(path))
                rules.distinct.add(str(entry))
                try:
                    parse_rule(str(entry), behavior, path.name)
                    rules.loaded += 1
                except ValueError as exc:
                    rules.failed.append((f"{path.name}: {entry}", str(exc)))
    return files, rules


def commands(folder: Path) -> Tally:
    tally = Tally("custom commands")
    for path in tally.files(folder):
        try:
            read_command(path, path.stem.split("__")[-1], "project")
            tally.loaded += 1
        except AgentFileError as exc:
            tally.failed.append((path.name, str(exc)))
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.corpus_rate", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder holding agents/, settings/ and commands/")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    tallies: list[Tally] = []
    if (args.corpus / "agents").is_dir():
        tallies.append(agents(args.corpus / "agents"))
    if (args.corpus / "settings").is_dir():
        tallies += settings(args.corpus / "settings", args.corpus)
    if (args.corpus / "commands").is_dir():
        tallies.append(commands(args.corpus / "commands"))
    if args.json:
        print(json.dumps({t.kind: {"loaded": t.loaded, "total": t.total, "failed": t.failed} for t in tallies}))
    else:
        for tally in tallies:
            print("\n".join(tally.report()))
    return 0 if tallies else 2


if __name__ == "__main__":
    sys.exit(main())
