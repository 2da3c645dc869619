"""`assistant serve` says where to point the browser: one "Listening on http://HOST:PORT" line on the
console once the socket is bound, with the port the system gave for `--port 0`, and the page answers at
that address as soon as the line is out (the real CLI in its own process)."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from live_server import free_port
from served import interrupt

from assistant.serving import bind_problem, listening_line, listening_url

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^Listening on (https?://\S+?)(?: \(.*\))? — open it in a browser; Ctrl\+C to quit\.$")


class Serve:
    """`assistant serve ARGS` with its console read line by line."""

    def __init__(self, *args: str, own_group: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_TOKEN", "ASSISTANT_METRICS_TOKEN")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", *args],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=own_group,  # a group of its own, for a terminal's Ctrl+C to the whole group
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for_listening(self, within_s: float = 300) -> str:
        """The URL of the first "Listening on" line (failing with everything said when none comes)."""
        deadline = time.monotonic() + within_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"serve exited ({self.proc.wait()}) without a listening line: {self.seen}")
            self.seen.append(line)
            if match := LINE.match(line):
                return match.group(1)
        pytest.fail(f"no listening line within {within_s} s: {self.seen}")

    def stop(self) -> None:
        interrupt(self.proc)


@contextmanager
def serve(*args: str) -> Iterator[Serve]:
    """`Serve(*args)`, stopped (SIGINT) on the way out."""
    running = Serve(*args)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("ask", ["free", "zero"])
def test_serve_says_where_it_listens_once_bound(ask):
    port = free_port() if ask == "free" else 0
    with serve("--port", str(port)) as running:
        url = running.wait_for_listening()
        if ask == "free":
            assert url == f"http://127.0.0.1:{port}"
        else:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0"), url
        page = httpx.get(f"{url}/", timeout=10)  # no retry: ready when said
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        assert sum(bool(LINE.match(line)) for line in running.seen) == 1


def test_the_line_names_ipv6_and_wildcard_addresses_usably():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert listening_url("::1", [sock], tls=False) == f"http://[::1]:{port}"
        assert listening_url("example.local", [sock], tls=True) == f"https://example.local:{port}"
        assert listening_line("0.0.0.0", [sock], tls=False) == (
            f"Listening on http://0.0.0.0:{port} (all addresses; on this machine http://127.0.0.1:{port})"
            " — open it in a browser; Ctrl+C to quit."
        )
        assert LINE.match(listening_line("::", [sock], tls=True)).group(1) == f"https://[::]:{port}"


def test_ctrl_c_stops_serve_with_nothing_but_its_own_lines():
    """Ctrl+C in a terminal reaches `serve` and its grammar worker (the whole process group). Before: the
    worker's KeyboardInterrupt traceback, uvicorn's signal raised again inside the loop (an ERROR with
    the lifespan's CancelledError), and at exit nanobind's report of a soxr resampler: the warm-up
    conversation, still named in `warm_up`, had been frozen out of garbage collection for good."""
    running = Serve("--port", str(free_port()), own_group=True)
    try:
        running.wait_for_listening()
        os.killpg(running.proc.pid, signal.SIGINT)
        assert running.proc.wait(60) == 0
        while (line := running.lines.get(timeout=10)) is not None:
            running.seen.append(line)
    finally:
        running.stop()
    said = "\n".join(running.seen)
    assert not re.search(r"Traceback|KeyboardInterrupt|ERROR|nanobind|leaked", said), said


def test_a_taken_port_is_said_before_the_models_load():
    """A second `serve` on a port in use loaded the models for ~19 s before uvicorn said "address already
    in use" (exit 3). The port is tried first now."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port 0" in done.stderr
    assert "Loading models" not in done.stdout and time.monotonic() - started < 60


def test_an_address_that_cannot_be_bound_is_said_plainly():
    assert bind_problem("127.0.0.1", 0) is None  # any free port
    assert bind_problem("127.0.0.1", free_port()) is None
    problem = bind_problem("203.0.113.9", free_port())  # TEST-NET-3: no machine's own address
    assert problem is not None and problem.startswith("cannot listen on 203.0.113.9:")
    assert "--port" not in problem  # the port is not what is wrong
