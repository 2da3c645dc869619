"""Measuring the fast path on a spoken test set: text, TTS voices through the real ASR, and match time.

Shared by tests/test_intent.py and scripts/bench_intent.py, so that the acceptance figure and the bench
are computed the same way. The set is tests/data/intents.yaml (its header says how values are compared).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from breame.spelling import get_american_spelling
from pydantic import ValidationError

from assistant.asr.streaming import StreamingRecognizer
from assistant.audio import read_audio, resample
from assistant.bench.suite import DATA_DIR, references
from assistant.tools.intent.matcher import IntentMatch, IntentMatcher
from assistant.tools.intent.text import tokenize

DEFAULT_SET = DATA_DIR / "intents.yaml"


@dataclass(frozen=True)
class Case:
    text: str
    tool: str | None
    """None: a request that needs no tool."""
    args: dict[str, Any] = field(default_factory=dict)
    audio: Path | None = None
    """A recording of a person saying `text`; None: the text is synthesised."""


def load_cases(path: Path = DEFAULT_SET) -> tuple[list[Case], list[Case]]:
    """(requests for a tool, requests that need none)."""
    data = yaml.safe_load(path.read_text())
    intents = [Case(c["text"], c["tool"], c.get("args") or {}) for c in data["intents"]]
    return intents, [Case(text, None) for text in data["none"]]


def load_recordings(path: Path = DEFAULT_SET, data_dir: Path = DATA_DIR) -> list[Case]:
    """Every real recording in `data_dir`: the tool the set's `real` list says it asks for, else none."""
    asks = {c["audio"]: c for c in yaml.safe_load(path.read_text()).get("real") or []}
    recordings = references(data_dir)
    unknown = set(asks) - set(recordings)
    if unknown:
        raise ValueError(f"{path}: no recording with a transcript named {sorted(unknown)} in {data_dir}")
    return [
        Case(text, asks.get(name, {}).get("tool"), asks.get(name, {}).get("args") or {}, data_dir / name)
        for name, text in sorted(recordings.items())
    ]


PAD = np.zeros(4800, np.int16)
"""300 ms of silence before and after a synthesised phrase, as the engine's pre-roll and endpointing give
Whisper."""


def heard(
    case: Case, transcriber: Any, matcher: IntentMatcher, synth: Callable[[str], np.ndarray] | None
) -> list[str]:
    """ASR's hypotheses for a case, best first, as the engine gets them: its recording, or its text said
    by `synth` (int16 at 16 kHz), through the engine's own final pass (`StreamingRecognizer.final_sync`,
    a short turn decoded whole in the 10 s window); a near miss of a tool gets the second look (the beam,
    and a decode with the tools' words in the prompt).

    The set was once heard through `Transcriber.transcribe_sync` in the 20 s window, which the engine
    never uses for a turn: 141 of 153 spoken requests right there, 137 on the engine's path (tiny.en,
    2026-12-07)."""
    if case.audio is not None:
        audio = read_audio(case.audio)
    elif synth is not None:
        audio = np.concatenate([PAD, synth(case.text), PAD])
    else:
        raise ValueError(f"{case.text!r} has no recording and no voice to say it")
    recognizer = StreamingRecognizer(transcriber, vocabulary=matcher.spoken_vocabulary)
    transcript = recognizer.final_sync(audio, second_look=matcher.near_miss).transcript
    return [transcript.text, *transcript.alternatives]


