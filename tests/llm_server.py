"""Starts llama-cpp-python's real OpenAI-compatible HTTP server on a bundled model, on a free local port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.models import resolve_gguf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def llama_server(
    n_threads: int = 2,
    chat_format: str | None = None,
    model: str = "bundled:gemma-3-270m",
    alias: str = "gemma",
    port: int | None = None,
    interrupt_requests: bool = True,
    n_ctx: int = 4096,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`chat_format="chatml-function-calling"` turns on the server's tools API (grammar-constrained calls);
    without one the server renders the GGUF's own chat template (Qwen's places the tools itself).
    `port`: a given one (a server started again where a killed one was), else a free one.
    `interrupt_requests=False` for several conversations: by default a new request cuts the answer
    being streamed (the server's `--interrupt_requests`), which drops another conversation's reply."""
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(resolve_gguf(model)),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads),
        "--model_alias",
        alias,
        *(["--chat_format", chat_format] if chat_format else []),
        *([] if interrupt_requests else ["--interrupt_requests", "False"]),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("llama_cpp.server did not start") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
