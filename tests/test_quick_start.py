"""README's `simulate` command, as written there, gives the conversation the README says it gives."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from assistant.engine.notices import UNABLE

ROOT = Path(__file__).parent.parent


def readme_simulate() -> list[str]:
    """The arguments of the README's first `assistant simulate` command."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"\.venv/bin/assistant (simulate [^\n`]*)\n", text.replace("\\\n", " "))
    assert found, "README.md has no `assistant simulate` command"
    return shlex.split(found.group(1))


def test_the_readme_conversation(tmp_path: Path) -> None:
    args = readme_simulate()
    args[args.index("--out") + 1] = str(tmp_path / "conversation.wav")
    args[args.index("--report") + 1] = str(tmp_path / "report.json")
    env = {**os.environ, "HOME_TOOLS_STATE": str(tmp_path / "home.json")}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    turns = json.loads((tmp_path / "report.json").read_text())["turns"]
    assert [t["user_text"].lower().strip(".") for t in turns] == ["go forward 10 meters", "7 of clubs"]
    moved, cards = turns
    assert [c["name"] for c in moved["tool_calls"]] == ["move_robot"]
    assert moved["assistant_text"].startswith("The robot went forward 10 meters; it is at 0, 10")
    assert cards["assistant_text"] and cards["assistant_text"] != UNABLE  # nothing was asked to be done
    assert not re.search(r"kitchen|living room|bedroom|office", cards["assistant_text"], re.I)
    assert (tmp_path / "conversation.wav").stat().st_size > 100_000
