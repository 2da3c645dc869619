"""`assistant serve` as a user starts it: the real CLI in its own process, with a secret, and its figures
read from /metrics (resident memory, open fds, event-loop tasks, threads, sessions). Used by the churn and
soak scripts and their CI-sized tests, so that the client's own memory and threads never mix in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from live_server import free_port
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
SECRET = "churn-and-soak-secret-0123456789"
FIGURES = {
    "process_resident_memory_bytes": "rss_mib",
    "process_open_fds": "fds",
    "assistant_asyncio_tasks": "tasks",
    "assistant_threads": "threads",
    "assistant_active_sessions": "sessions",
    "assistant_pending_sessions": "pending",
    "assistant_python_blocks": "python_blocks",
    "assistant_heap_in_use_bytes": "heap_used_mib",
    "assistant_heap_free_bytes": "heap_free_mib",
}


def interrupt(proc: subprocess.Popen[Any], within_s: float = 30) -> None:
    """Stop `proc` as Ctrl+C would (SIGINT), killing it if it has not exited within `within_s`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(within_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServedProcess:
    """`ASSISTANT_TOKEN=SECRET assistant serve --port N --set ...` in a subprocess."""

    def __init__(self, overrides: list[str], log_path: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.secret = SECRET
        self.overrides = overrides
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServedProcess:
        env = {**os.environ, "ASSISTANT_TOKEN": self.secret, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "assistant", "serve", "--port", str(self.port)]
        for item in self.overrides:
            command += ["--set", item]
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"assistant serve exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError("assistant serve did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            interrupt(self.proc)

    def figures(self) -> dict[str, Any]:
        """Resident memory (MiB), fds, tasks, threads, sessions and pending peers of the server process."""
        text = httpx.get(
            f"{self.url}/metrics", headers={"authorization": f"Bearer {self.secret}"}, timeout=10
        ).text
        values = {
            FIGURES[sample.name]: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name in FIGURES
        }
        mib = {key for key in values if key.endswith("_mib")}
        return {k: round(v / (1 << 20), 1) if k in mib else int(v) for k, v in values.items()}

    def settle(self, within_s: float = 30) -> dict[str, Any]:
        """Wait until no session or pending peer is left, then a moment for connections to wind down."""
        deadline = time.monotonic() + within_s
        figures = self.figures()
        while (figures["sessions"] or figures["pending"]) and time.monotonic() < deadline:
            time.sleep(0.5)
            figures = self.figures()
        time.sleep(2)
        return self.figures()