def _norm_text(value: object) -> str:
    """Lower case, no punctuation, numbers as digits, and one spelling of words that British and American
    English spell differently (Breame's lists: "tyres" = "tires", "kilometres" = "kilometers"): Whisper
    writes either, and a note about new tyres is right in both."""
    words = re.sub(r"[^\w\s.]", " ", " ".join(tokenize(str(value)).norm)).split()
    return " ".join(get_american_spelling(w) for w in words)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(actual, e) for e in expected)
    if actual is None or expected is None:  # a value given where the default was expected, or missing
        return actual is expected
    if isinstance(actual, timedelta):
        return abs(actual.total_seconds() - float(expected)) < 1e-6
    if isinstance(actual, time_of_day):
        return actual.strftime("%H:%M") == str(expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return abs(float(actual) - float(expected)) < 1e-6
    return _norm_text(actual) == _norm_text(expected)


def check(case: Case, match: IntentMatch | None) -> str | None:
    """None if the match is what the case expects, else what is wrong, in words."""
    if case.tool is None:
        return None if match is None else f"called {match.tool.name}({match.arguments}) for a no-tool request"
    if match is None:
        return "no tool"
    if match.tool.name != case.tool:
        return f"called {match.tool.name}({match.arguments}), expected {case.tool}"
    try:
        values = match.tool.validate(match.arguments)
    except ValidationError as exc:
        return f"invalid arguments {match.arguments}: {exc.errors()[0]['msg']}"
    defaults = {
        name: f.get_default(call_default_factory=True)
        for name, f in match.tool.arguments.model_fields.items()
    }
    for name, value in values.items():
        wanted = case.args[name] if name in case.args else defaults[name]
        if not _same(value, wanted):
            return f"{name}={value!r}, expected {wanted!r} (arguments {match.arguments})"
    return None


@dataclass
class Report:
    """One voice's (or the text's) run over the set."""

    name: str
    failures: list[tuple[Case, str, str]] = field(default_factory=list)
    """(case, what was heard, what went wrong)."""
    total: int = 0
    called: list[str] = field(default_factory=list)
    """The tools called for cases that need none (to count the destructive ones)."""

    @property
    def accuracy(self) -> float:
        return 1 - len(self.failures) / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.total - len(self.failures)}/{self.total} = {self.accuracy:.1%}"]
        out += [f"  FAIL {c.text!r} heard {heard!r}: {why}" for c, heard, why in self.failures]
        return out


def evaluate(
    name: str,
    cases: Sequence[Case],
    matcher: IntentMatcher,
    hear: Callable[[Case], Sequence[str]] | None = None,
) -> Report:
    """Match each case's text, or what `hear` makes of it (TTS then ASR: its hypotheses, best first, as
    the engine tries them), and check the result."""
    report = Report(name, total=len(cases))
    for case in cases:
        hypotheses = hear(case) if hear is not None else [case.text]
        found = matcher.match_any(hypotheses)
        why = check(case, found[0] if found else None)
        if case.tool is None and found:
            report.called.append(found[0].tool.name)
        if why is not None:
            report.failures.append((case, found[1] if found else hypotheses[0], why))
    return report


def match_times_ms(matcher: IntentMatcher, texts: Sequence[str], rounds: int = 5) -> list[float]:
    """Wall time of each `match` call, every text `rounds` times (the first round warms caches)."""
    times = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            matcher.match(text)
            times.append((time.perf_counter() - start) * 1000)
    return times


def summary_ms(times: Sequence[float]) -> tuple[float, float]:
    """(median, 95th percentile)."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


ESPEAK_ARGS = ("-v", "en-us", "-s", "120", "-g", "4")
"""Slow, with gaps between words: at its default 175 words a minute Whisper tiny.en mishears a quarter of
the words of this robotic voice (12 % word error rate at this setting, 26 % at the default)."""


def espeak(text: str, rate: int = 16000, args: Sequence[str] = ESPEAK_ARGS) -> np.ndarray:
    """A very different, robotic voice (formant synthesis): int16 audio at `rate`. The hardest of the three
    for Whisper; measured and reported, but not a voice a person has."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed (.ci/install_audio.sh installs it)")
    wav = subprocess.run([exe, *args, "--stdout", text], capture_output=True, check=True).stdout
    # espeak-ng writes a WAV header with unset sizes when writing to a pipe: read the format, skip to data.
    native = int.from_bytes(wav[24:28], "little")
    start = wav.index(b"data") + 8
    audio = np.frombuffer(wav[start : len(wav) - (len(wav) - start) % 2], dtype=np.int16)
    return resample(audio, native, rate)


def flite(text: str, rate: int = 16000, voice: str = "slt") -> np.ndarray:
    """A second voice from another synthesiser (CMU Flite's "slt", a female US voice): int16 at `rate`."""
    exe = shutil.which("flite")
    if exe is None:
        raise FileNotFoundError("flite is not installed (.ci/install_audio.sh installs it)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flite.wav"
        subprocess.run([exe, "-voice", voice, "-t", text, "-o", str(path)], capture_output=True, check=True)
        return read_audio(path, rate)
