"""How often `assistant mic` takes its own voice for the user's through a loudspeaker, on its real audio
path: a probe, not yet a test (it does not pass reliably; see docs/benchmarks.md).

    python scripts/probe_mic_echo.py [--latencies 60,250,400] [--rounds 3]

The virtual room of tests/virtual_audio.py (`use_air`) gets a `module-loopback` from the app's speaker
into its microphone, `latency_msec` late and 6 dB down (`add_loudspeaker`). Each session asks "go forward"
with the example home tools, whose spoken result is seconds long, waits until the reply has been silent
for 2 s, and prints the turns the app took: one is right, more are its own echo taken for the user.
Needs the system packages of .ci/install_audio.sh. About 30 s a session on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mic_app import App, ask_in_air  # noqa: E402
from virtual_audio import VirtualAudio, add_loudspeaker, use_air  # noqa: E402

from assistant.bench import recorded  # noqa: E402


def session(latency_ms: int, folder: Path) -> list[tuple[str, bool]]:
    """One question through a loudspeaker `latency_ms` late: the turns the app took (text, interrupted)."""
    tools = ROOT / "examples" / "home_tools.py"
    args = ("--tools", str(tools), "--set", f"tools.data_dir={folder}", "--set", "llm.temperature=0")
    with VirtualAudio(rate=48000) as va:
        use_air(va)
        add_loudspeaker(va, latency_ms, -6.0)
        report = folder / "mic.json"
        app = App(va, report, args)
        try:
            rec, asked = ask_in_air(app, va, ROOT / "tests" / "data" / "goforward.wav")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until the reply has begun and then been silent for 2 s
                runs = recorded.audible_runs(rec.right_since(asked), 16000)
                if runs and rec.samples - asked - runs[-1][1] > 2 * 16000:
                    break
                time.sleep(0.1)
            rec.stop()
        finally:
            app.stop()
    return [(t["user_text"], bool(t.get("interrupted"))) for t in json.loads(report.read_text())["turns"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", default="60,250,400", help="loudspeaker delays, ms")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for latency in (int(x) for x in args.latencies.split(",")):
        counts = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                turns = session(latency, Path(folder))
            counts.append(len(turns))
            print(f"{latency} ms: {len(turns)} turns {turns}", flush=True)
        print(f"{latency} ms: turns per session {counts} (1 is right)", flush=True)


if __name__ == "__main__":
    main()
