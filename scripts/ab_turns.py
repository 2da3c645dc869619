"""A/B of turn-taking between two checkouts: `assistant simulate` on multi-turn real-speech sessions.

    python scripts/ab_turns.py --tree /work/wt/base --tree . --rounds 2 --out out/ab-turns

Sessions: the 12 recordings of tests/data in one conversation, asterisk-dev prompts in conversations of
six, and long turns (15-60 s) made of consecutive prompts joined with their own pauses trimmed to 100 ms
on each side (so that no sentence end splits them). Every session runs in each tree in turn, round after
round (interleaved, so that a machine shared with other work disturbs both alike), with each tree's own
code and the default config. Prints voice-to-voice, endpoint, final transcript and final pass (from the
speculation point; 120 ms assumed where the report has no `speculation`) at p50 / p95, over all turns
and per length bucket of the input's speech (<2, 2-5, 5-15, 15-60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from assistant.audio import read_audio, write_wav
from assistant.transports.simulate import speech_span_ms

ROOT = Path(__file__).resolve().parent.parent
SPEECH = next(
    (
        p / "shared" / "speech" / "asterisk-dev"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT.parent / "shared" / "speech" / "asterisk-dev",
)
BUCKETS = ("<2 s", "2-5 s", "5-15 s", "15-60 s")


def bucket(ms: float) -> str:
    s = ms / 1000
    return BUCKETS[0] if s < 2 else BUCKETS[1] if s < 5 else BUCKETS[2] if s < 15 else BUCKETS[3]


def sessions(out: Path, asterisk: Path, seed: int = 15) -> dict[str, list[Path]]:
    rng = np.random.default_rng(seed)
    data = ROOT / "tests" / "data"
    found = {"testdata": sorted(data.glob("*.wav"))}
    prompts = sorted(asterisk.glob("*.wav"))
    order = [prompts[i] for i in rng.permutation(len(prompts))]
    for k in range(3):
        found[f"asterisk{k}"] = order[k * 6 : (k + 1) * 6]
    pool, longs = order[18:], []
    for k, target in enumerate((17, 25, 40)):
        parts, total = [], 0.0
        while total < target and pool:
            audio = read_audio(pool.pop())
            start, end = speech_span_ms(audio)
            parts.append(audio[max(0, int((start - 100) * 16)) : int((end + 100) * 16)])
            total += parts[-1].size / 16000
        path = out / f"long{k}.wav"
        write_wav(path, np.concatenate(parts), 16000)
        longs.append(path)
    found["long"] = longs
    return found


def summarise(rows: list[dict], label: str) -> str:
    def pct(key: str, q: int) -> str:
        values = [r[key] for r in rows if r.get(key) is not None]
        return f"{np.percentile(values, q):.0f}" if values else "-"

    figures = " · ".join(
        f"{k} {pct(k, 50)} / {pct(k, 95)}" for k in ("v2v", "endpoint", "asr_final", "final_pass")
    )
    return f"{label:10s} n={len(rows):3d}  {figures}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", action="append", required=True, help="a checkout (repeat: A then B)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--asterisk", type=Path, default=SPEECH)
    parser.add_argument("--out", type=Path, default=Path("out/ab-turns"))
    parser.add_argument("--sessions", default="", help="comma-separated subset: testdata,asterisk0,...,long")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    plan = sessions(args.out, args.asterisk)
    if args.sessions:
        plan = {name: plan[name] for name in args.sessions.split(",")}
    speech_ms = {
        p: (lambda s: s[1] - s[0])(speech_span_ms(read_audio(p))) for ps in plan.values() for p in ps
    }
    rows: dict[str, list[dict]] = {tree: [] for tree in args.tree}
    for rnd in range(args.rounds):
        for name, files in plan.items():
            for i, tree in enumerate(args.tree):
                report = args.out / f"{i}-{name}-{rnd}.json"
                cmd = [sys.executable, "-m", "assistant.cli", "simulate", *map(str, files)]
                cmd += ["--out", str(args.out / "last.wav"), "--report", str(report)]
                subprocess.run(
                    cmd, cwd=tree, env={**os.environ, "PYTHONPATH": str(Path(tree).resolve())}, check=False
                )
                turns = json.loads(report.read_text())["turns"] if report.exists() else []
                aligned = len(turns) == len(files)
                print(f"round {rnd} {name} tree {i}: {len(turns)} turns for {len(files)} inputs", flush=True)
                for k, turn in enumerate(turns):
                    t = turn["timings_ms"]
                    length = speech_ms[files[k]] if aligned else turn.get("user_audio_ms")
                    final_pass = None
                    if t.get("asr_final") is not None:
                        final_pass = t["asr_final"] - (t.get("speculation") or 120.0)
                    rows[tree].append(
                        {
                            "session": name,
                            "bucket": bucket(length) if length is not None else "?",
                            "v2v": t.get("voice_to_voice"),
                            "endpoint": t.get("endpoint"),
                            "asr_final": t.get("asr_final"),
                            "final_pass": final_pass,
                        }
                    )
    for i, tree in enumerate(args.tree):
        print(f"\n== tree {i}: {tree}  (ms, p50 / p95)")
        multi = [r for r in rows[tree] if r["session"] != "long"]
        print(summarise(multi, "multi-turn"))
        for b in BUCKETS:
            print(summarise([r for r in rows[tree] if r["bucket"] == b], b))
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
