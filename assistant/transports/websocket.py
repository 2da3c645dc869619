"""Raw PCM over a WebSocket, for clients that cannot do WebRTC (embedded devices, scripts).

Protocol (also in the README):
- the server's first message is JSON `{"type": "session", "session_id", "input_rate", "output_rate",
  "frame_ms"}`; later text messages are the same JSON events the WebRTC data channel carries;
- the client sends binary messages of 16-bit little-endian mono PCM at `input_rate`, in real time;
- for every binary message the server answers one binary message of the same duration of reply audio
  (silence when there is none) at `output_rate`: the client's microphone clock paces the speaker;
- anything else (text that is not `{"type": "stop"}`, an odd number of bytes, more than a second of audio
  at once) closes the socket with a code and a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import numpy as np
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from assistant.transports.remote import RemoteSession, ServerFull, SessionManager

log = logging.getLogger(__name__)

RATE = 16000
MAX_MESSAGE_BYTES = RATE * 2  # one second of audio

CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013


async def serve_websocket(ws: WebSocket, manager: SessionManager) -> None:
    await ws.accept()
    try:
        session = await manager.open(RATE)
    except ServerFull as exc:
        await ws.close(CLOSE_TRY_AGAIN, str(exc)[:120])
        return
    sender = asyncio.create_task(_send_events(ws, session))
    try:
        await _receive(ws, session)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        await manager.close(session)
        if ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()


async def _send_events(ws: WebSocket, session: RemoteSession) -> None:
    async for message in session.messages():
        if message["type"] == "session":
            message.update(input_rate=RATE, output_rate=session.output_rate, frame_ms=session.conv.frame_ms)
        await ws.send_text(json.dumps(message))


async def _receive(ws: WebSocket, session: RemoteSession) -> None:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        data, text = message.get("bytes"), message.get("text")
        if data is not None:
            if len(data) > MAX_MESSAGE_BYTES:
                await ws.close(CLOSE_TOO_BIG, "at most one second of audio per message")
                return
            if len(data) % 2:
                await ws.close(CLOSE_INVALID, "audio must be 16-bit PCM: an even number of bytes")
                return
            pcm = np.frombuffer(data, dtype="<i2")
            session.push_audio(pcm)
            await ws.send_bytes(session.pull_audio(pcm.size * session.output_rate // RATE).tobytes())
        elif text is not None:
            try:
                command = json.loads(text)
            except json.JSONDecodeError:
                await ws.close(CLOSE_UNSUPPORTED, "text messages must be JSON")
                return
            if not isinstance(command, dict) or command.get("type") != "stop":
                await ws.close(CLOSE_UNSUPPORTED, 'the only command is {"type": "stop"}')
                return
            await ws.close(1000, "stopped")
            return
