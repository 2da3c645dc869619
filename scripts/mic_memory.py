"""Peak resident memory (VmHWM) of `assistant mic` while it answers one question on virtual sound devices.

    python scripts/mic_memory.py [--config FILE] [--set KEY=VALUE ...]

`assistant bench` reports the benchmark process's own peak; this is the figure for the real microphone
front end (sounddevice/PortAudio on a private PulseAudio daemon, tests/virtual_audio.py). Needs the
system packages of .ci/install_audio.sh.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from virtual_audio import VirtualAudio, audio_tools_available  # noqa: E402


def peak_memory_mib(extra_args: list[str], question: Path, duration_s: float = 20.0) -> float:
    """Start `assistant mic`, say `question` into the virtual microphone, and follow VmHWM until it exits."""
    with VirtualAudio(rate=48000) as va:
        command = [sys.executable, "-m", "assistant", "mic", "--input-device", "pulse", "--output-device"]
        command += ["pulse", "--sample-rate", "48000", "--duration", str(duration_s), *extra_args]
        proc = subprocess.Popen(
            command, env=va.proc_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        while "Listening at" not in (line := proc.stdout.readline()):
            if not line:
                raise SystemExit(f"assistant mic exited before listening (code {proc.wait()})")
        time.sleep(1)
        va.play_into_mic(question)
        peak_kib = 0
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                rows = status.read_text().splitlines()
            except OSError:
                break
            for row in rows:
                if row.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(row.split()[1]))
            time.sleep(0.5)
        return round(peak_kib / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--question", type=Path, default=ROOT / "tests" / "data" / "goforward.wav")
    args = parser.parse_args()
    if not audio_tools_available():
        raise SystemExit("needs PulseAudio and its tools: bash .ci/install_audio.sh")
    extra = (["--config", args.config] if args.config else []) + [f"--set={s}" for s in args.set]
    print(json.dumps({"assistant_mic_peak_rss_mib": peak_memory_mib(extra, args.question)}))


if __name__ == "__main__":
    main()
