"""Bench the speech-to-intent fast path: accuracy per voice, the no-tool rate and the match time.

    python scripts/bench_intent.py                   # text, Piper, Flite, espeak-ng, real recordings
    python scripts/bench_intent.py --voices text     # matcher only, no models
    python scripts/bench_intent.py --tools my_tools.py --set my_intents.yaml
    python scripts/bench_intent.py --set tests/data/non_requests.yaml --voices text piper flite

The set is tests/data/intents.yaml (the issue's acceptance figure); the tools are the built-in ones and
examples/home_tools.py, plus any `--tools` file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from assistant.tools import Tool, load_spec, make_tool
from assistant.tools.builtin import BUILTIN_TOOLS
from assistant.tools.intent import DEFAULT_THRESHOLD, IntentMatcher
from assistant.tools.intent.evaluate import (
    DEFAULT_SET,
    espeak,
    evaluate,
    flite,
    heard,
    load_cases,
    load_recordings,
    match_times_ms,
    summary_ms,
)
from assistant.tools.intent.gate import is_destructive

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", nargs="+", default=["text", "piper", "flite", "espeak", "real"],
                        choices=["text", "piper", "flite", "espeak", "real"])  # fmt: skip
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the YAML test set")
    parser.add_argument("--tools", action="append", default=[], help="another tools file or module")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure")
    args = parser.parse_args()

    tools: list[Tool] = [make_tool(fn) for fn in BUILTIN_TOOLS] + load_spec(
        str(ROOT / "examples/home_tools.py")
    )
    for spec in args.tools:
        tools += load_spec(spec)
    start = time.perf_counter()
    matcher = IntentMatcher(tools, args.threshold)
    print(f"{len(tools)} tools indexed in {(time.perf_counter() - start) * 1000:.1f} ms")
    intents, none = load_cases(args.set)

    hearers = {}
    if {"piper", "flite", "espeak", "real"} & set(args.voices):
        from assistant.asr import Transcriber
        from assistant.config import load_config
        from assistant.tts import Synthesizer

        cfg = load_config()
        transcriber = Transcriber(cfg.asr)
        synths = {"espeak": espeak, "flite": flite}
        if "piper" in args.voices:
            synths["piper"] = Synthesizer(cfg.tts, 16000).synthesize_sync
        synths["real"] = None
        for name, synth in synths.items():
            hearers[name] = lambda case, synth=synth: heard(case, transcriber, matcher, synth)

    rows = []
    recordings = load_recordings(args.set)
    for voice in args.voices:
        hear = hearers.get(voice)
        start = time.perf_counter()
        if voice == "real":  # people's recordings: those that ask for a tool, and those that do not
            report = evaluate(voice, [c for c in recordings if c.tool], matcher, hear)
            no_tool = evaluate(f"{voice} (no tool)", [c for c in recordings if not c.tool], matcher, hear)
        else:
            report = evaluate(voice, intents, matcher, hear)
            no_tool = evaluate(f"{voice} (no tool)", none, matcher, hear) if voice != "espeak" else None
        seconds = time.perf_counter() - start
        for r in (report, no_tool):
            if r is not None and args.verbose:
                print("\n".join(r.lines()))
        rows.append((voice, report, no_tool, seconds))

    times = match_times_ms(matcher, [c.text for c in intents + none])
    median, p95 = summary_ms(times)
    print(f"\n{'voice':8} {'right tool+args':>16} {'no tool':>8} {'seconds':>8}")
    for voice, report, no_tool, seconds in rows:
        rate = f"{no_tool.accuracy:.1%}" if no_tool is not None and no_tool.total else "-"
        right = f"{report.accuracy:.1%}" if report.total else "-"
        print(f"{voice:8} {right:>16} {rate:>8} {seconds:>8.1f}")
    spoken = [(r, n) for voice, r, n, _ in rows if voice in ("piper", "flite", "real")]
    if spoken:  # the figure: the bundled voice, a second voice and real speech, together
        right = sum(r.total - len(r.failures) for r, _ in spoken)
        quiet = sum(n.total - len(n.failures) for _, n in spoken if n is not None)
        print(f"{' + '.join(v for v, *_ in rows if v in ('piper', 'flite', 'real'))}: right tool "
              f"{right}/{sum(r.total for r, _ in spoken)}, no tool {quiet}/"
              f"{sum(n.total for _, n in spoken if n is not None)}")  # fmt: skip
    destructive = {t.name for t in tools if is_destructive(t)}
    wrecked = sum(name in destructive for _, _, n, _ in rows if n is not None for name in n.called)
    print(f"destructive tools ({', '.join(sorted(destructive))}) called for a no-tool case: {wrecked}")
    print(f"\n{len(intents)} requests, {len(none)} needing no tool; threshold {args.threshold}")
    print(f"match time: median {median:.3f} ms, p95 {p95:.3f} ms over {len(times)} calls")


if __name__ == "__main__":
    main()
