"""How well does the end-of-turn verdict tell a finished utterance from one cut at a pause?

    python scripts/probe_end_of_turn.py [--per-file 3] [--out out/eot_probe.json]

Every real recording of ../shared/speech (asterisk-dev and the top-level set) is decoded into words with
their times (tiny.en, `Transcriber.words_sync`). "Whole": the audio up to 50 ms after its last word, with
all its words. "Fragments": the same recording cut 50 ms after a word inside it (up to `--per-file` cuts
per file, seeded), with the words up to the cut; Whisper writes a full stop after such a fragment, so only
the words are kept, and a full stop added, as the streaming recogniser would report them. Smart Turn v3.2
scores each (`assistant/turn/smart_turn.py`), so does the words model (`assistant/turn/words.py`,
`turn.words_model` or else SmolLM2 135M), and `engine.end_of_turn` turns the scores and the words into
the silence that would end the turn.

Printed: both models' probability quantiles for both kinds; then, for the rule with and without the
words model and for graded holds on Smart Turn alone (the silence falls from `endpoint_incomplete_ms` to
`endpoint_complete_ms` as the probability rises from `--low` to the threshold), the silence a whole
utterance waits (p50, p95, mean) and the share of fragments that would be split by a pause of 0.6, 0.9,
1.2 and 1.5 s (the hold shorter than the pause).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.asr.whisper import Transcriber  # noqa: E402
from assistant.audio import read_audio  # noqa: E402
from assistant.config import AsrConfig, TurnConfig  # noqa: E402
from assistant.engine.end_of_turn import asks_words, end_of_turn  # noqa: E402
from assistant.turn.smart_turn import SmartTurn  # noqa: E402
from assistant.turn.words import WordsEndOfTurn  # noqa: E402

RATE = 16000
PAUSES_S = (0.6, 0.9, 1.2, 1.5)
TAIL_S = 0.05


def recordings() -> list[Path]:
    """Every WAV of ../shared/speech with speech in it."""
    for base in (ROOT.parent, ROOT.parent.parent):
        speech = base / "shared" / "speech"
        if speech.is_dir():
            return sorted(speech.glob("*.wav")) + sorted((speech / "asterisk-dev").glob("*.wav"))
    raise SystemExit("no ../shared/speech here")


def probe(per_file: int, seed: int) -> list[dict[str, object]]:
    """One row per clip: kind (whole or fragment), file, text, both models' probabilities."""
    asr, model, rng = Transcriber(AsrConfig()), SmartTurn(), random.Random(seed)
    words_model = WordsEndOfTurn(TurnConfig().words_model or "bundled:smollm2-135m")
    rows: list[dict[str, object]] = []
    for path in recordings():
        audio = read_audio(path)
        words = asr.words_sync(audio, window_s=max(10.0, audio.size / RATE + 1)).words
        if len(words) < 2:
            continue
        cuts = [(len(words) - 1, "whole")]
        inner = list(range(len(words) - 1))
        cuts += [(i, "fragment") for i in rng.sample(inner, min(per_file, len(inner)))]
        for i, kind in cuts:
            end = int((words[i].end + TAIL_S) * RATE)
            said = "".join(w.text for w in words[: i + 1]).strip()
            text = said if kind == "whole" else said.rstrip(",.;:!?") + "."
            p, w = model.probability_sync(audio[:end]), words_model.probability_sync(text)
            rows.append(
                {
                    "kind": kind,
                    "file": path.name,
                    "text": text,
                    "probability": round(p, 4),
                    "words": round(w, 5),
                }
            )
    return rows


def graded(p: float, text: str, cfg: TurnConfig, low: float) -> int:
    """The verdict's silence with a graded hold between `low` and the threshold."""
    verdict = end_of_turn(text, p, cfg)
    if verdict.rule != "unfinished" or p < low:
        return verdict.silence_ms
    share = (p - low) / (cfg.end_of_turn_threshold - low)
    return round(cfg.endpoint_incomplete_ms - share * (cfg.endpoint_incomplete_ms - cfg.endpoint_complete_ms))


def hold(row: dict[str, object], cfg: TurnConfig, low: float | None, words: bool = False) -> int:
    """The silence that would end this clip's turn: the rule (with the words model's score where it would
    be asked, when `words`), or a graded hold on Smart Turn alone."""
    p, text = float(row["probability"]), str(row["text"])
    if low is not None:
        return graded(p, text, cfg, low)
    w = float(row["words"]) if words and asks_words(text, p, cfg) else None  # type: ignore[arg-type]
    return end_of_turn(text, p, cfg, w).silence_ms


def report(rows: list[dict[str, object]], lows: list[float]) -> None:
    cfg = TurnConfig()
    for key, model in (("probability", "Smart Turn"), ("words", "words")):
        for kind in ("whole", "fragment"):
            ps = np.array([r[key] for r in rows if r["kind"] == kind], dtype=float)
            q = np.percentile(ps, [10, 25, 50, 75, 90])
            print(
                f"{model:10s} {kind:8s} n={ps.size:3d} P 10/25/50/75/90 %: " + " ".join(f"{v:.3f}" for v in q)
            )
    policies = [("Smart Turn, words", None, True), ("Smart Turn alone", None, False)]
    policies += [(f"graded from {lo}", lo, False) for lo in lows]
    pauses = " / ".join(f"{p}s" for p in PAUSES_S)
    print(f"\n{'policy':22s} whole hold p50/p95/mean ms   fragments split at {pauses}")
    for name, low, words in policies:
        whole = np.array([hold(r, cfg, low, words) for r in rows if r["kind"] == "whole"])
        frags = np.array([hold(r, cfg, low, words) for r in rows if r["kind"] == "fragment"])
        split = [100 * float(np.mean(frags < 1000 * pause)) for pause in PAUSES_S]
        print(
            f"{name:22s} {np.median(whole):5.0f} / {np.percentile(whole, 95):5.0f} / {whole.mean():5.0f}"
            f"              " + " / ".join(f"{s:4.0f}%" for s in split)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-file", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--low", type=float, action="append", help="graded hold's lower probability (repeat)")
    ap.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    ap.add_argument("--rows", type=Path, default=None, help="report rows written before instead of probing")
    args = ap.parse_args()
    rows = json.loads(args.rows.read_text()) if args.rows else probe(args.per_file, args.seed)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))
    report(rows, args.low or [0.05, 0.1, 0.2, 0.3])


if __name__ == "__main__":
    main()
