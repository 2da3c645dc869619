"""Voice-to-voice and barge-in of `assistant mic`, measured from the recorded signal, on virtual devices.

    python scripts/bench_mic.py [--tree PATH ...] [--rounds 2] [--out out/bench_mic] [--app-arg=ARG ...]
        [--loudspeaker-ms MS] [--recordings DIR --count N]

A private PulseAudio daemon (tests/virtual_audio.py) gets one stereo null sink: `assistant mic`'s
microphone is its left channel and its speaker its right, so both sides of the conversation are recorded
on one clock where a person would hear them. Real speech (tests/data) is said into the microphone as a
multi-turn session: each recording after the reply to the one before has ended and a 0.5-2 s gap, every
third one 0.5 s into the reply instead, to interrupt it. Then, from the recording alone:

- voice-to-voice: the end of a recording's speech (found by cross-correlation in the left channel) to the
  first reply sample after it (right channel);
- barge-in: the onset of speech said over a reply to the last sample of that reply, whether the app cut
  the reply or let it play to its end (then it is how long the reply went on over the person); an
  interruption said after a short reply had already ended has none.

The app's own report (`--report`) gives the engine's figures for the same turns; it is kept next to each
session's recording (`session-R-TREE.report.json`), and a turn of it that no recording said (the reply's
own echo taken for the user, say) is printed as a warning. Each `--tree` (a checkout of this repository,
e.g. main at a024c09 for the baseline) runs the same session in turn, `--rounds` times, alternating
which goes first. Needs the system packages of .ci/install_audio.sh.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from mic_app import App, cpu_seconds  # noqa: E402
from virtual_audio import (  # noqa: E402
    AIR_SINK,
    AirRecorder,
    VirtualAudio,
    add_loudspeaker,
    audio_tools_available,
    use_air,
)

from assistant.asr.wer import word_error_rate  # noqa: E402
from assistant.audio import read_audio, write_wav  # noqa: E402
from assistant.bench import recorded  # noqa: E402
from assistant.bench.stats import summary  # noqa: E402
from assistant.bench.suite import references  # noqa: E402
from assistant.transports.simulate import speech_span_ms  # noqa: E402

DATA = ROOT / "tests" / "data"
SESSION = [
    ("goforward.wav", "answer"),
    ("sense_and_sensibility_01_austen_64kb-0930.wav", "answer"),
    ("cards-003.wav", "barge"),
    ("asterisk/vm-sorry.wav", "answer"),
    ("forever.wav", "answer"),
    ("asterisk/dir-nomore.wav", "barge"),
    ("asterisk/ss-noservice.wav", "answer"),
    ("sense_and_sensibility_01_austen_64kb-0880.wav", "answer"),
    ("asterisk/conf-getpin.wav", "barge"),
    ("cards-005.wav", "answer"),
]
"""(recording, how): "answer" is said once the reply before has ended (and a gap); "barge" 0.5 s after
the reply to the one before has become audible."""
Plan = list[tuple[Path, str]]
"""The recordings of a session, in order, each with how it is said (as in `SESSION`)."""


def default_plan() -> Plan:
    return [(DATA / name, how) for name, how in SESSION]


def drawn_plan(folder: Path, count: int, seed: int, unseen: bool = False) -> Plan:
    """`count` recordings of `folder` (each WAV with its transcript in a .txt beside it), drawn with `seed`;
    every third is said over the reply before it, as in `SESSION`. `unseen`: none that tests/data holds
    (by name), so that the session is speech the engine was never tuned on."""
    known = {w.name for w in DATA.rglob("*.wav")} if unseen else set()
    wavs = sorted(w for w in folder.glob("*.wav") if w.with_suffix(".txt").is_file() and w.name not in known)
    if len(wavs) < count:
        raise SystemExit(f"{folder}: {len(wavs)} WAVs with a transcript beside them, {count} asked for")
    picked = np.random.default_rng(seed).choice(len(wavs), count, replace=False)
    return [(wavs[k], "barge" if i % 3 == 2 else "answer") for i, k in enumerate(picked)]


RATE = 16000
CLAUSE_GAP_MS = 350.0
"""A pause this short between two stretches of the app's voice is inside one reply (Piper's clauses came
200-250 ms apart here): speech that began in it interrupted the reply, as one that began in a word did."""
TURN_DONE = "voice-to-voice|⏱"


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _silent_for(rec: AirRecorder, seconds: float) -> bool:
    tail = rec.right_since(max(0, rec.samples - int(seconds * RATE)))
    return tail.size >= int(seconds * RATE * 0.9) and not np.any(np.abs(tail) > recorded.AUDIBLE)


def _first_sound(rec: AirRecorder, after: int, timeout: float) -> int | None:
    """The first sample of the app's voice after sample `after`, waiting for it up to `timeout`."""
    found: list[int] = []

    def heard() -> bool:
        loud = np.flatnonzero(np.abs(rec.right_since(after)) > recorded.AUDIBLE)
        if loud.size:
            found.append(after + int(loud[0]))
        return bool(loud.size)

    return found[0] if _wait(heard, timeout) else None


