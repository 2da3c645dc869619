"""A minimal WebSocket client: says a recording to `assistant serve` in real time, saves the reply audio.

    python examples/ws_client.py tests/data/goforward.wav --server http://127.0.0.1:8000 --out reply.wav
    ASSISTANT_TOKEN=... python examples/ws_client.py question.wav --server https://assistant.example

Protocol: first a session token: POST /session (with `Authorization: Bearer SECRET` when the server has a
secret), answered by {"token": ..., "expires_in": 60}; then connect to /ws?token=TOKEN. The server's first
message is JSON {"type": "session", "input_rate", "output_rate", ...}; send 16-bit mono PCM at input_rate
as binary messages, in real time; each one is answered by a binary message of reply audio of the same
duration; text messages are JSON events (partial, final, reply_spoken, turn...). No audio for 5 s ends
the session (close code 4408).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx
import numpy as np
import websockets

from assistant.audio import read_audio, write_wav


async def session_url(server: str, secret: str | None) -> str:
    """The /ws URL with a fresh session token (valid for a minute, for this client's address)."""
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server}/session", headers=headers)
    if response.status_code == 401:
        raise SystemExit("the server needs its secret: set ASSISTANT_TOKEN")
    response.raise_for_status()
    return f"{server.replace('http', 'ws', 1)}/ws?token={response.json()['token']}"


async def main(path: str, server: str, out: str, wait_s: float) -> None:
    audio = np.concatenate([read_audio(path), np.zeros(int(16000 * wait_s), np.int16)])
    chunk = 320  # 20 ms at 16 kHz
    reply: list[np.ndarray] = []
    async with websockets.connect(await session_url(server, os.environ.get("ASSISTANT_TOKEN"))) as ws:
        hello = json.loads(await ws.recv())
        print("session", hello)
        start = time.monotonic()
        for i in range(0, audio.size, chunk):
            await ws.send(audio[i : i + chunk].tobytes())
            while isinstance(message := await ws.recv(), str):
                event = json.loads(message)
                if event["type"] in ("partial", "final", "reply_spoken", "state", "error"):
                    print(event["type"], event.get("text") or event.get("state") or event.get("message"))
                elif event["type"] == "turn":
                    print("timings", event["turn"]["timings_ms"])
            reply.append(np.frombuffer(message, "<i2"))
            await asyncio.sleep(max(0.0, start + (i + chunk) / 16000 - time.monotonic()))
        await ws.send(json.dumps({"type": "stop"}))
    write_wav(out, np.concatenate(reply), hello["output_rate"])
    print("reply audio written to", out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("wav")
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="http(s)://host:port of the server")
    parser.add_argument("--out", default="reply.wav")
    parser.add_argument("--wait", type=float, default=6.0, help="seconds of silence after the speech")
    args = parser.parse_args()
    asyncio.run(main(args.wav, args.server.rstrip("/"), args.out, args.wait))
