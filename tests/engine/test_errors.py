"""One exception root: every error class stepwise defines derives from StepwiseError."""

import importlib
import inspect
import pkgutil

import pytest

import tui
from tui.engine.errors import StepwiseError
from tui.engine.exec.sandbox import SandboxUnavailable
from tui.engine.workspace.proposals import WriteRefused


def _project_exceptions() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.walk_packages(tui.__path__, "tui."):
        if ".demo.sample" in module_info.name or module_info.name == "tui.__main__":
            continue
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_project_exception_derives_from_stepwise_error():
    classes = _project_exceptions()
    assert len(classes) >= 22
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, StepwiseError)] == []


@pytest.mark.parametrize(("cls", "builtin"), [(SandboxUnavailable, OSError), (WriteRefused, PermissionError)])
def test_errors_keep_their_builtin_base_and_message(cls, builtin):
    error = cls("the reason")
    assert isinstance(error, builtin) and isinstance(error, StepwiseError)
    assert str(error) == "the reason"
