"""Finding tools: the built-in ones, `--tools FILE_OR_MODULE`, and installed packages' entry points.

In a file or module, the functions marked with `@tool` are its tools; a file that marks none offers every
public function defined in it, so a file of plain typed functions with docstrings just works. Anything that
cannot load is refused at start with the file, the function and the reason.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.tools.declare import FILE_MODULE, MARK, Tool, ToolDefinitionError, make_tool

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "assistant.tools"


class ToolLoadError(ValueError):
    """A tools file or module that cannot be used, and why."""


def _import_file(path: Path) -> ModuleType:
    name = f"{FILE_MODULE}{path.stem}_{abs(hash(path.resolve())) % 10**8}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ToolLoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ToolLoadError(f"{path}: failed to import: {type(exc).__name__}: {exc}") from None
    return module


def _import(spec: str) -> tuple[ModuleType, str]:
    path = Path(spec).expanduser()
    if spec.endswith(".py") or path.exists():
        if path.is_dir():
            raise ToolLoadError(f"{spec}: is a folder; name a .py file or an importable module")
        if not path.is_file():
            raise ToolLoadError(f"{spec}: no such tools file")
        return _import_file(path), str(path)
    try:
        return importlib.import_module(spec), spec
    except Exception as exc:
        raise ToolLoadError(f"{spec}: failed to import module: {type(exc).__name__}: {exc}") from None


def functions_in(module: ModuleType) -> list[Callable[..., Any]]:
    """The marked functions, or every public function defined in the module if none is marked. A file
    that marks some leaves its other public functions with docstrings out, and says so in the log: a
    newcomer who marked only the tools with examples had an oven with no tools, and the model made its
    answers up (trial of 2026-12-08)."""
    members = [obj for obj in vars(module).values() if inspect.isfunction(obj)]  # in definition order
    public = [f for f in members if f.__module__ == module.__name__ and not f.__name__.startswith("_")]
    marked = [f for f in members if hasattr(f, MARK)]
    if not marked:
        return public
    left = [f.__name__ for f in public if not hasattr(f, MARK) and f.__doc__]
    if left:
        log.warning(
            "%s: only the functions marked @tool are tools; not %s (mark them to offer them)",
            getattr(module, "__file__", None) or module.__name__,
            ", ".join(left),
        )
    return marked


def tools_from(functions: Iterable[Callable[..., Any]], origin: str) -> list[Tool]:
    tools = []
    for fn in functions:
        try:
            tools.append(make_tool(fn))
        except ToolDefinitionError as exc:
            raise ToolLoadError(f"{origin}: {exc}") from None
    return tools


def load_spec(spec: str) -> list[Tool]:
    """Tools from a `.py` file path or an importable module name."""
    module, origin = _import(spec)
    functions = functions_in(module)
    if not functions:
        raise ToolLoadError(f"{origin}: defines no public functions to use as tools")
    return tools_from(functions, origin)


def load_entry_points() -> list[Tool]:
    """Installed packages declare `[project.entry-points."assistant.tools"] name = "pkg.module"`
    (a module, a function, or a list of functions)."""
    tools: list[Tool] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
        except Exception as exc:
            raise ToolLoadError(f"{origin}: failed to import: {type(exc).__name__}: {exc}") from None
        if isinstance(obj, ModuleType):
            tools += tools_from(functions_in(obj), origin)
        elif callable(obj):
            tools += tools_from([obj], origin)
        elif isinstance(obj, list | tuple):
            tools += tools_from(obj, origin)
        else:
            raise ToolLoadError(f"{origin}: is neither a module, a function nor a list of functions")
    return tools
