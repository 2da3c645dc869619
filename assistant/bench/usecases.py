"""The use-like passes: conversations that look like use, built from a suite's real recordings.

- `multiturn`: several recordings in one conversation, a person's 0.5-2 s gap after each reply, turns of
  every length bucket (< 2 s, 2-5 s, 5-15 s, 15-60 s; long turns are real long recordings, or consecutive
  recordings of one group said as one turn with their own pauses);
- `pauses`: real sentences cut at a word boundary in their middle, with 0.6-1.5 s of their own room tone
  inserted (edits.py): does the sentence stay one turn?
- `short`: lone short words, real (a recording's first word, cut out) and synthesised (Piper, Flite);
- `claps`: a real utterance, then claps or knocks, each said once plain and once with the transients;
- `backchannel`: a question, and 0.4 s into the reply a backchannel ("mm-hmm", "yeah") in two voices.

Every input of these passes carries its real speech span (`SimulationOptions.speech_spans_ms`), so
timings can be measured from the speech itself, not from where the engine thought it ended.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import read_audio, write_wav
from assistant.bench import edits
from assistant.bench.dialogues import Scenario
from assistant.bench.passes import USE_PASSES
from assistant.bench.suite import SuiteFile
from assistant.config import Config
from assistant.transports.simulate import SimulationOptions, speech_span_ms

BUCKETS = ((0.0, 2.0, "<2s"), (2.0, 5.0, "2-5s"), (5.0, 15.0, "5-15s"), (15.0, 60.0, "15-60s"))
"""Turn lengths (seconds of speech) the figures are reported by."""

PAUSES_S = (0.6, 0.9, 1.2, 1.5)
SHORT_WORDS = ("Yes.", "No.", "Okay.", "Sure.", "Stop.")
BACKCHANNELS = (("piper", "Mm-hmm."), ("piper", "Uh-huh."), ("piper", "Yeah."), ("flite", "okay"))
BACKCHANNEL_AFTER_S = 0.4
PER_BUCKET = {"<2s": 6, "2-5s": 6, "5-15s": 5}
LONG_TURNS = 4
PAUSE_CASES = 24
REAL_SHORT_WORDS = 6
CLAP_QUESTIONS = 4
TURNS_PER_CONVERSATION = 5
SEED = 15


def bucket(speech_s: float) -> str:
    for low, high, name in BUCKETS:
        if low <= speech_s < high:
            return name
    return BUCKETS[-1][2] if speech_s >= BUCKETS[-1][1] else BUCKETS[0][2]


@dataclass
class Recording:
    """A suite file with its audio and speech span."""

    name: str
    audio: np.ndarray
    span_ms: tuple[float, float]
    reference: str | None

    @property
    def speech_s(self) -> float:
        return (self.span_ms[1] - self.span_ms[0]) / 1000


def recordings(files: list[SuiteFile]) -> list[Recording]:
    out = []
    for f in files:
        audio = read_audio(f.path)
        out.append(Recording(f.path.name, audio, speech_span_ms(audio), f.reference))
    return out


def _group(name: str) -> str:
    """Recordings whose names begin with the same word (up to the first '-' or '_') belong together:
    consecutive sentences of one reading, the prompts of one menu."""
    return re.split(r"[-_]", Path(name).stem)[0]


def _spread(items: list[Any], k: int) -> list[Any]:
    """k items evenly spaced over the list (all of them if it is shorter)."""
    if len(items) <= k:
        return list(items)
    return [items[round(i * (len(items) - 1) / max(1, k - 1))] for i in range(k)]


class _Writer:
    """Writes generated inputs into the scratch folder and keeps what each one is."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.count = 0

    def input(
        self, name: str, audio: np.ndarray, span_ms: tuple[float, float], **label: Any
    ) -> dict[str, Any]:
        self.count += 1
        stem = re.sub(r"[^A-Za-z0-9.-]+", "_", name.removesuffix(".wav"))[:60]
        path = self.scratch / f"{self.count:03d}-{stem}.wav"
        write_wav(path, audio, 16000)
        span = (float(span_ms[0]), float(span_ms[1]))
        speech_s = round((span[1] - span[0]) / 1000, 3)
        return {"path": path, "span_ms": span, "name": name, "speech_s": speech_s, **label}


