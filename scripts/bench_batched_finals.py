"""Cost of a final transcript's first decode alone and in batches of 2 and 4 (`Transcriber.decode_clips`).

Real short turns (tests/data: cards, goforward, forever; asterisk-dev prompts), each decoded whole in the
finals' window, as `finals_sync` batches them. Batch sizes are interleaved round by round, so that a
loaded machine disturbs them alike. Prints the median and p90 per call and per transcript, and the ratio
to batch 1. Usage: python scripts/bench_batched_finals.py [--rounds 8] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from assistant.asr import Transcriber
from assistant.audio import read_audio
from assistant.config import load_config

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="asr.cpu_threads")
    parser.add_argument("--sizes", default="1,2,4")
    args = parser.parse_args()
    cfg = load_config(overrides=[f"asr.cpu_threads={args.threads}"]).asr
    transcriber = Transcriber(cfg)
    files = [*sorted(DATA.glob("cards-*.wav")), DATA / "goforward.wav", DATA / "forever.wav"]
    files += sorted((DATA / "asterisk").glob("*.wav"))[:8]
    clips = [transcriber.clip(read_audio(f)) for f in files]
    clips = [c for c in clips if c.frames == clips[0].frames and c.audio_ms < 8000]
    sizes = [int(s) for s in args.sizes.split(",")]
    transcriber.decode_clips(clips[:1])  # warm-up
    per_call: dict[int, list[float]] = {n: [] for n in sizes}
    for r in range(args.rounds):
        for n in sizes:
            batch = [clips[(r * 4 + i) % len(clips)] for i in range(n)]
            start = time.perf_counter()
            transcriber.decode_clips(batch)
            per_call[n].append((time.perf_counter() - start) * 1000)
    machine = platform.processor() or platform.machine()
    print(
        f"{machine}, asr.model={cfg.model}, cpu_threads={cfg.cpu_threads}, "
        f"{len(clips)} real clips (0.8-8 s) decoded whole in a {clips[0].frames / 100:.0f} s window, "
        f"{args.rounds} interleaved rounds"
    )
    base = statistics.median(per_call[sizes[0]]) / sizes[0]
    print("batch  call p50 ms  call p90 ms  per transcript ms  vs alone")
    for n in sizes:
        calls = sorted(per_call[n])
        p50 = statistics.median(calls)
        p90 = calls[max(0, int(0.9 * len(calls)) - 1)]
        print(f"{n:5d}  {p50:11.0f}  {p90:11.0f}  {p50 / n:17.0f}  {p50 / n / base:8.2f}x")


if __name__ == "__main__":
    main()
