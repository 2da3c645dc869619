"""The churn and soak scripts, CI-sized, against `assistant serve` in its own process (the full runs are
`python scripts/churn.py` and `python scripts/soak.py --minutes 60`; figures in docs/reliability.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(name: str, out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    command = [sys.executable, str(ROOT / "scripts" / name), "--out", str(out), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=ROOT)
    print(result.stdout[-4000:])
    return result, json.loads(out.read_text())


def test_churn_of_200_websocket_sessions_and_40_webrtc_peers_leaks_nothing(tmp_path):
    result, figures = run_script("churn.py", tmp_path / "churn.json", "--ws", "200", "--webrtc", "40")
    ends = {**figures["websocket_outcomes"], **figures["webrtc_outcomes"]}
    assert not [k for k in ends if k.startswith("failed")], ends
    assert (
        sum(figures["websocket_outcomes"].values()) == 200 and sum(figures["webrtc_outcomes"].values()) == 40
    )
    assert {"close", "stop", "drop", "mid-reply", "idle (closed by the server)"} <= set(
        figures["websocket_outcomes"]
    )
    assert {"close", "stop", "never-connect", "quiet", "mid-reply"} <= set(figures["webrtc_outcomes"])
    assert figures["after"]["sessions"] == 0 and figures["after"]["pending"] == 0
    assert figures["within_bounds"], figures["growth"]
    assert result.returncode == 0, result.stderr[-2000:]


def test_two_minute_soak_at_80_percent_answers_every_turn(tmp_path):
    result, figures = run_script("soak.py", tmp_path / "soak.json", "--minutes", "2")
    assert figures["sessions"] == max(1, int(figures["capacity"] * 0.8)) and figures["turns"] >= 6, figures
    assert not figures["unanswered"], figures["unanswered"]
    assert not figures["closed_by_the_server"], figures["closed_by_the_server"]
    assert figures["memory_flat"], figures["rss_mib"]
    assert figures["rss_floor_mib"]["count"] >= 1, figures["rss_floor_mib"]  # read between conversations
    end, start = figures["end"], figures["start"]
    assert end["fds"] <= start["fds"] + 4 and end["tasks"] <= start["tasks"] + 2, (start, end)
    assert result.returncode == 0, result.stderr[-2000:]