def _conversations(
    pass_name: str, items: list[dict[str, Any]], per: int, rng: np.random.Generator, **options: Any
) -> list[Scenario]:
    """Items said about `per` to a conversation (as evenly as they split), each after a 0.5-2 s gap once
    the reply before has ended."""
    out = []
    count = -(-len(items) // per)
    bounds = np.linspace(0, len(items), count + 1).round().astype(int) if items else []
    for a, b in itertools.pairwise(bounds):
        group = items[a:b]
        opts = SimulationOptions(
            gaps_s=[round(float(g), 2) for g in rng.uniform(0.5, 2.0, len(group))],
            speech_spans_ms=[item["span_ms"] for item in group],
            **options,
        )
        labels = [{k: v for k, v in item.items() if k not in ("path", "span_ms")} for item in group]
        out.append(Scenario(pass_name, [item["path"] for item in group], opts, labels=labels))
    return out


def long_turns(pool: list[Recording], limit_s: float = 60.0) -> list[tuple[str, list[Recording]]]:
    """Turns of 15-60 s: real recordings that long, and each group's recordings said one after another
    (their own pauses between them) up to `limit_s`. Shortest and longest concatenations first."""
    real = [(r.name, [r]) for r in pool if 15.0 <= r.speech_s < limit_s]
    groups: dict[str, list[Recording]] = {}
    for r in sorted(pool, key=lambda r: r.name):
        if r.audio.size < 15 * 16000:  # a recording that long is a long turn of its own
            groups.setdefault(_group(r.name), []).append(r)
    joined = []
    for name, members in groups.items():
        run, total = [], 0.0
        for r in members:
            length = r.audio.size / 16000
            if total + length > limit_s:
                break
            run.append(r)
            total += length
        if len(run) > 1 and sum(r.audio.size for r in run) / 16000 >= 15.0:
            joined.append((f"{name} x{len(run)}", run))
    joined.sort(key=lambda item: sum(r.audio.size for r in item[1]))
    ordered = [*joined[:1], *joined[-1:]] if len(joined) > 1 else joined
    return (real[:1] + ordered + real[1:] + joined[1:-1])[:LONG_TURNS]


def multiturn(pool: list[Recording], writer: _Writer, rng: np.random.Generator) -> list[Scenario]:
    """Recordings of every bucket, shuffled into conversations of five turns."""
    items = []
    for name, k in PER_BUCKET.items():
        chosen = _spread(sorted((r for r in pool if bucket(r.speech_s) == name), key=lambda r: r.name), k)
        for r in chosen:
            items.append(writer.input(r.name, r.audio, r.span_ms, kind="plain", reference=r.reference))
    for name, parts in long_turns(pool):
        audio = np.concatenate([p.audio for p in parts])
        offsets = np.cumsum([0] + [p.audio.size for p in parts]) * 1000 / 16000
        span = (offsets[0] + parts[0].span_ms[0], offsets[-2] + parts[-1].span_ms[1])
        refs = [p.reference for p in parts]
        reference = " ".join(refs) if all(refs) else None  # type: ignore[arg-type]
        items.append(writer.input(name, audio, span, kind="long", reference=reference, parts=len(parts)))
    order = rng.permutation(len(items))
    return _conversations("multiturn", [items[i] for i in order], TURNS_PER_CONVERSATION, rng)


def pauses(
    pool: list[Recording], words: dict[str, list[edits.Word]], writer: _Writer, rng: np.random.Generator
) -> list[Scenario]:
    """Sentences of five words or more, under 15 s, each with one pause inside (lengths taking turns)."""
    items = []
    for r in sorted(pool, key=lambda r: r.name):
        if r.speech_s >= 15.0 or len(words.get(r.name, [])) < 5 or len(items) >= PAUSE_CASES:
            continue
        pause = PAUSES_S[len(items) % len(PAUSES_S)]
        edit = edits.insert_pause(r.audio, words[r.name], pause, r.span_ms, seed=len(items))
        if edit is None:
            continue
        items.append(
            writer.input(
                f"{Path(r.name).stem}+{pause:.1f}s",
                edit.audio,
                edit.speech_ms,
                kind="paused",
                reference=r.reference,
                pause_s=pause,
                edit=edit.description,
            )
        )
    return _conversations("pauses", items, 4, rng)


def _with_floor(audio: np.ndarray, rng: np.random.Generator, pad_s: float = 0.3) -> np.ndarray:
    """A synthesised clip in a quiet room: its silence replaced by noise at -70 dBFS, padded both sides."""
    pad = np.zeros(int(pad_s * 16000), np.int16)
    clip = np.concatenate([pad, audio.astype(np.int16), pad]).astype(np.float64)
    clip += rng.standard_normal(clip.size) * 32768 * 10 ** (-70 / 20)
    return np.clip(np.round(clip), -32768, 32767).astype(np.int16)


def _voices(cfg: Config) -> dict[str, Any]:
    """Say a text at 16 kHz: the configured Piper voice and CMU Flite's "slt"."""
    from assistant.tools.intent.evaluate import flite
    from assistant.tts import Synthesizer

    piper = Synthesizer(cfg.tts, 16000)
    return {"piper": piper.synthesize_sync, "flite": flite}


def short_words(
    cfg: Config,
    pool: list[Recording],
    words: dict[str, list[edits.Word]],
    writer: _Writer,
    rng: np.random.Generator,
) -> list[Scenario]:
    """Real first words cut out of recordings, and "yes", "no", ... in two synthetic voices."""
    real = []
    for r in sorted(pool, key=lambda r: r.name):
        edit = edits.first_word(r.audio, words.get(r.name, []))
        if edit is not None:
            word = re.sub(r"[^\w']", "", words[r.name][0].text)
            real.append(
                writer.input(f"{word}-{r.name}", edit.audio, edit.speech_ms, kind="real", reference=word)
            )
    items = _spread(real, REAL_SHORT_WORDS)
    voices = _voices(cfg)
    for voice, say in voices.items():
        for text in SHORT_WORDS:
            audio = _with_floor(say(text), rng)
            items.append(
                writer.input(
                    f"{text.strip('.')}-{voice}", audio, speech_span_ms(audio), kind=voice, reference=text
                )
            )
    order = rng.permutation(len(items))
    return _conversations("short", [items[i] for i in order], 4, rng)


def claps(pool: list[Recording], writer: _Writer, rng: np.random.Generator) -> list[Scenario]:
    """Utterances of 1.5-6 s, each said plain and then, in the same conversation, followed by claps or
    knocks (taking turns, starting 0.15 or 0.4 s after the words)."""
    questions = _spread(
        sorted((r for r in pool if 1.5 <= r.speech_s <= 6.0), key=lambda r: r.name), CLAP_QUESTIONS
    )
    out = []
    for i, r in enumerate(questions):
        kind, delay = ("clap", "knock")[i % 2], (0.15, 0.4)[(i // 2) % 2]
        edit = edits.transients_after(r.audio, r.span_ms, kind, delay, seed=i)
        plain = writer.input(r.name, r.audio, r.span_ms, kind="plain", reference=r.reference, question=r.name)
        noisy = writer.input(
            f"{Path(r.name).stem}+{kind}s",
            edit.audio,
            edit.speech_ms,
            kind=kind,
            reference=r.reference,
            question=r.name,
            edit=edit.description,
        )
        out += _conversations("claps", [plain, noisy], 2, rng)
    return out


def backchannel(
    cfg: Config, pool: list[Recording], writer: _Writer, rng: np.random.Generator
) -> list[Scenario]:
    """A question of 2-7 s, and 0.4 s into the reply's audio a backchannel: one conversation each."""
    questions = _spread(sorted((r for r in pool if 2.0 <= r.speech_s <= 7.0), key=lambda r: r.name), 4)
    if not questions:
        return []
    voices = _voices(cfg)
    out = []
    for i, (voice, text) in enumerate(BACKCHANNELS):
        q = questions[i % len(questions)]
        audio = _with_floor(voices[voice](text), rng, pad_s=0.1)
        question = writer.input(q.name, q.audio, q.span_ms, kind="question", reference=q.reference)
        bc = writer.input(
            f"{text.strip('.')}-{voice}", audio, speech_span_ms(audio), kind="backchannel", words=text
        )
        out += _conversations("backchannel", [question, bc], 2, rng, barge_in_after_s=BACKCHANNEL_AFTER_S)
    return out


def _word_times(cfg: Config, pool: list[Recording]) -> dict[str, list[edits.Word]]:
    from assistant.models import HUB

    model = HUB.whisper(cfg.asr)
    return {r.name: edits.words_of(r.audio, model) for r in pool if r.speech_s < 15.0}


def plan(cfg: Config, files: list[SuiteFile], passes: list[str], scratch: Path) -> dict[str, list[Scenario]]:
    """The conversations of each use-like pass in `passes`, their inputs generated into `scratch`.

    Blocking (Whisper's word timestamps, Piper, Flite): run it in a thread, before any conversation."""
    wanted = [p for p in USE_PASSES if p in passes]
    if not wanted:
        return {}
    pool = recordings(files)
    writer = _Writer(scratch)
    words = _word_times(cfg, pool) if {"pauses", "short"} & set(wanted) else {}
    out: dict[str, list[Scenario]] = {}
    for name in wanted:
        rng = np.random.default_rng([SEED, USE_PASSES.index(name)])
        if name == "multiturn":
            out[name] = multiturn(pool, writer, rng)
        elif name == "pauses":
            out[name] = pauses(pool, words, writer, rng)
        elif name == "short":
            out[name] = short_words(cfg, pool, words, writer, rng)
        elif name == "claps":
            out[name] = claps(pool, writer, rng)
        elif name == "backchannel":
            out[name] = backchannel(cfg, pool, writer, rng)
    return out
