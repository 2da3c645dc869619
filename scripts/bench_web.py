"""Measures `assistant serve` with real headless Chromium pages speaking recorded speech over WebRTC.

    python scripts/bench_web.py [--sessions 1,2,4] [--out docs/bench-web.json]

First `assistant simulate` says the same four questions without a browser: the issue's reference. Then, for
each session count N, one Chromium opens N pages, 2 s apart; every page says the four questions with 9 s
to answer each (the fake microphone plays one file from the moment the page starts its call). Per turn it
records the engine's timings (from the data channel) and the browser's own voice-to-voice (last loud mic
sample to first audible reply sample, measured in the page). A last run interrupts twelve replies from the
browser (a tool's long answer) and records the barge-in heard in the page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DATA  # noqa: E402
from live_server import LiveServer, launch_chromium  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from assistant.audio import read_audio, write_wav  # noqa: E402
from assistant.config import load_config  # noqa: E402
from assistant.transports.simulate import simulate  # noqa: E402

STAGGER_S = 2.0
QUESTION_GAP_S = 9.0
"""Silence after each question: time for the answer, as a person waits for it (4 sessions answer in ~5 s)."""
INTERRUPT_GAPS_S = [1.0, 1.3, 1.6] * 4
"""Silence between a request and the interruption. The request is "go forward ten meters" to the example
robot tool, whose spoken answer is long (~3.5 s) and starts ~0.9 s after the request in the browser: Gemma
270M's own replies are a word or a short sentence, mostly over before anyone could interrupt them."""
QUESTIONS = ["goforward.wav", "forever.wav", "cards-005.wav", "sense_and_sensibility_01_austen_64kb-0930.wav"]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), np.int16)


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(float(np.percentile(values, 50))),
        "p95": round(float(np.percentile(values, 95))),
        "max": round(max(values)),
    }


def run_pages(server: LiveServer, wav: Path, pages: int, turns: int, timeout_s: float) -> list[dict]:
    with sync_playwright() as pw:
        browser = launch_chromium(pw, wav)
        opened = [browser.new_page() for _ in range(pages)]
        for index, page in enumerate(opened):
            if index:
                time.sleep(STAGGER_S)  # people do not all stop talking at the same instant
            page.goto(f"{server.url}/?autostart=1")
        deadline = time.monotonic() + timeout_s
        results = []
        for page in opened:
            left = max(1.0, deadline - time.monotonic())
            try:
                page.wait_for_function(
                    f"() => window.assistantStats.events.filter(e => e.type === 'turn').length >= {turns}",
                    timeout=left * 1000,
                )
            except Exception:
                print(f"warning: a page did not complete {turns} turns in time", file=sys.stderr)
            time.sleep(0.5)
            results.append(page.evaluate("JSON.parse(JSON.stringify(window.assistantStats))"))
        browser.close()
    return results


def session_figures(server: LiveServer, wav: Path, pages: int) -> dict:
    stats = run_pages(server, wav, pages, len(QUESTIONS), 90)
    engine = [
        e["turn"]["timings_ms"]["voice_to_voice"]
        for s in stats
        for e in s["events"]
        if e["type"] == "turn" and e["turn"]["timings_ms"]["voice_to_voice"] is not None
    ]
    browser = [v for s in stats for v in s["voiceToVoice"]]
    answered = [
        sum(e["type"] == "turn" and bool(e["turn"]["assistant_text"]) for e in s["events"]) for s in stats
    ]
    stage_keys = ("endpoint", "asr_final", "llm_first_token", "tts_first_audio")
    timings = [e["turn"]["timings_ms"] for s in stats for e in s["events"] if e["type"] == "turn"]
    return {
        "sessions": pages,
        "engine_stages_ms": {k: summary([t[k] for t in timings if t.get(k) is not None]) for k in stage_keys},
        "turns_answered_per_session": answered,
        "engine_voice_to_voice_ms": summary(engine),
        "browser_voice_to_voice_ms": summary(browser),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", default="1,2,4")
    parser.add_argument("--out", default=str(ROOT / "out" / "bench-web.json"))
    parser.add_argument("--config")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    parts = [silence(1.5)]
    for name in QUESTIONS:
        parts += [read_audio(DATA / name), silence(QUESTION_GAP_S)]
    questions = tmp / "questions.wav"
    write_wav(questions, np.concatenate(parts), 16000)
    interrupt_parts = [silence(1.5)]
    for gap in INTERRUPT_GAPS_S:
        interrupt_parts += [read_audio(DATA / "goforward.wav"), silence(gap)]
        interrupt_parts += [read_audio(DATA / "forever.wav"), silence(5)]
    interrupts = tmp / "interrupts.wav"
    write_wav(interrupts, np.concatenate(interrupt_parts), 16000)

    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    # Every page comes from 127.0.0.1: lift the per-client limits to the session count measured.
    most = max(counts, default=1)
    per_client = [
        f"server.{key}={most}"
        for key in ("max_sessions", "max_sessions_per_client", "max_pending_per_client")
    ]
    cfg = load_config(args.config, per_client)
    out: dict = {"config": args.config or "configs/default.yaml", "per_session_count": []}
    # The reference: what `assistant simulate` reports for the same files, no browser running.
    reference = asyncio.run(simulate(cfg, [DATA / name for name in QUESTIONS]))
    v2v = [t["timings_ms"].get("voice_to_voice") for t in reference.report["turns"]]
    out["simulate_voice_to_voice_ms"] = summary([v for v in v2v if v is not None])
    print(json.dumps({"simulate_voice_to_voice_ms": out["simulate_voice_to_voice_ms"]}), flush=True)
    with LiveServer(cfg) as server:
        for n in counts:
            figures = session_figures(server, questions, n)
            print(json.dumps(figures), flush=True)
            out["per_session_count"].append(figures)
            server.wait_sessions(0, timeout=30)
    os.environ["HOME_TOOLS_STATE"] = str(tmp / "home.json")
    robot = [f"tools.load=[{ROOT / 'examples' / 'home_tools.py'}]", f"tools.data_dir={tmp}"]
    with LiveServer(load_config(args.config, robot + per_client)) as server:
        stats = run_pages(server, interrupts, 1, 2 * len(INTERRUPT_GAPS_S), 200)[0]
        engine_barge = [
            e["turn"]["timings_ms"]["barge_in"]
            for e in stats["events"]
            if e["type"] == "turn" and "barge_in" in e["turn"]["timings_ms"]
        ]
        out["barge_in"] = {
            "interruptions_said": len(INTERRUPT_GAPS_S),
            "browser_heard_silence_ms": summary(stats["bargeIns"]),
            "engine_ms": summary(engine_barge),
            "interrupted_replies": sum(
                e["type"] == "reply_ended" and e["interrupted"] for e in stats["events"]
            ),
        }
        print(json.dumps(out["barge_in"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
