"""`stepwise doctor [--json]`: which protections are active here, and why one is not."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

from tui.engine.exec import reaper
from tui.engine.exec.sandbox import UNSANDBOXED, choose, probe
from tui.engine.permissions.pathguard import protected_command_paths, relative_to_root

SHOWN_PATHS = 12


@dataclass
class Protection:
    sandbox: str
    """`on`, `required but unavailable`, `off`, or `unavailable` (commands run unsandboxed)."""
    sandbox_detail: str
    network: str
    subreaper: bool
    protected_paths: list[str]
    """Read-only for commands (inside the sandbox) and put back after them (the guard)."""
    additional_directories: list[str]
    """`permissions.additionalDirectories` in force (`path (settings file)`): more roots with the same limits."""
    warnings: list[str]
    """Why an additional directory was skipped (missing, not a folder)."""


def check(args: argparse.Namespace) -> Protection:
    from tui.engine.agents.discovery import project_root
    from tui.engine.config.settings import load_settings

    root = project_root(args.cwd)
    settings = load_settings(root)
    choice = choose(None, settings.sandbox)
    status = probe()
    if choice == "off":
        sandbox, detail = "off", f"{UNSANDBOXED}: `sandbox: false` in the settings"
    elif status.available:
        sandbox, detail = (
            "on",
            "bubblewrap: the workspace"
            + (" and its additional directories are" if settings.additional_directories else " is")
            + " writable; everything else and the protected paths are read-only",
        )
    elif choice == "on":
        sandbox, detail = "required but unavailable", f"commands will fail: {status.reason}"
    else:
        sandbox, detail = "unavailable", f"{UNSANDBOXED}: {status.reason}"
    if sandbox != "on":
        network = "not restricted (no sandbox)"
    else:
        network = "allowed (sandbox_network: true)" if settings.sandbox_network else "off for commands"
    extra = tuple(directory.path for directory in settings.additional_directories)
    protected = protected_command_paths(root, extra)
    paths = [relative_to_root(root, p) or str(p) for p in protected.read_only]
    directories = [d.describe() for d in settings.additional_directories]
    skipped = [w for w in settings.warnings if "additional directory" in w]
    return Protection(sandbox, detail, network, reaper.become_subreaper(), paths, directories, skipped)


def run(args: argparse.Namespace) -> int:
    found = check(args)
    if args.json:
        print(json.dumps(asdict(found), indent=2))
        return 0
    print(f"sandbox: {found.sandbox} ({found.sandbox_detail})")
    print(f"network: {found.network}")
    reaping = (
        "on: what commands detach is found and stopped" if found.subreaper else "off: only process groups are stopped"
    )
    print(f"subreaper: {reaping}")
    shown = ", ".join(found.protected_paths[:SHOWN_PATHS]) or "none yet"
    more = f" and {len(found.protected_paths) - SHOWN_PATHS} more" if len(found.protected_paths) > SHOWN_PATHS else ""
    print(f"protected paths ({len(found.protected_paths)}): {shown}{more}")
    for directory in found.additional_directories:
        print(f"{directory} (the workspace's hard limits and protected paths hold in it)")
    for warning in found.warnings:
        print(f"warning: {warning}")
    print("  (new control files anywhere in the workspace are moved aside after each command)", file=sys.stdout)
    return 0
