"""SDK modules that load when what they define is first used (the provider process only).

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
- An `__init__` that does more than re-export (the root's sets up the SDK's
  logging, renames `__module__`s and star-imports; others make aliases of
  what they import) is deferred the same way for the names it imports from a
  submodule; any other name runs the whole original `__init__` once, in the
  module, as a plain import would have.
- A plain module named in `functions_of` (one that only an error status or an
  enabled OpenTelemetry tracer needs, but that a module of the first request
  imports functions from) hands out, for each function defined at its top
  level, a forwarder that loads the module on its first call and calls the
  real function. Any other name loads it at once.
- Anything else (a namespace package, a file that cannot be read or parsed)
  loads normally.

The SDK's classes, the request it sends and its errors are the same objects
and bytes; only when each module runs changes (and a forwarded function is
another object than the one it calls). This lives in the provider
process: nothing in the app's process imports the SDK this way.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["defer_package_inits", "forget", "reexports", "top_level_functions"]


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


def top_level_functions(source: str) -> set[str]:
    """The functions a module's source defines at its top level (without running it).

    Raises:
        SyntaxError: it does not parse.
    """
    tree = ast.parse(source)
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _run_original(module: ModuleType, original: importlib.abc.Loader | None) -> None:
    """Run the module's own code in it, as a plain import would have (from its byte code cache)."""
    del module.__getattr__
    code = original.get_code(module.__name__) if isinstance(original, importlib.abc.InspectLoader) else None
    if code is None:
        raise ImportError(f"no code for {module.__name__}")
    exec(code, module.__dict__)


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, spec: importlib.machinery.ModuleSpec, found: Reexports) -> None:
        self._original = spec.loader
        self._found = found

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        found = self._found
        name = module.__name__
        whole = not found.pure

        def run_whole_init() -> None:
            nonlocal whole
            whole = False
            _run_original(module, self._original)

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


class _FunctionsLoader(importlib.abc.Loader):
    def __init__(self, spec: importlib.machinery.ModuleSpec, functions: set[str]) -> None:
        self._original = spec.loader
        self._functions = functions

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        loaded = False

        def load() -> None:
            nonlocal loaded
            if not loaded:
                loaded = True
                _run_original(module, self._original)

        def forwarder(attr: str) -> Callable[..., Any]:
            def forward(*args: Any, **kwargs: Any) -> Any:
                load()
                return module.__dict__[attr](*args, **kwargs)

            forward.__name__ = forward.__qualname__ = attr
            forward.__module__ = module.__name__
            return forward

        def __getattr__(attr: str) -> Any:  # noqa: N807 - PEP 562
            if attr in self._functions:
                return forwarder(attr)  # not kept: the module's own code binds the real one
            if attr == "__path__":  # asked by every `from m import ...`: a plain module is no package
                raise AttributeError(attr)
            load()
            return getattr(module, attr)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, root: str, functions_of: Collection[str]) -> None:
        self.root = root
        self.functions_of = frozenset(functions_of)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.root and not fullname.startswith(self.root + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = spec.origin if spec is not None else None
        if spec is None or origin is None or not origin.endswith(".py"):
            return spec  # not found, or not source: loaded as usual
        package = spec.submodule_search_locations is not None and origin.endswith("__init__.py")
        if not package and fullname not in self.functions_of:
            return spec  # a plain module: loaded as usual
        try:
            with open(origin, encoding="utf-8") as file:
                source = file.read()
            if package:
                spec.loader = _DeferredLoader(spec, reexports(source))
            elif functions := top_level_functions(source):
                spec.loader = _FunctionsLoader(spec, functions)
        except (OSError, SyntaxError, UnicodeDecodeError):
            pass
        return spec


def defer_package_inits(root: str, *, functions_of: Collection[str] = ()) -> bool:
    """Install the finder for package `root` and its sub-packages (and the modules `functions_of`, full
    names); False (nothing done) once `root` is loaded."""
    if root in sys.modules:
        return False
    sys.meta_path.insert(0, _Finder(root, functions_of))
    return True


def forget(root: str) -> None:
    """Remove the finder for `root` and every module of `root` loaded so far (the next import is a plain one)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not (isinstance(f, _Finder) and f.root == root)]
    for name in [n for n in sys.modules if n == root or n.startswith(root + ".")]:
        del sys.modules[name]