def _wait_answered(app: App, rec: AirRecorder, after: int) -> None:
    """Until the reply to what was said before sample `after` has played to its end (its turn's line on the
    console, then 0.3 s of silence); a reply that never comes is waited for 20 s."""
    if _first_sound(rec, after, 20) is None:
        return
    done = app.count(TURN_DONE)
    _wait(lambda: app.count(TURN_DONE) > done and _silent_for(rec, 0.3), 40)


def session(
    va: VirtualAudio, tree: Path, app_args: list[str], gaps: list[float], folder: Path, plan: Plan
) -> dict[str, Any]:
    """One multi-turn session with the app of `tree`: the recording, the play positions, the app's report."""
    report = folder / "report.json"
    app = App(va, report, tuple(app_args), env={"PYTHONPATH": str(tree)}, cwd=tree)
    server = va.daemon_pid
    rec = None
    cpu: dict[str, float] = {}
    played: list[tuple[Path, str, int]] = []
    try:
        app.wait_for("Listening at", timeout=180)
        time.sleep(1.0)
        cpu_start = {
            "app_s": app.cpu_seconds(),
            "pulseaudio_s": cpu_seconds(server),
            "wall_s": time.monotonic(),
        }
        rec = AirRecorder(va, RATE)
        time.sleep(0.5)
        said_until = 0
        for i, (path, how) in enumerate(plan):
            if i and how == "barge":
                first = _first_sound(rec, said_until, 20)
                if first is not None:
                    _wait(lambda f=first: rec.samples >= f + RATE // 2, 5)
            elif i:
                _wait_answered(app, rec, said_until)
                _wait(lambda g=gaps[i]: _silent_for(rec, g), 15)
            position = rec.samples
            va.play_into_mic(path, sink=f"{AIR_SINK}_user")
            played.append((path, how, position))
            said_until = rec.samples
        _wait_answered(app, rec, said_until)
        time.sleep(1.0)
        cpu = {
            "app_s": app.cpu_seconds() - cpu_start["app_s"],
            "pulseaudio_s": cpu_seconds(server) - cpu_start["pulseaudio_s"],
            "wall_s": time.monotonic() - cpu_start["wall_s"],
        }
    finally:
        code = app.stop()
        recording = rec.stop() if rec is not None else np.zeros((0, 2), np.int16)
    result = json.loads(report.read_text()) if report.exists() else {"turns": []}
    return {
        "code": code,
        "recording": recording,
        "played": played,
        "report": result,
        "screen": app.screen,
        "cpu": cpu,
    }


def _references(paths: list[Path]) -> dict[str, str]:
    """Each recording's transcript, by file name: tests/data's table, else the .txt beside it."""
    refs = references(DATA)
    for path in paths:
        if path.name not in refs:
            refs[path.name] = path.with_suffix(".txt").read_text().strip()
    return refs


def pair_turns(
    turns: list[dict[str, Any]], names: list[str], refs: dict[str, str]
) -> list[dict[str, Any] | None]:
    """The app's turn for each recording said, in order: the next turn whose words are within 50 % WER of
    the recording's transcript (None for a recording that gave no such turn)."""
    out: list[dict[str, Any] | None] = []
    j = 0
    for name in names:
        k = next(
            (
                k
                for k in range(j, len(turns))
                if word_error_rate([refs[name]], [turns[k]["user_text"]]) <= 0.5
            ),
            None,
        )
        out.append(None if k is None else turns[k])
        j = j if k is None else k + 1
    return out


def analyse(run: dict[str, Any]) -> dict[str, Any]:
    """Signal and engine figures of one session, turn by turn."""
    left, right = run["recording"][:, 0], run["recording"][:, 1]
    runs = recorded.audible_runs(right, RATE)
    replies = recorded.audible_runs(right, RATE, merge_ms=CLAUSE_GAP_MS)
    placed = []
    for path, how, position in run["played"]:
        name = path.name
        clip = read_audio(path)
        lo, hi = max(0, position - RATE // 5), position + 3 * RATE
        placed.append((name, how, recorded.place(left, clip, speech_span_ms(clip), RATE, lo, hi)))
    refs = _references([path for path, _, _ in run["played"]])
    turns = pair_turns(run["report"].get("turns", []), [n for n, _, _ in placed], refs)
    rows, warnings = [], []
    for i, (name, how, p) in enumerate(placed):
        row: dict[str, Any] = {"file": name, "how": how, "ncc": round(p.score, 3), "heard": None}
        if p.score < 0.8:
            warnings.append(f"{name}: found in the recording with NCC {p.score:.2f} only")
        turn = turns[i]
        if turn is not None:
            row |= {"heard": turn["user_text"], "engine_v2v": turn["timings_ms"].get("voice_to_voice")}
        following = (
            placed[i + 1][2].speech[0] if i + 1 < len(placed) and placed[i + 1][1] != "barge" else None
        )
        first = recorded.reply_after(runs, p.speech[1], following)
        row["signal_v2v"] = None if first is None else (first - p.speech[1]) * 1000 / RATE
        if how == "barge" and i:
            cut = turns[i - 1]
            stop = recorded.stop_after_onset(replies, p.speech[0])
            row["interrupted"] = bool(cut and cut["interrupted"])
            row["talked_over"] = stop is not None
            if stop is not None:  # how long the reply went on over the speech, cut or not
                row["signal_barge_in"] = (stop - p.speech[0]) * 1000 / RATE
                if row["interrupted"]:
                    row["engine_barge_in"] = cut["timings_ms"].get("barge_in")  # type: ignore[index]
        rows.append(row)
    paired = {id(t) for t in turns if t is not None}
    for turn in run["report"].get("turns", []):
        if id(turn) not in paired:
            warnings.append(f"a turn no recording said: {turn.get('user_text')!r}")
    said = [(t.get("user_text"), t.get("interrupted")) for t in run["report"].get("turns", [])]
    return {"rows": rows, "turns": len(said), "said": said, "audio": run["report"].get("audio"),
            "cpu": run["cpu"], "warnings": warnings}  # fmt: skip


FIGURES = ("signal_v2v", "engine_v2v", "signal_barge_in", "engine_barge_in")


def pooled(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95 of every figure over sessions, and the audio path's share (signal minus engine, per turn)."""
    rows = [r for s in sessions for r in s["rows"]]
    out = {f: summary(r.get(f) for r in rows) for f in FIGURES}
    out["path_v2v"] = summary(
        r["signal_v2v"] - r["engine_v2v"] for r in rows if r.get("signal_v2v") and r.get("engine_v2v")
    )
    barges = [r for r in rows if r["how"] == "barge" and "talked_over" in r]
    out["barges"] = {
        "said": len(barges),
        "talked_over": sum(r["talked_over"] for r in barges),
        "cut": sum(r["talked_over"] and r["interrupted"] for r in barges),
    }
    out["path_barge_in"] = summary(
        r["signal_barge_in"] - r["engine_barge_in"]
        for r in rows
        if r.get("signal_barge_in") is not None and r.get("engine_barge_in") is not None
    )
    return out


def _fmt(s: dict[str, Any]) -> str:
    return "—" if not s["n"] else f"{s['p50']:.0f} / {s['p95']:.0f} (n {s['n']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path, help="a checkout to run (default: this one)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench_mic")
    parser.add_argument(
        "--app-arg", action="append", default=[], help="passed to `assistant mic` (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--recordings",
        type=Path,
        help="say COUNT recordings drawn from this folder (each WAV with a .txt transcript) instead of "
        "the fixed session of tests/data, e.g. ../shared/speech/asterisk-dev",
    )
    parser.add_argument("--count", type=int, default=9, help="with --recordings: how many (default 9)")
    parser.add_argument(
        "--unseen", action="store_true", help="with --recordings: none of those tests/data holds"
    )
    parser.add_argument(
        "--loudspeaker-ms",
        type=int,
        help="the app's speaker also reaches its microphone this late, 6 dB down (a PulseAudio loopback)",
    )
    args = parser.parse_args()
    if not audio_tools_available():
        raise SystemExit("needs PulseAudio and its tools: bash .ci/install_audio.sh")
    trees = [t.resolve() for t in (args.tree or [ROOT])]
    app_args = args.app_arg or ["--set", "llm.temperature=0"]
    if args.count < 1:
        parser.error("--count must be 1 or more")
    plan = default_plan()
    if args.recordings:
        plan = drawn_plan(args.recordings, args.count, args.seed, args.unseen)
    gaps = list(np.random.default_rng(args.seed).uniform(0.5, 2.0, len(plan)))
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {str(t): {"sessions": []} for t in trees}
    with VirtualAudio(rate=48000) as va:
        use_air(va)
        if args.loudspeaker_ms is not None:
            add_loudspeaker(va, args.loudspeaker_ms, -6.0)
        for r in range(args.rounds):
            order = trees if r % 2 == 0 else trees[::-1]
            for tree in order:
                with tempfile.TemporaryDirectory() as folder:
                    run = session(va, tree, app_args, gaps, Path(folder), plan)
                figures = analyse(run)
                results[str(tree)]["sessions"].append(figures)
                figures["wav"] = str(args.out / f"session-{r + 1}-{tree.name}.wav")
                write_wav(figures["wav"], run["recording"], RATE)
                report = Path(figures["wav"]).with_suffix(".report.json")  # the app's own, to read later
                report.write_text(json.dumps(run["report"], indent=2))
                s = pooled([figures])
                v2v, barge = s["signal_v2v"], s["signal_barge_in"]
                cpu = figures["cpu"]
                b = s["barges"]
                print(f"round {r + 1}, {tree}: v2v {_fmt(v2v)}, barge-in {_fmt(barge)} "
                      f"({b['talked_over']} of {b['said']} interruptions came while the reply was audible, "
                      f"{b['cut']} of them cut it), "
                      f"{figures['turns']} turns, exit {run['code']}; CPU s app {cpu.get('app_s', 0):.1f}, "
                      f"pulseaudio {cpu.get('pulseaudio_s', 0):.1f} in {cpu.get('wall_s', 0):.0f} s",
                      flush=True)  # fmt: skip
                for warning in figures["warnings"]:
                    print(f"  warning: {warning}")
    columns = (*FIGURES, "path_v2v", "path_barge_in")
    print("\np50 / p95 ms (n)" + "".join(f"{c:>24}" for c in columns))
    for tree, entry in results.items():
        entry["summary"] = pooled(entry["sessions"])
        print(f"{tree[-16:]:<16}" + "".join(f"{_fmt(entry['summary'][c]):>24}" for c in columns))
    for tree, entry in results.items():
        wall = sum(s["cpu"].get("wall_s", 0) for s in entry["sessions"]) or 1
        share = {
            k: sum(s["cpu"].get(k, 0) for s in entry["sessions"]) / wall for k in ("app_s", "pulseaudio_s")
        }
        entry["cpu_share"] = share
        xruns = [(s.get("audio") or {}).get("xruns") or {} for s in entry["sessions"]]
        underruns = [(x.get("output"), x.get("output_voiced")) for x in xruns]
        print(f"{tree}: cores busy, app {share['app_s']:.2f}, pulseaudio {share['pulseaudio_s']:.2f}; "
              f"speaker underruns per session (all, in the voice) {underruns}")  # fmt: skip
    from assistant.bench.machine import describe_machine

    said = [(str(path), how) for path, how in plan]
    out = {"machine": describe_machine(), "session": said, "gaps_s": gaps, "trees": results}
    (args.out / "bench_mic.json").write_text(json.dumps(out, indent=2))
    print(f"Wrote {args.out / 'bench_mic.json'}")


if __name__ == "__main__":
    main()
