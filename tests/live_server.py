"""`assistant serve`'s app on a real socket, in a thread with its own event loop, and the Chromium that
speaks to it, for the web tests and the web benchmark."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from assistant.access import Access
from assistant.config import Config
from assistant.server import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`secret`: serve as `ASSISTANT_TOKEN=secret assistant serve` would (default: open on loopback)."""

    def __init__(self, cfg: Config, secret: str | None = None) -> None:
        self.cfg, self.secret = cfg, secret
        access = Access(secret, session_ttl_s=cfg.server.session_token_ttl_s)
        self.app = create_app(cfg, access=access)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws_max_size=1 << 20,
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="live-server", daemon=True)

    @property
    def manager(self):
        return self.app.state.manager

    def token(self) -> str:
        """A session token, as a script gets one: POST /session (with the secret, if there is one)."""
        headers = {"authorization": f"Bearer {self.secret}"} if self.secret else {}
        response = httpx.post(f"{self.url}/session", headers=headers, timeout=5)
        response.raise_for_status()
        return response.json()["token"]

    def auth(self) -> dict[str, str]:
        """Headers that admit one session start over POST /offer."""
        return {"authorization": f"Bearer {self.token()}"}

    @property
    def ws_url(self) -> str:
        """The WebSocket URL with a fresh session token."""
        return f"ws://127.0.0.1:{self.port}/ws?token={self.token()}"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 120
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def sessions(self) -> int:
        return httpx.get(f"{self.url}/health", timeout=5).json()["sessions"]

    def metrics(self) -> str:
        headers = {"authorization": f"Bearer {self.secret}"} if self.secret else {}
        response = httpx.get(f"{self.url}/metrics", headers=headers, timeout=5)
        response.raise_for_status()
        return response.text

    def wait_sessions(self, count: int, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while (now := self.sessions()) != count and time.monotonic() < deadline:
            time.sleep(0.1)
        return now


CHROMIUM = "/usr/bin/chromium"


def launch_chromium(playwright: Any, wav: Path) -> Any:
    """Debian's Chromium whose fake microphone says `wav` once, from the moment a page starts capturing."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
            "--autoplay-policy=no-user-gesture-required",
            "--no-sandbox",
        ],
    )


def resources(server: LiveServer) -> dict[str, Any]:
    """What a leak would grow, in this process (server and test clients): the server loop's tasks (its
    /metrics gauge), open file descriptors, threads (without asyncio's pooled executor threads, which
    come and go up to their cap: asyncio_N, or uvloop_N on uvicorn's loop), resident memory in MiB."""
    import os
    import threading

    tasks = next(
        float(line.split()[-1])
        for line in server.metrics().splitlines()
        if line.startswith("assistant_asyncio_tasks ")
    )
    threads = [t for t in threading.enumerate() if not t.name.startswith(("asyncio_", "uvloop_"))]
    with open("/proc/self/statm") as statm:
        rss_pages = int(statm.read().split()[1])
    return {
        "thread_names": sorted(t.name for t in threads),  # type: ignore[dict-item]
        "tasks": int(tasks),
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": len(threads),
        "rss_mib": rss_pages * os.sysconf("SC_PAGE_SIZE") // (1 << 20),
    }
