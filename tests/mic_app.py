"""`assistant mic` as a subprocess on virtual devices, its console read line by line (tests and scripts)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from virtual_audio import AIR_SINK, AirRecorder, VirtualAudio


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc/PID/stat)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class App:
    """`assistant mic` as a subprocess, its console read line by line in a thread."""

    def __init__(
        self,
        va: VirtualAudio,
        report: Path,
        args: tuple[str, ...] = ("--set", "llm.temperature=0"),
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        cwd: Path | None = None,
    ) -> None:
        """`cwd`: run in this checkout (`python -m` puts the working directory first on the path)."""
        command = [python, "-m", "assistant", "mic", "--input-device", va.device_name]
        command += ["--output-device", va.device_name, "--report", str(report), *args]
        self.proc = subprocess.Popen(
            command,
            env={**va.proc_env(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=cwd,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    @property
    def screen(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def count(self, pattern: str) -> int:
        return sum(1 for _, line in list(self.lines) if re.search(pattern, line))

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 60.0) -> float:
        """When the `count`-th line matching `pattern` appeared (monotonic clock)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [t for t, line in list(self.lines) if re.search(pattern, line)]
            if len(hits) >= count:
                return hits[count - 1]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {count}× {pattern!r} on the console within {timeout:.0f} s:\n{self.screen}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the app so far (Linux /proc)."""
        return cpu_seconds(self.proc.pid)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        self._reader.join(5)
        return code


def ask_in_air(app: App, va: VirtualAudio, wav: Path) -> tuple[AirRecorder, int]:
    """Once `app` listens (on `use_air` devices), start recording both sides and say `wav` into its
    microphone; returns the recorder and the recording's length when the question had been said."""
    app.wait_for("Listening at", timeout=120)
    time.sleep(1.0)
    rec = AirRecorder(va)
    time.sleep(0.3)
    va.play_into_mic(wav, sink=f"{AIR_SINK}_user")
    return rec, rec.samples
