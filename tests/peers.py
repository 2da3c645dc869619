"""Clients of `assistant serve` as scripts write them: session tokens, aiortc peers, WebSocket sessions.

Shared by the server tests and scripts/churn.py and scripts/soak.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import numpy as np
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack


async def until(condition: Callable[[], object], within_s: float, step_s: float = 0.05) -> None:
    """Poll `condition` (state another thread changes) until it holds; TimeoutError after `within_s`."""
    for _ in range(max(1, int(within_s / step_s))):
        if condition():
            return
        await asyncio.sleep(step_s)
    if not condition():
        raise TimeoutError(f"not within {within_s} s")


async def session_token(url: str, secret: str | None = None, headers: dict[str, str] | None = None) -> str:
    """POST /session, with the server's secret as a Bearer token when it has one."""
    headers = dict(headers or {})
    if secret:
        headers["authorization"] = f"Bearer {secret}"
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/session", headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


@dataclass
class Peer:
    """An aiortc peer connection to the server: its events, and what the server answered."""

    pc: RTCPeerConnection
    channel: object
    response: httpx.Response
    events: list[dict] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, kind: str, within_s: float = 10.0) -> dict:
        """The first event of this type; TimeoutError if none comes within `within_s`."""
        await until(lambda: any(e.get("type") == kind for e in self.events), within_s)
        return next(e for e in self.events if e.get("type") == kind)

    async def close(self) -> None:
        await self.pc.close()


async def offer_peer(
    url: str,
    token: str,
    audio: MediaStreamTrack | None = None,
    headers: dict[str, str] | None = None,
    connect: bool = True,
) -> Peer:
    """Offer a microphone (silence unless `audio` is given) and a data channel; apply the answer unless
    `connect` is False (a peer that never connects). The response may be a refusal: check `.response`."""
    pc = RTCPeerConnection()
    channel = pc.createDataChannel("events")
    pc.addTrack(audio or AudioStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{url}/offer",
            json={"sdp": pc.localDescription.sdp, "type": "offer"},
            headers={"authorization": f"Bearer {token}", **(headers or {})},
            timeout=30,
        )
    peer = Peer(pc, channel, response)
    channel.on("message", lambda m: peer.events.append(json.loads(m)))
    channel.on("open", peer.opened.set)
    if response.status_code == 200 and connect:
        answer = response.json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    return peer


async def talk_over_websocket(
    url: str, audio: np.ndarray, tail_s: float = 4.0, limit_s: float = 40.0
) -> tuple[list, np.ndarray]:
    """Say `audio` in real time, then silence until tail_s after a turn completes (at most limit_s)."""
    events: list[dict] = []
    received: list[np.ndarray] = []
    chunk = 320
    silence = np.zeros(chunk, np.int16)
    async with websockets.connect(url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "session" and hello["input_rate"] == 16000
        events.append(hello)
        t0 = time.monotonic()
        sent = 0
        deadline = None
        while True:
            piece = audio[sent * chunk : (sent + 1) * chunk] if sent * chunk < audio.size else silence
            piece = np.pad(piece, (0, chunk - piece.size))
            await ws.send(piece.tobytes())
            sent += 1
            while True:  # the binary answer, and any events before it
                message = await asyncio.wait_for(ws.recv(), 5)
                if isinstance(message, bytes):
                    received.append(np.frombuffer(message, "<i2"))
                    break
                events.append(json.loads(message))
            if any(e["type"] == "turn" for e in events) and deadline is None:
                deadline = time.monotonic() + tail_s
            if (deadline and time.monotonic() > deadline) or time.monotonic() - t0 > limit_s:
                break
            await asyncio.sleep(max(0.0, t0 + sent * 0.02 - time.monotonic()))
        await ws.send(json.dumps({"type": "stop"}))
    return events, np.concatenate(received)
