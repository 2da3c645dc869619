"""The examples the README tells a user to run need only the plain install (`pip install .`, no extras):
examples/ws_client.py imported httpx, which only the `test` extra brought (a newcomer's trial, 2026-12-07)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _base_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in project["dependencies"]
    }


def _imported_distributions(path: Path) -> set[str]:
    """The distributions that provide the top-level modules `path` imports (not the standard library's,
    not this project's own)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    owners = packages_distributions()
    third_party = names - set(sys.stdlib_module_names) - {"assistant", "__future__"}
    return {d.lower().replace("_", "-") for n in third_party for d in owners.get(n, [n])}


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_an_example_needs_only_the_plain_install(example):
    needed = _imported_distributions(ROOT / "examples" / example)
    base = _base_dependencies()
    assert needed <= base, f"{example} imports {sorted(needed - base)}, not in the base install"
