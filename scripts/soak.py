"""Soak `assistant serve`: conversations at 80 % of the measured capacity for a long time; every turn must be
answered and the server's resident memory must stay flat.

    python scripts/soak.py --minutes 60          # the full soak
    python scripts/soak.py --minutes 2           # what CI runs (tests/test_soak.py)

Capacity: 2 conversations at once is the most whose voice-to-voice p95 stays within twice one
conversation's with the default model (Qwen2.5-Coder 0.5B) on two cores (`assistant bench --sessions 1,2,4`,
docs/bench/qwen-default/: 1.84x at 2, 2.9x at 4), so 80 % rounds down to 1 conversation talking at a time.
(With the older Gemma 270M default it was 4, and the soak ran 3 talkers.)
Each talker connects over the WebSocket (with a session token, the server having a secret), says the
recorded questions of tests/data one after another in real time, waits for each answer like a person
(up to 30 s), pauses 2 s, and reconnects every 5 turns (and after an unanswered one). A warm-up round is
not counted. The server (the real CLI, its own process) is read from /metrics every 30 s, and once more
a second after each connection closes with no other conversation open: the *floor*, what the server keeps
between conversations. The 30 s samples swing by +-100 MiB with the work in flight (a reply being
synthesised, a final pass), so a slope fitted to them over 20 minutes read 134-239 MiB/h from that noise
alone; the floors do not swing. Memory is flat when the least-squares slope of the floors after the run's
first quarter stays under FLAT_MIB_PER_HOUR (runs under 20 minutes, or with too few floors: when the 30 s
samples grow by 64 MiB at most). Both slopes are reported. Prints and writes JSON; exits 1 on an
unanswered turn or growing memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DATA  # noqa: E402
from peers import session_token  # noqa: E402
from served import ServedProcess  # noqa: E402

from assistant.audio import read_audio  # noqa: E402

CAPACITY = 2
QUESTIONS = ["goforward.wav", "forever.wav", "cards-005.wav", "sense_and_sensibility_01_austen_64kb-0930.wav"]
TURN_TIMEOUT_S = 30.0
PAUSE_S = 2.0
TURNS_PER_CONNECTION = 5
SAMPLE_EVERY_S = 30.0
FLAT_MIB_PER_HOUR = 30.0
FRAME = 320
FLOOR_AFTER_S = 1.0
"""After a connection closes: the server has ended the session and trimmed its heap by then."""
MIN_FLOORS = 8


async def say(ws, audio: np.ndarray, stop_when) -> list[dict]:
    """Stream `audio` then silence in real time until `stop_when(events)` or the turn timeout."""
    events: list[dict] = []
    t0 = time.monotonic()
    limit = audio.size / 16000 + TURN_TIMEOUT_S
    sent = 0
    while not stop_when(events) and time.monotonic() - t0 < limit:
        frame = audio[sent : sent + FRAME]
        await ws.send(np.pad(frame, (0, FRAME - frame.size)).tobytes())
        sent += FRAME
        while isinstance(message := await asyncio.wait_for(ws.recv(), 30), str):
            events.append(json.loads(message))
        await asyncio.sleep(max(0.0, t0 + sent / 16000 - time.monotonic()))
    return events


def pause_over(seconds: float):
    until = time.monotonic() + seconds
    return lambda _events: time.monotonic() >= until


async def talker(
    index: int,
    server: ServedProcess,
    deadline: float,
    questions: list,
    turns: list,
    t0: float = 0.0,
    floors: list | None = None,
) -> None:
    """One person talking to the server until the deadline: a new connection every few turns, and after
    an unanswered turn (so that a late answer is not taken for the next one's). After each connection,
    the server's figures go to `floors` if no conversation is open."""
    asked = index  # each talker starts at a different question
    while time.monotonic() < deadline:
        try:
            asked = await conversation(index, server, deadline, questions, turns, t0, asked)
            if floors is not None:
                await asyncio.sleep(FLOOR_AFTER_S)
                figures = await asyncio.to_thread(server.figures)
                if not figures["sessions"] and not figures["pending"]:
                    floors.append({"minute": round((time.monotonic() - t0) / 60, 2), **figures})
        except websockets.ConnectionClosed as exc:  # counted: the run fails, and the talker goes on
            reason = f"{exc.rcvd.code} {exc.rcvd.reason}" if exc.rcvd else "connection lost"
            turns.append({"talker": index, "at_s": round(time.monotonic() - t0, 1), "closed": reason})


async def conversation(
    index: int, server: ServedProcess, deadline: float, questions: list, turns: list, t0: float, asked: int
) -> int:
    """One connection of a talker, for up to TURNS_PER_CONNECTION turns; returns the questions asked."""
    token = await session_token(server.url, server.secret)
    async with websockets.connect(f"{server.ws_base}/ws?token={token}") as ws:
        await ws.recv()  # the session message
        for _ in range(TURNS_PER_CONNECTION):
            if time.monotonic() >= deadline:
                break
            name, audio = questions[asked % len(questions)]
            asked += 1
            started = time.monotonic()
            events = await say(ws, audio, lambda ev: any(e["type"] == "turn" for e in ev))
            turn = next((e["turn"] for e in events if e["type"] == "turn"), None)
            answered = bool(turn and turn["assistant_text"] and not turn.get("error"))
            turns.append(
                {
                    "talker": index,
                    "question": name,
                    "at_s": round(started - t0, 1),
                    "answered": answered,
                    "heard": turn["user_text"] if turn else None,
                    "voice_to_voice_ms": turn["timings_ms"]["voice_to_voice"] if turn else None,
                }
            )
            if not answered:
                break
            await say(ws, np.zeros(0, np.int16), pause_over(PAUSE_S))  # a person's pause, on the wire
    return asked


async def sampler(server: ServedProcess, deadline: float, samples: list) -> None:
    start = time.monotonic()
    while time.monotonic() < deadline:
        samples.append(
            {"minute": round((time.monotonic() - start) / 60, 2), **await asyncio.to_thread(server.figures)}
        )
        print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
        await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.0, deadline - time.monotonic())))


