"""Loading tools from files, modules and entry points; broken ones are refused at start, by name."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.tools import ToolLoadError, load_entry_points, load_spec

MARKED = '''
from typing import Annotated
from assistant.tools import tool

@tool(examples=["say hello to Bob"])
def greet(name: Annotated[str, "who to greet"]) -> str:
    """Greet someone by name."""
    return f"Hello, {name}!"

def helper(x: int) -> int:
    """Not a tool: the file marks greet only."""
    return x
'''

PLAIN = '''
from datetime import timedelta
from os.path import join  # imported functions are not tools

def shout(text: str) -> str:
    """Say something loudly."""
    return text.upper()

async def wait_for(duration: timedelta) -> str:
    """Wait a while."""
    return "done"

def _private(x: int) -> int:
    return x
'''


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_marked_functions_only(tmp_path: Path) -> None:
    tools = load_spec(str(write(tmp_path, "marked.py", MARKED)))
    assert [t.name for t in tools] == ["greet"]
    assert tools[0].options.examples == ("say hello to Bob",)


def test_a_file_of_plain_functions_just_works(tmp_path: Path) -> None:
    tools = {t.name: t for t in load_spec(str(write(tmp_path, "plain.py", PLAIN)))}
    assert set(tools) == {"shout", "wait_for"}
    assert tools["wait_for"].is_async and tools["shout"].description == "Say something loudly."


def test_an_importable_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "my_module_tools.py", MARKED)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [t.name for t in load_spec("my_module_tools")] == ["greet"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(:\n", "failed to import: SyntaxError"),
        ("import not_a_module_anywhere\n", "failed to import: ModuleNotFoundError"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        ("class Opaque: ...\n\ndef lookup(x: Opaque) -> str:\n    'Find x.'\n", "lookup: its parameters"),
        ("def lookup(x) -> str:\n    'Find x.'\n", "lookup: parameter 'x' needs a type hint"),
        ("X = 1\n", "defines no public functions"),
    ],
)
def test_broken_files_are_refused_with_file_function_and_reason(
    tmp_path: Path, source: str, expected: str
) -> None:
    path = write(tmp_path, "broken.py", source)
    with pytest.raises(ToolLoadError) as err:
        load_spec(str(path))
    assert str(path) in str(err.value) and expected in str(err.value)
    assert "assistant_tools_" not in str(err.value)  # the loader's name for the module is no help


def test_missing_file_and_module() -> None:
    with pytest.raises(ToolLoadError, match="no such tools file"):
        load_spec("nowhere/tools.py")
    with pytest.raises(ToolLoadError, match="is a folder"):
        load_spec(str(Path(__file__).parent))
    with pytest.raises(ToolLoadError, match="failed to import module"):
        load_spec("no_such_tools_module")


def test_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed package offers tools under the `assistant.tools` group."""
    write(tmp_path, "ep_tools_pkg.py", MARKED)
    dist = tmp_path / "ep_tools_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-tools-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[assistant.tools]\ngreeting = ep_tools_pkg\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "greet" in [t.name for t in load_entry_points()]
    (dist / "entry_points.txt").write_text("[assistant.tools]\nbroken = ep_tools_pkg_missing\n")
    with pytest.raises(ToolLoadError, match="entry point broken"):
        load_entry_points()
    sys.modules.pop("ep_tools_pkg", None)


def test_the_cli_refuses_a_broken_tools_file_before_loading_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad_tools.py", "def lookup(x) -> str:\n    'Find x.'\n")
    code = main(["simulate", "--tools", str(path), "--quiet", str(tmp_path / "unused.wav")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad_tools.py" in err and "lookup" in err and "needs a type hint" in err
