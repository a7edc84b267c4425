"""Deferred SDK modules: the same names and objects, loaded when first used."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tui.engine.model._lazy_import import reexports, top_level_functions


def test_an_init_of_only_reexports_is_pure() -> None:
    found = reexports(
        textwrap.dedent(
            '''
            """Doc."""
            from __future__ import annotations
            from .a import A as A, B
            from . import c
            __all__ = ["A", "B", "c"]
            '''
        )
    )
    assert found.pure
    assert found.names == {"A": ("a", "A"), "B": ("a", "B"), "c": ("c", None)}
    assert found.all_names == ["A", "B", "c"]


def test_anything_else_makes_it_impure() -> None:
    for extra in ("from .a import *", "import os", "X = 1", "from os import path", "__all__ = names()"):
        assert not reexports(f"from .a import A\n{extra}\n").pure, extra


def _run(code: str, cwd: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _package(root: Path) -> None:
    pkg = root / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from .a import A as A\nfrom . import sub\nimport builtins\nbuiltins.RAN_INIT = True\nLATE = 'late'\n"
    )
    (pkg / "a.py").write_text(
        "import builtins\nbuiltins.LOADED = [*getattr(builtins, 'LOADED', []), 'a']\nclass A: ...\n"
    )
    (pkg / "sub" / "__init__.py").write_text("from .b import B as B\nfrom .c import C\n")
    for name in ("b", "c"):
        (pkg / "sub" / f"{name}.py").write_text(
            f"import builtins\nbuiltins.LOADED = [*getattr(builtins, 'LOADED', []), {name!r}]\nclass {name.upper()}: ...\n"
        )


def test_names_load_their_submodule_when_first_read_and_the_root_runs_whole_for_any_other(tmp_path: Path) -> None:
    _package(tmp_path)
    seen = _run(
        """
        import builtins, json
        from tui.engine.model._lazy_import import defer_package_inits
        defer_package_inits("pkg")
        import pkg
        steps = [list(getattr(builtins, "LOADED", [])), hasattr(builtins, "RAN_INIT")]
        from pkg.sub import B
        steps.append(list(builtins.LOADED))
        star = {}
        exec("from pkg.sub import *", star)
        steps.append(sorted(k for k in star if not k.startswith("__")))
        steps.append([pkg.A.__module__, hasattr(builtins, "RAN_INIT")])
        steps.append([pkg.LATE, hasattr(builtins, "RAN_INIT"), pkg.A is __import__("pkg.a").a.A])
        print(json.dumps(steps))
        """,
        tmp_path,
    )
    assert seen == [
        [],  # importing the package ran nothing of it
        False,
        ["b"],  # only what was read
        ["B", "C"],  # a star import sees every re-exported name
        ["pkg.a", False],  # a re-exported name does not run the root's other statements
        ["late", True, True],  # any other name runs the whole __init__, once, with the same objects
    ]


def test_a_sub_package_that_makes_aliases_defers_its_reexports_too(tmp_path: Path) -> None:
    _package(tmp_path)
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text(
        "import builtins\nfrom .b import B as B\nfrom .c import C\nbuiltins.RAN_SUB = True\nALIAS = C\n"
    )
    seen = _run(
        """
        import builtins, json
        from tui.engine.model._lazy_import import defer_package_inits
        defer_package_inits("pkg")
        from pkg.sub import B
        steps = [list(builtins.LOADED), hasattr(builtins, "RAN_SUB")]
        from pkg.sub import ALIAS
        import pkg.sub.c
        steps.append([sorted(builtins.LOADED), builtins.RAN_SUB, ALIAS is pkg.sub.c.C])
        print(json.dumps(steps))
        """,
        tmp_path,
    )
    assert seen == [["b"], False, [["b", "c"], True, True]]


def test_top_level_functions_are_read_from_the_source() -> None:
    source = "import os\ndef f(): ...\nasync def g(): ...\nclass C:\n    def m(self): ...\nh = f\n"
    assert top_level_functions(source) == {"f", "g"}


def test_a_module_named_in_functions_of_loads_on_the_first_call_of_a_function(tmp_path: Path) -> None:
    _package(tmp_path)
    (tmp_path / "pkg" / "errors.py").write_text(
        "import builtins\nbuiltins.LOADED = [*getattr(builtins, 'LOADED', []), 'errors']\n"
        "KIND = 'status'\ndef make(code, *, text=''):\n    return f'{KIND} {code} {text}'\n"
    )
    (tmp_path / "pkg" / "client.py").write_text("from pkg.errors import make\n")
    seen = _run(
        """
        import builtins, json
        from tui.engine.model._lazy_import import defer_package_inits
        defer_package_inits("pkg", functions_of=["pkg.errors"])
        from pkg.client import make
        steps = [getattr(builtins, "LOADED", []), make.__name__, make.__module__]
        steps.append([make(429, text="slow down"), builtins.LOADED])
        from pkg.errors import KIND, make as real
        steps.append([KIND, real is not make, real(500)])
        print(json.dumps(steps))
        """,
        tmp_path,
    )
    assert seen == [
        [],  # imported a function from it: nothing of it ran
        "make",
        "pkg.errors",
        ["status 429 slow down", ["errors"]],  # the first call loads it and calls the real function
        ["status", True, "status 500 "],  # any other name is the module's own
    ]


def test_the_sdk_deferred_has_the_same_names_and_objects_with_fewer_modules(tmp_path: Path) -> None:
    code = """
        import json, sys
        from tui.engine.model.serving import _CALLED_LATER
        if sys.argv[1] == "lazy":
            from tui.engine.model._lazy_import import defer_package_inits
            defer_package_inits("anthropic", functions_of=_CALLED_LATER)
        import anthropic
        client = anthropic.AsyncAnthropic(api_key="k", base_url="http://127.0.0.1:9")
        client.messages
        first = len(sys.modules)
        ran = [m for m in _CALLED_LATER if m in sys.modules and "__builtins__" in vars(sys.modules[m])]
        def ident(value):
            return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"
        names = {n: ident(getattr(anthropic, n)) for n in anthropic.__all__}
        types = {n: ident(getattr(anthropic.types, n)) for n in dir(anthropic.types) if not n.startswith("_")}
        print(json.dumps({"first": first, "ran": ran, "names": names, "types": len(types), "version": anthropic.__version__}))
    """
    runs = {}
    for mode in ("eager", "lazy"):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), mode], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        runs[mode] = json.loads(done.stdout)
    eager, lazy = runs["eager"], runs["lazy"]
    assert lazy["names"] == eager["names"]
    assert lazy["version"] == eager["version"]
    assert lazy["first"] < eager["first"] * 0.4, (lazy["first"], eager["first"])
    assert eager["ran"] and not lazy["ran"]  # the modules of `_CALLED_LATER` are imported, yet none ran