def slope_mib_per_hour(samples: list[dict]) -> float:
    """Least-squares slope of resident memory after the first quarter of the run (the warm-up)."""
    later = samples[len(samples) // 4 :]
    if len(later) < 2:
        return 0.0
    minutes = np.array([s["minute"] for s in later])
    rss = np.array([s["rss_mib"] for s in later])
    return float(np.polyfit(minutes, rss, 1)[0] * 60)


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q))) if values else None


async def soak(server: ServedProcess, minutes: float, sessions: int) -> dict:
    questions = [(name, read_audio(DATA / name)) for name in QUESTIONS]
    # Warm-up, not counted: every talker asks once, so that buffers and caches reach their working size.
    await asyncio.gather(*(talker(i, server, time.monotonic() + 1.0, questions, []) for i in range(sessions)))
    await asyncio.to_thread(server.settle)
    turns: list[dict] = []
    samples: list[dict] = []
    floors: list[dict] = []
    t0 = time.monotonic()
    deadline = t0 + minutes * 60
    await asyncio.gather(
        sampler(server, deadline, samples),
        *(talker(i, server, deadline, questions, turns, t0, floors) for i in range(sessions)),
    )
    samples.append({"minute": round(minutes, 2), **await asyncio.to_thread(server.settle)})
    v2v = [t["voice_to_voice_ms"] for t in turns if t["voice_to_voice_ms"] is not None]
    slope = slope_mib_per_hour(samples)
    floor_slope = slope_mib_per_hour(floors)
    by_floors = minutes >= 20 and len(floors) >= MIN_FLOORS
    closed = [t for t in turns if "closed" in t]
    turns = [t for t in turns if "closed" not in t]
    unanswered = [t for t in turns if not t["answered"]]
    start, end = samples[0], samples[-1]
    return {
        "minutes": minutes,
        "sessions": sessions,
        "capacity": CAPACITY,
        "turns": len(turns),
        "answered": len(turns) - len(unanswered),
        "unanswered": unanswered,
        "closed_by_the_server": closed,
        "voice_to_voice_ms": {
            "p50": percentile(v2v, 50),
            "p95": percentile(v2v, 95),
            "max": percentile(v2v, 100),
        },
        "rss_mib": {"start": start["rss_mib"], "end": end["rss_mib"], "slope_per_hour": round(slope, 1)},
        "rss_floor_mib": {
            "count": len(floors),
            "first": floors[0]["rss_mib"] if floors else None,
            "last": floors[-1]["rss_mib"] if floors else None,
            "slope_per_hour": round(floor_slope, 1),
        },
        # Which memory moved: Python objects, the C heap in use (a native leak), or C heap held free.
        **{
            key: {"start": start.get(key), "end": end.get(key)}
            for key in ("python_blocks", "heap_used_mib", "heap_free_mib")
        },
        "memory_flat": floor_slope <= FLAT_MIB_PER_HOUR
        if by_floors
        else end["rss_mib"] - start["rss_mib"] <= 64,
        "memory_rule": "floors" if by_floors else "growth",
        "start": start,
        "end": end,
        "samples": samples,
        "floors": floors,
        "turn_log": turns,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument(
        "--sessions", type=int, default=max(1, int(CAPACITY * 0.8)), help="talkers at once (default 1)"
    )
    parser.add_argument("--out", default=str(ROOT / "out" / "soak.json"))
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    limits = ("max_sessions", "max_sessions_per_client", "max_pending_per_client")
    overrides = [f"server.{key}={CAPACITY}" for key in limits]  # every talker comes from 127.0.0.1
    with ServedProcess(overrides, Path(args.out).with_suffix(".server.log")) as server:
        result = asyncio.run(soak(server, args.minutes, args.sessions))
    Path(args.out).write_text(json.dumps(result, indent=2))
    summary = {k: v for k, v in result.items() if k not in ("samples", "floors", "turn_log")}
    print(json.dumps(summary, indent=2))
    healthy = result["memory_flat"] and not result["unanswered"] and not result["closed_by_the_server"]
    return 0 if healthy and result["turns"] else 1


if __name__ == "__main__":
    sys.exit(main())
