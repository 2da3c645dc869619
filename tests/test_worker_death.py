"""A worker killed under load: two real `assistant serve` processes behind a real HAProxy (the shipped
`docker/haproxy.cfg`, its Docker-only lines swapped for two fixed servers), two conversations talking to
each worker, then one worker SIGKILLed mid-conversation. Its own clients must learn at once that the
connection is gone; the other worker's conversations must go on being answered as if nothing happened; and
a new session through the proxy must land on the live worker (docs/scaling.md, "When something dies")."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets
from live_server import free_port
from peers import session_token
from served import ServedProcess

from assistant.audio import read_audio

ROOT = Path(__file__).resolve().parent.parent
FRAME = 320  # 20 ms at 16 kHz
OVERRIDES = ["llm.temperature=0", "server.max_sessions=4", "server.max_sessions_per_client=4"]


def proxy_config(front_port: int, workers: list[int]) -> str:
    """docker/haproxy.cfg with its Docker DNS lines replaced: the same frontend and backend rules
    (balance, cookies, health check, retries, redispatch, timeouts) in front of fixed local servers."""
    text = (ROOT / "docker/haproxy.cfg").read_text()
    text = re.sub(r"\nresolvers docker\n(?:    .*\n)+", "\n", text)
    text = text.replace("bind :8000", f"bind 127.0.0.1:{front_port}")
    text = text.replace(" resolvers docker init-addr none", "")
    servers = "".join(f"    server worker{i} 127.0.0.1:{port}\n" for i, port in enumerate(workers))
    text = re.sub(r"    server-template .*\n", servers, text)
    rules = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in rules if "resolvers" in line or "server-template" in line], rules
    return text


class Proxy:
    """`haproxy -db -f CONFIG` in the foreground, its log in a file."""

    def __init__(self, workers: list[int], folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "haproxy.cfg"
        self.config.write_text(proxy_config(self.port, workers))
        self.log = folder / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Proxy:
        check = subprocess.run(["haproxy", "-c", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"haproxy did not start: {self.log.read_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


async def converse(
    ws_url: str, said: list[np.ndarray], gap_s: float = 1.0, limit_s: float = 150
) -> list[dict]:
    """Say each recording in real time, the next `gap_s` after the reply to the one before ended (or its
    turn closed), and return every event. Ends when every recording was answered, at `limit_s`, or when
    the server's connection goes (the events so far, then a {"type": "closed", "code": ...} event)."""
    events: list[dict] = []
    async with websockets.connect(ws_url, close_timeout=2) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert hello["type"] == "session", hello
        events.append(hello)
        queue = [np.concatenate([a, np.zeros(int(16000 * gap_s), np.int16)]) for a in said]
        t0, sent, turns, quiet_since = time.monotonic(), 0, 0, None
        audio, cursor = queue.pop(0), 0
        try:
            while time.monotonic() - t0 < limit_s:
                frame = audio[cursor : cursor + FRAME] if audio is not None else np.zeros(0, np.int16)
                cursor += FRAME
                await ws.send(np.pad(frame, (0, FRAME - frame.size)).tobytes())
                sent += 1
                while isinstance(message := await asyncio.wait_for(ws.recv(), 10), str):
                    event = json.loads(message)
                    events.append(event)
                    turns += event["type"] == "turn"
                speaking = np.abs(np.frombuffer(message, "<i2")).max(initial=0) > 300
                if audio is not None and cursor >= audio.size:
                    audio = None  # said: wait for its turn, then for the reply to end
                if audio is None:
                    quiet_since = None if speaking else (quiet_since or time.monotonic())
                    answered = turns >= len(said) - len(queue)
                    if answered and quiet_since and time.monotonic() - quiet_since > gap_s:
                        if not queue:
                            break
                        audio, cursor, quiet_since = queue.pop(0), 0, None
                await asyncio.sleep(max(0.0, t0 + sent * 0.02 - time.monotonic()))
        except websockets.ConnectionClosed as exc:
            events.append({"type": "closed", "code": exc.rcvd.code if exc.rcvd else None})
            return events
        await ws.send(json.dumps({"type": "stop"}))
    return events


