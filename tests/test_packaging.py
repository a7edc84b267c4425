"""The package layout promises: every package ships, the engine stays headless."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "tui").rglob("__init__.py")
        if "__pycache__" not in init.parts and "sample" not in init.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_engine_or_presentation_module_imports_textual():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("engine", "presentation")
        for path in (ROOT / "tui" / package).rglob("*.py")
        if any(name == "textual" or name.startswith("textual.") for name in _imports(path))
    ]
    assert offenders == []


HEADLESS_OUTSIDE_ENGINE = (
    "tui.presentation.transcript",
    "tui.replay.recorded_provider",
    "tui.replay.demo",
    "tui.replay.verify",
    "tui.replay.git_tree",
    "tui.presentation.export",
    "tui.commands.print_mode",
    "tui.commands.export",
    "tui.commands.sessions",
    "tui.commands.agents",
)
"""What events show, print mode, replay --verify, export and the demo's recording run without the app (only
`tui/replay/app.py` and `timeline.py`, the replay screen, are Textual)."""


def _fresh_interpreter(code: str) -> str:
    """What `code` prints, run in a new interpreter (nothing of this test run loaded)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout


def test_importing_the_whole_engine_and_the_headless_commands_loads_no_textual():
    code = (
        "import importlib, pkgutil, sys, tui.engine\n"
        "for m in pkgutil.walk_packages(tui.engine.__path__, 'tui.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        f"for name in {HEADLESS_OUTSIDE_ENGINE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(k for k in sys.modules if k == 'textual' or k.startswith('textual.')))\n"
    )
    assert _fresh_interpreter(code).strip() == "[]"


def test_cli_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from tui import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(k for k in ('anthropic', 'textual', 'git', 'pygments') if k in sys.modules))\n"
    )
    out = _fresh_interpreter(code)
    assert "pair-program" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_the_app_before_its_first_frame_loads_nothing_of_the_session():
    """What the first frame waits for: the session's modules (the command runner, git, the SDK) load
    in the opening thread, beside it."""
    code = (
        "import sys\n"
        "import tui.commands.app, tui.app.app\n"
        "heavy = ('tui.engine.exec.terminal', 'tui.engine.session.session', 'git', 'anthropic')\n"
        "print(sorted(k for k in heavy if k in sys.modules))\n"
    )
    assert _fresh_interpreter(code).strip() == "[]"


def _module_graph() -> dict[str, set[str]]:
    """Each tui module -> the tui modules it imports anywhere (lazily and for type checking too)."""
    modules = {}
    for path in (ROOT / "tui").rglob("*.py"):
        if "sample" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        # A module importing its own package's __init__ is not a cycle worth naming.
        graph[name] = {m for m in found if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def test_no_module_imports_itself_through_others():
    graph = _module_graph()
    done: set[str] = set()

    def cycle_from(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for imported in sorted(graph[name]):
            found = cycle_from(imported, [*path, name])
            if found:
                return found
        done.add(name)
        return None

    cycles = [c for c in (cycle_from(name, []) for name in sorted(graph)) if c]
    assert cycles == [], " -> ".join(cycles[0]) if cycles else ""


LAYERS = ("engine", "presentation", "app", "replay", "commands")
"""tui's packages, lowest first: each imports only those before it (the engine none of them), so no two
packages import each other, lazily or for type checking either."""


def test_each_package_imports_only_the_layers_below_it():
    def layer(module: str) -> int | None:
        parts = module.split(".")
        return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None

    upward = sorted(
        f"{module} imports {imported}"
        for module, imports in _module_graph().items()
        if (own := layer(module)) is not None
        for imported in imports
        if (other := layer(imported)) is not None and other > own
    )
    assert upward == []
