"""A real reverse proxy (mitmproxy's mitmdump) between the engine and a real LLM server, for faults.

mitmproxy pins versions of h11, cryptography and others that conflict with the main environment, so it
lives in its own virtual environment, `.venv-tools` (made by `scripts/install_tools.sh`, which `.ci/run`
calls). `ASSISTANT_MITMDUMP` names another mitmdump binary.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from llm_server import free_port

ROOT = Path(__file__).resolve().parent.parent
ADDON = Path(__file__).with_name("fault_proxy_addon.py")


def mitmdump() -> str:
    found = os.environ.get("ASSISTANT_MITMDUMP") or str(ROOT / ".venv-tools" / "bin" / "mitmdump")
    if not Path(found).is_file():
        found = shutil.which("mitmdump") or ""
    if not found:
        raise RuntimeError("mitmdump not found: run `bash scripts/install_tools.sh` (makes .venv-tools)")
    return found


@dataclass
class FaultProxy:
    base_url: str
    """The proxy's OpenAI-compatible base URL (…/v1), to give the engine instead of the server's."""
    fault_file: Path

    def set(self, fault: str) -> None:
        """`ok`, `refuse`, `down`, `hang`, `slow`, `garbage` or `cut` (see fault_proxy_addon.py)."""
        self.fault_file.write_text(fault)


@contextmanager
def fault_proxy(upstream_base: str, workdir: Path) -> Iterator[FaultProxy]:
    """Reverse-proxy `upstream_base` (an …/v1 URL) on a free local port, streaming, faults off."""
    port = free_port()
    fault_file = workdir / "fault"
    fault_file.write_text("ok")
    upstream = upstream_base.removesuffix("/v1")
    cmd = [
        mitmdump(),
        "--mode",
        f"reverse:{upstream}",
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        str(port),
        "-s",
        str(ADDON),
        "--set",
        f"fault_file={fault_file}",
        "--set",
        f"confdir={workdir / 'mitmproxy'}",
        "-q",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mitmdump did not start") from None
                time.sleep(0.1)
        yield FaultProxy(f"http://127.0.0.1:{port}/v1", fault_file)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
