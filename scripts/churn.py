"""Session churn against `assistant serve`: many WebSocket sessions and WebRTC peers opened and closed
every way a client can, then a check that the server gave everything back.

    python scripts/churn.py                       # the full run: 1,000 WebSocket sessions, 200 WebRTC peers
    python scripts/churn.py --ws 200 --webrtc 40  # what CI runs (tests/test_churn.py)

The server is the real CLI in its own process (with a secret, so every session goes through POST /session).
WebSocket sessions end with a close frame, a stop command, a dropped TCP connection (no close frame), in
the middle of a spoken reply, or by going quiet (the server closes them after 5 s). WebRTC peers (aiortc)
hang up, send stop on the data channel, never connect, go quiet, or hang up in the middle of a reply.
After a warm-up round, and again at the end, the server's resident memory, open fds, event-loop tasks and
threads are read from /metrics; the run fails when any grows past BOUNDS. Prints and writes JSON figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DATA  # noqa: E402
from peers import offer_peer, session_token  # noqa: E402
from served import ServedProcess  # noqa: E402

from assistant.audio import read_audio, write_wav  # noqa: E402

BOUNDS = {"rss_mib": 96, "fds": 4, "tasks": 2, "threads": 2}
"""Growth allowed from after the warm-up round to the end. Memory: no Python object is left behind (the
count of live objects is flat over rounds of sessions), but the native allocators keep what the longest
replies needed, in steps: +71 MiB over 1,000 WebSocket sessions and 200 peers, +25 over 200 and 40
(docs/reliability.md). fds, tasks, threads: a connection or two winding down."""
OVERRIDES = [
    "server.max_sessions=8",
    "server.max_sessions_per_client=8",
    "server.max_pending_per_client=16",
    "server.session_starts_per_minute=1000000",
]
FRAME = 320  # 20 ms at 16 kHz


async def ws_session(server: ServedProcess, kind: str, question: np.ndarray) -> str:
    """One WebSocket session that ends as `kind` says; returns how it ended."""
    token = await session_token(server.url, server.secret)
    async with websockets.connect(f"{server.ws_base}/ws?token={token}", close_timeout=2) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "session", hello
        audio = question if kind == "mid-reply" else np.zeros(FRAME * 10, np.int16)
        t0 = time.monotonic()
        for i in range(0, 60 * 50 * FRAME, FRAME):  # at most a minute
            frame = audio[i : i + FRAME] if i < audio.size else np.zeros(FRAME, np.int16)
            await ws.send(np.pad(frame, (0, FRAME - frame.size)).tobytes())
            while isinstance(reply := await asyncio.wait_for(ws.recv(), 30), str):
                pass
            speaking = np.abs(np.frombuffer(reply, "<i2")).max(initial=0) > 500
            if (kind != "mid-reply" and i >= audio.size) or speaking:
                break
            if kind == "mid-reply":  # in real time, so that the engine hears a question
                await asyncio.sleep(max(0.0, t0 + (i + FRAME) / 16000 - time.monotonic()))
        if kind == "stop":
            await ws.send(json.dumps({"type": "stop"}))
        elif kind in ("drop", "mid-reply"):
            ws.transport.abort()  # no close frame, as a crashed client or a pulled cable
            return kind
        elif kind == "idle":
            try:
                await asyncio.wait_for(ws.recv(), 15)
            except websockets.ConnectionClosed as exc:
                assert exc.rcvd is not None and exc.rcvd.code == 4408, exc.rcvd
                return "idle (closed by the server)"
        return kind


async def webrtc_peer(server: ServedProcess, kind: str, question_wav: Path) -> str:
    """One aiortc peer that ends as `kind` says."""
    from aiortc.contrib.media import MediaPlayer

    player = MediaPlayer(str(question_wav)) if kind == "mid-reply" else None
    token = await session_token(server.url, server.secret)
    peer = await offer_peer(
        server.url, token, audio=player.audio if player else None, connect=kind != "never-connect"
    )
    try:
        assert peer.response.status_code == 200, peer.response.text
        if kind == "never-connect":
            return kind
        await peer.wait_for("session", 30)
        if kind == "mid-reply":
            await peer.wait_for("reply_started", 60)
        elif kind == "stop":
            peer.channel.send(json.dumps({"type": "stop"}))
            await asyncio.sleep(0.5)
        elif kind == "quiet":  # the microphone stops, the connection stays: the server ends it in 5 s
            for sender in peer.pc.getSenders():
                if sender.track:
                    sender.track.stop()
            await asyncio.sleep(6.5)
        return kind
    finally:
        await peer.close()
        if player and player.audio:
            player.audio.stop()


def ws_kind(i: int) -> str:
    if i % 100 == 99:
        return "idle"
    if i % 25 == 12:
        return "mid-reply"
    return ("close", "stop", "drop")[i % 3]


def webrtc_kind(i: int) -> str:
    if i % 10 == 9:
        return "mid-reply"
    return ("close", "stop", "never-connect", "quiet", "close")[i % 5]


async def run_all(
    count: int, make, concurrency: int, server: ServedProcess, label: str, series: list
) -> Counter:
    """`count` sessions, `concurrency` at a time; the server's figures every tenth of the way."""
    outcomes: Counter = Counter()
    gate = asyncio.Semaphore(concurrency)
    step = max(1, count // 10)

    async def one(i: int) -> None:
        async with gate:
            try:
                outcomes[await make(i)] += 1
            except Exception as exc:  # counted and shown: a client-side failure is a finding too
                outcomes[f"failed: {type(exc).__name__}: {exc}"[:120]] += 1
            if i % step == step - 1:
                series.append({"after": f"{i + 1} {label}", **await asyncio.to_thread(server.figures)})
                print(json.dumps(series[-1]), file=sys.stderr, flush=True)

    await asyncio.gather(*(one(i) for i in range(count)))
    return outcomes


async def churn(server: ServedProcess, ws_count: int, rtc_count: int, concurrency: int) -> dict:
    question = read_audio(DATA / "goforward.wav")
    wav = Path(ROOT / "out" / "churn-question.wav")
    wav.parent.mkdir(parents=True, exist_ok=True)
    write_wav(wav, np.concatenate([question, np.zeros(16000 * 8, np.int16)]), 16000)
    series: list[dict] = []
    t0 = time.monotonic()
    # Warm-up: a few of each kind, so that pools, caches and the allocator reach their working size.
    kinds = ("close", "mid-reply")
    await run_all(16, lambda i: ws_session(server, kinds[i % 2], question), 4, server, "", [])
    await run_all(8, lambda i: webrtc_peer(server, kinds[i % 2], wav), 4, server, "", [])
    before = await asyncio.to_thread(server.settle)
    ws = await run_all(
        ws_count, lambda i: ws_session(server, ws_kind(i), question), concurrency, server, "WebSocket", series
    )
    between = await asyncio.to_thread(server.settle)
    rtc = await run_all(
        rtc_count, lambda i: webrtc_peer(server, webrtc_kind(i), wav), concurrency, server, "WebRTC", series
    )
    after = await asyncio.to_thread(server.settle)
    growth = {k: round(after[k] - before[k], 1) for k in BOUNDS}
    return {
        "websocket_sessions": ws_count,
        "webrtc_peers": rtc_count,
        "concurrency": concurrency,
        "minutes": round((time.monotonic() - t0) / 60, 1),
        "websocket_outcomes": dict(ws),
        "webrtc_outcomes": dict(rtc),
        "before": before,
        "after_websocket": between,
        "after": after,
        "growth": growth,
        "bounds": BOUNDS,
        "within_bounds": all(growth[k] <= BOUNDS[k] for k in BOUNDS),
        "series": series,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ws", type=int, default=1000, help="WebSocket sessions (default 1000)")
    parser.add_argument("--webrtc", type=int, default=200, help="WebRTC peers (default 200)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "out" / "churn.json"))
    args = parser.parse_args()
    log = Path(args.out).with_suffix(".server.log")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with ServedProcess(OVERRIDES, log) as server:
        result = asyncio.run(churn(server, args.ws, args.webrtc, args.concurrency))
    Path(args.out).write_text(json.dumps(result, indent=2))
    summary = {k: v for k, v in result.items() if k != "series"}
    print(json.dumps(summary, indent=2))
    failed = [
        k for k in ("websocket_outcomes", "webrtc_outcomes") for o in result[k] if o.startswith("failed")
    ]
    return 0 if result["within_bounds"] and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
