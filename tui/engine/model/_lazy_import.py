"""Package `__init__`s that load what they re-export when it is first used (the provider process only).

`import anthropic` runs about a second of imports: its `__init__` and those of
`anthropic.types`, `anthropic.resources`, ... import every model class and
resource of the API, beta ones included, while one streamed request needs a
fraction of them. `defer_package_inits("anthropic")` installs an import finder
that reads each `__init__.py` of that package tree (its syntax tree, nothing is
run) before it loads:

- A *pure re-export* `__init__` (only a docstring, `from __future__`, `from .m
  import a as b`, `from . import m` and a literal `__all__`) becomes a module
  that imports `.m` when `a` is first read (PEP 562 `__getattr__`). Reading
  every name gives exactly the eager module's names and objects.
- The root's own `__init__`, which does more than re-export (it sets up the
  SDK's logging, renames `__module__`s, star-imports), is deferred the same way
  for the names it imports from a submodule; any other name runs the whole
  original `__init__` once, in the module, as a plain import would have.
- Anything else (an `__init__` with other statements, a namespace package, a
  file that cannot be read or parsed) loads normally.

The SDK's classes, the request it sends and its errors are the same objects
and bytes; only when each module runs changes. This lives in the provider
process: nothing in the app's process imports the SDK this way.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["defer_package_inits", "forget", "reexports"]


@dataclass(frozen=True)
class Reexports:
    """What an `__init__` imports from its own submodules, by the name it binds."""

    names: dict[str, tuple[str, str | None]]
    """Bound name -> (submodule, attribute); attribute None for `from . import m`."""
    pure: bool
    """Nothing else happens in the file (see the module docstring)."""
    all_names: list[str] | None
    """Its literal `__all__`, if it sets one."""


def reexports(source: str) -> Reexports:
    """Read an `__init__`'s source (without running it).

    Raises:
        SyntaxError: it does not parse.
    """
    names: dict[str, tuple[str, str | None]] = {}
    pure = True
    all_names: list[str] | None = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1 and all(alias.name != "*" for alias in node.names):
            for alias in node.names:
                bound = alias.asname or alias.name
                names[bound] = (node.module, alias.name) if node.module else (alias.name, None)
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "__all__"
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                value = None
            if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
                all_names = list(value)
                continue
        pure = False
    return Reexports(names=names, pure=pure, all_names=all_names)


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, spec: importlib.machinery.ModuleSpec, found: Reexports, source: str) -> None:
        self._spec = spec
        self._found = found
        self._source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        found, spec, source = self._found, self._spec, self._source
        name = module.__name__
        whole = not found.pure

        def run_whole_init() -> None:
            nonlocal whole
            whole = False
            del module.__getattr__
            code = compile(source, spec.origin or name, "exec")
            exec(code, module.__dict__)  # the package's own __init__, as a plain import runs it

        def __getattr__(attr: str) -> Any:  # noqa: N807 - PEP 562
            # The provider process imports from one thread; a race would only bind the same object twice.
            if attr in found.names:
                submodule, source_attr = found.names[attr]
                loaded = importlib.import_module(f"{name}.{submodule}")
                value = loaded if source_attr is None else getattr(loaded, source_attr)
                setattr(module, attr, value)
                return value
            if attr == "__all__" and found.pure:
                return _public(found)
            if _is_submodule(module, attr):
                # `from pkg import submodule` asks first, then imports it.
                raise AttributeError(attr)
            if whole:
                run_whole_init()
                return getattr(module, attr)
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        if found.all_names is not None and found.pure:
            module.__dict__["__all__"] = found.all_names


def _public(found: Reexports) -> list[str]:
    return [name for name in found.names if not name.startswith("_")]


def _is_submodule(module: ModuleType, attr: str) -> bool:
    path = getattr(module, "__path__", None)
    if not path or attr.startswith("__"):
        return False
    return importlib.machinery.PathFinder.find_spec(f"{module.__name__}.{attr}", path) is not None


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, root: str) -> None:
        self.root = root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.root and not fullname.startswith(self.root + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.submodule_search_locations or not (spec.origin or "").endswith("__init__.py"):
            return spec  # a plain module (or not found): loaded as usual
        try:
            with open(spec.origin or "", encoding="utf-8") as file:
                source = file.read()
            found = reexports(source)
        except (OSError, SyntaxError, UnicodeDecodeError):
            return spec
        if not found.pure and fullname != self.root:
            return spec
        spec.loader = _DeferredLoader(spec, found, source)
        return spec


def defer_package_inits(root: str) -> bool:
    """Install the finder for package `root` and its sub-packages; False (nothing done) once `root` is loaded."""
    if root in sys.modules:
        return False
    sys.meta_path.insert(0, _Finder(root))
    return True


def forget(root: str) -> None:
    """Remove the finder for `root` and every module of `root` loaded so far (the next import is a plain one)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not (isinstance(f, _Finder) and f.root == root)]
    for name in [n for n in sys.modules if n == root or n.startswith(root + ".")]:
        del sys.modules[name]