def sessions_of(worker: ServedProcess) -> int:
    return worker.figures()["sessions"]


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("workers")
    first = ServedProcess(OVERRIDES, folder / "worker0.log")
    second = ServedProcess(OVERRIDES, folder / "worker1.log")
    with first, second, Proxy([first.port, second.port], folder) as proxy:
        yield first, second, proxy


async def test_a_worker_killed_under_load_loses_only_its_own_sessions(workers, speech):
    first, second, proxy = workers
    go = read_audio(speech["goforward"])
    forever = read_audio(speech["forever"])
    # Which worker the proxy gives this client (balance source: every client on 127.0.0.1 hashes alike):
    # that one dies, so that the proxy then has to move this client.
    token = await session_token(proxy.url, first.secret)
    async with websockets.connect(f"ws://127.0.0.1:{proxy.port}/ws?token={token}") as probe:
        assert json.loads(await asyncio.wait_for(probe.recv(), 10))["type"] == "session"
        await probe.send(np.zeros(FRAME, np.int16).tobytes())
        await asyncio.sleep(0.5)
        on_first = sessions_of(first)
    victim, survivor = (first, second) if on_first else (second, first)
    for _ in range(100):  # the probe's session ends
        if not sessions_of(victim):
            break
        await asyncio.sleep(0.2)

    doomed = [
        asyncio.create_task(converse(f"ws://127.0.0.1:{proxy.port}/ws?token={token}", [go, forever]))
        for token in [await session_token(proxy.url, first.secret) for _ in range(2)]
    ]
    kept = [
        asyncio.create_task(converse(f"{survivor.ws_base}/ws?token={token}", [go, forever]))
        for token in [await session_token(survivor.url, survivor.secret) for _ in range(2)]
    ]
    deadline = time.monotonic() + 30
    while sessions_of(victim) < 2 or sessions_of(survivor) < 2:
        assert time.monotonic() < deadline, "the four conversations did not start where expected"
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # all four are speaking their first recording: the worker dies under load
    assert victim.proc is not None
    os.kill(victim.proc.pid, signal.SIGKILL)
    killed = time.monotonic()

    # The dead worker's clients are told at once (through the proxy): their connection closes.
    for events in await asyncio.wait_for(asyncio.gather(*doomed), 30):
        assert events[-1]["type"] == "closed", events[-3:]
    told_s = time.monotonic() - killed
    assert told_s < 15, told_s

    # A new conversation of the same client, through the proxy, while the others go on: it lands on the
    # live worker (a refused connection is retried there at once; the health check then marks the dead
    # one down).
    async def new_session() -> float:
        while True:
            try:
                token = await session_token(proxy.url, first.secret)
                async with websockets.connect(f"ws://127.0.0.1:{proxy.port}/ws?token={token}") as again:
                    assert json.loads(await asyncio.wait_for(again.recv(), 10))["type"] == "session"
                    served_s = time.monotonic() - killed
                    await again.send(np.zeros(FRAME, np.int16).tobytes())
                    await asyncio.sleep(0.5)
                    return served_s
            except (httpx.HTTPError, websockets.InvalidStatus, websockets.ConnectionClosed, OSError):
                assert time.monotonic() - killed < 30, proxy.log.read_text()[-2000:]
                await asyncio.sleep(0.5)

    served_s = await new_session()
    assert served_s < 30

    # The other worker's conversations: both recordings of each heard and answered, no error.
    for events in await asyncio.gather(*kept):
        finals = [e["text"].lower() for e in events if e["type"] == "final"]
        turns = [e["turn"] for e in events if e["type"] == "turn"]
        assert not [e for e in events if e["type"] in ("error", "closed")], events
        assert any("forward" in f for f in finals) and any("forever" in f for f in finals), finals
        assert len(turns) >= 2 and all(t["assistant_text"].strip() for t in turns[-2:]), turns
    assert survivor.proc is not None and survivor.proc.poll() is None
    print(
        f"\nworker killed: its 2 clients told in {told_s:.1f} s; the other 2 conversations answered twice "
        f"each; a new session through the proxy served {served_s:.1f} s after the kill"
    )
