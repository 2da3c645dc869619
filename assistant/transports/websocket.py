"""Raw PCM over a WebSocket, for clients that cannot do WebRTC (embedded devices, scripts).

Protocol (also in the README):
- connect to `/ws?token=SESSION_TOKEN` (a token from `POST /session`; or `Authorization: Bearer`);
- the server's first message is JSON `{"type": "session", "session_id", "input_rate", "output_rate",
  "frame_ms"}`; later text messages are the same JSON events the WebRTC data channel carries;
- the client sends binary messages of 16-bit little-endian mono PCM at `input_rate`, in real time;
- for every binary message the server answers one binary message of the same duration of reply audio
  (silence when there is none) at `output_rate`: the client's microphone clock paces the speaker;
- the session (a conversation slot) starts with the first audio message, which must come within
  `server.pending_timeout_s`; no audio for `server.idle_timeout_s` ends it;
- anything else closes the socket with a code and a reason: 1003 text that is not `{"type": "stop"}`,
  1007 an odd number of bytes, 1009 more than a second of audio (or 1 KiB of text) at once, 1008 audio
  faster than real time, 1013 the server is full, 4401 no valid session token, 4408 no audio in time,
  4429 this client's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import numpy as np
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from assistant.transports.admission import Refused
from assistant.transports.remote import RemoteSession, SessionManager, new_session_id

log = logging.getLogger(__name__)

RATE = 16000
MAX_MESSAGE_BYTES = RATE * 2  # one second of audio
MAX_TEXT_CHARS = 1024
LATE_S = 0.5
"""After a timeout, a second look this long for a message that arrived while the loop was busy."""
AHEAD_S = 2.0
"""Audio may run this far ahead of the wall clock (a client's start-up burst); more is a flood."""

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_TIMEOUT = 4408


class Closed(Exception):
    """The socket is to be closed with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def serve_websocket(
    ws: WebSocket, manager: SessionManager, client: str, token_error: str | None
) -> None:
    await ws.accept()
    if token_error:
        await ws.close(CLOSE_UNAUTHORIZED, token_error[:120])
        return
    try:
        ticket = manager.admit(client)
    except Refused as exc:
        await ws.close(exc.close_code, str(exc)[:120])
        return
    session: RemoteSession | None = None
    sender: asyncio.Task[None] | None = None
    try:
        session_id = new_session_id()
        hello = {"type": "session", "session_id": session_id, "input_rate": RATE, "output_rate": RATE}
        await ws.send_text(json.dumps({**hello, "frame_ms": manager.cfg.audio.frame_ms}))
        pcm = await _next_audio(ws, manager.cfg.server.pending_timeout_s, "no audio within")
        if pcm is None:
            return
        session = await manager.open(RATE, ticket, session_id)
        sender = asyncio.create_task(_send_events(ws, session), name=f"ws-events-{session_id}")
        await _converse(ws, session, pcm, manager.cfg.server.idle_timeout_s)
    except Closed as exc:
        with contextlib.suppress(Exception):
            await ws.close(exc.code, exc.reason[:120])
    except Refused as exc:
        with contextlib.suppress(Exception):
            await ws.close(exc.close_code, str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        manager.release(ticket)
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        if session is not None:
            await manager.close(session)
        if ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()


async def _send_events(ws: WebSocket, session: RemoteSession) -> None:
    async for message in session.messages():
        await ws.send_text(json.dumps(message))


async def _next_audio(ws: WebSocket, within_s: float, what: str) -> np.ndarray | None:
    """The next binary message as PCM; None when the client stopped or left. Raises Closed on junk or
    when nothing arrives within `within_s`."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        message = await _receive_by(ws, deadline)
        if message is None:
            raise Closed(CLOSE_TIMEOUT, f"{what} {within_s:g} s: the session ended")
        if message["type"] == "websocket.disconnect":
            return None
        data, text = message.get("bytes"), message.get("text")
        if data is not None:
            return _pcm(data)
        if text is not None and _command(text) == "stop":
            raise Closed(1000, "stopped")


async def _receive_by(ws: WebSocket, deadline: float) -> dict | None:
    """The next message, or None if none came by `deadline` (loop time). An event loop that was stalled
    for seconds (a loaded machine) runs the timer before reading what already arrived; what is queued
    by then still counts."""
    try:
        async with asyncio.timeout_at(deadline):
            return await ws.receive()
    except TimeoutError:
        try:
            async with asyncio.timeout(LATE_S):
                return await ws.receive()
        except TimeoutError:
            return None


def _pcm(data: bytes) -> np.ndarray:
    if len(data) > MAX_MESSAGE_BYTES:
        raise Closed(CLOSE_TOO_BIG, "at most one second of audio per message")
    if len(data) % 2:
        raise Closed(CLOSE_INVALID, "audio must be 16-bit PCM: an even number of bytes")
    return np.frombuffer(data, dtype="<i2")


def _command(text: str) -> str:
    """The one command there is, or Closed."""
    if len(text) > MAX_TEXT_CHARS:
        raise Closed(CLOSE_TOO_BIG, f"text messages are at most {MAX_TEXT_CHARS} characters")
    try:
        command = json.loads(text)
    except ValueError:
        raise Closed(CLOSE_UNSUPPORTED, "text messages must be JSON") from None
    if not isinstance(command, dict) or command.get("type") != "stop":
        raise Closed(CLOSE_UNSUPPORTED, 'the only command is {"type": "stop"}')
    return "stop"


async def _converse(ws: WebSocket, session: RemoteSession, pcm: np.ndarray, idle_s: float) -> None:
    """Audio in, the same duration of reply audio out, until the client stops, leaves or goes quiet."""
    start = time.monotonic()
    received = 0
    while pcm is not None:
        received += pcm.size
        if received / RATE > time.monotonic() - start + AHEAD_S:
            raise Closed(CLOSE_POLICY, "audio must be sent in real time")
        session.push_audio(pcm)
        reply = session.pull_audio(pcm.size * session.output_rate // RATE).tobytes()
        try:
            async with asyncio.timeout(idle_s):  # a client that stops reading its answers has gone, too
                await ws.send_bytes(reply)
        except TimeoutError:
            raise Closed(CLOSE_TIMEOUT, f"the reply audio was not read for {idle_s:g} s") from None
        pcm = await _next_audio(ws, idle_s, "no audio for")
