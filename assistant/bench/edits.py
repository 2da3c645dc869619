"""Real recordings edited the way people speak: a pause in a sentence, a lone word, claps after a question.

Word boundaries come from Whisper's word timestamps and are then moved to the quietest 10 ms nearby (an
energy valley), so a cut never falls inside a word; a pause is filled with the recording's own room tone
(its quietest stretches, spliced with short crossfades), never digital silence. Claps and knocks are
generated transients: a clap is a burst of band-passed noise with a fast decay, a knock a damped low
resonance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16000
FRAME = RATE // 100
"""10 ms, the unit of every level here."""
_PUNCTUATION = ".,;:?!"


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Edit:
    """An edited recording (16 kHz int16) and where its speech really is."""

    audio: np.ndarray
    speech_ms: tuple[float, float]
    """Start and end of the speech in the edited audio (ms): the reference timings count from."""
    description: str
    cut_s: float | None = None
    """Where the original was cut (s into the original), for an inserted pause."""


def frame_levels(audio: np.ndarray) -> np.ndarray:
    """dBFS of every 10 ms frame (the last partial frame dropped)."""
    frames = audio[: audio.size // FRAME * FRAME].reshape(-1, FRAME).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    return 20 * np.log10(np.maximum(rms, 0.5) / 32768)


def noise_floor_db(audio: np.ndarray) -> float:
    """The recording's floor: the 10th percentile of its 10 ms levels."""
    return float(np.percentile(frame_levels(audio), 10))


def words_of(audio: np.ndarray, model: object) -> list[Word]:
    """Whisper's words with their times (s). `model` is a faster_whisper.WhisperModel; blocking."""
    segments, _ = model.transcribe(  # type: ignore[attr-defined]
        audio.astype(np.float32) / 32768.0,
        language="en",
        beam_size=1,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
        temperature=0.0,
    )
    return [Word(w.word.strip(), w.start, w.end) for s in segments for w in (s.words or []) if w.word.strip()]


def valley_s(audio: np.ndarray, left_s: float, right_s: float, margin_s: float = 0.08) -> tuple[float, float]:
    """The quietest 10 ms between two words (searched `margin_s` beyond their reported edges, since word
    times are approximate), smoothed over 30 ms: (time in s, level in dBFS)."""
    levels = frame_levels(audio)
    smooth = np.convolve(levels, np.ones(3) / 3, mode="same")
    a = max(0, int((min(left_s, right_s) - margin_s) * 100))
    b = min(levels.size, int((max(left_s, right_s) + margin_s) * 100) + 1)
    if b <= a:
        return left_s, float(smooth[min(a, levels.size - 1)])
    i = a + int(np.argmin(smooth[a:b]))
    return (i + 0.5) / 100, float(smooth[i])


def speech_level_db(audio: np.ndarray) -> float:
    """The level of the speech: the 80th percentile of the 10 ms levels."""
    return float(np.percentile(frame_levels(audio), 80))


def room_tone(audio: np.ndarray, seconds: float, seed: int = 0) -> np.ndarray:
    """`seconds` of the recording's own background: its quietest stretches (within 3 dB of the floor, at
    least 30 ms long) in random order, joined with 5 ms crossfades. A recording without such stretches
    gets noise at its floor's level."""
    rng = np.random.default_rng(seed)
    levels = frame_levels(audio)
    quiet = levels <= noise_floor_db(audio) + 3
    pieces, run = [], 0
    for i, q in enumerate([*quiet, False]):
        if q:
            run += 1
            continue
        if run >= 3:
            pieces.append(audio[(i - run) * FRAME : i * FRAME].astype(np.float64))
        run = 0
    n = int(seconds * RATE)
    if not pieces:
        rms = 32768 * 10 ** (noise_floor_db(audio) / 20)
        return np.clip(rng.standard_normal(n) * rms, -32768, 32767).astype(np.int16)
    fade = RATE * 5 // 1000
    ramp = np.linspace(0, 1, fade)
    out = np.zeros(0)
    while out.size < n + fade:
        piece = pieces[int(rng.integers(len(pieces)))]
        if out.size >= fade and piece.size > fade:
            out[-fade:] = out[-fade:] * (1 - ramp) + piece[:fade] * ramp
            piece = piece[fade:]
        out = np.concatenate([out, piece])
    return np.clip(np.round(out[:n]), -32768, 32767).astype(np.int16)


def splice(parts: list[np.ndarray], fade_ms: int = 10) -> tuple[np.ndarray, list[int]]:
    """Join int16 clips with short equal-power crossfades, so no join clicks: the audio, and the sample at
    which each part begins in it (each join overlaps by the fade)."""
    fade = RATE * fade_ms // 1000
    theta = np.linspace(0, np.pi / 2, fade)
    out = parts[0].astype(np.float64)
    starts = [0]
    for part in parts[1:]:
        p = part.astype(np.float64)
        k = min(fade, out.size, p.size)
        starts.append(out.size - k)
        if k:
            mixed = out[-k:] * np.cos(theta[:k]) + p[:k] * np.sin(theta[:k])
            out = np.concatenate([out[:-k], mixed, p[k:]])
        else:
            out = np.concatenate([out, p])
    return np.clip(np.round(out), -32768, 32767).astype(np.int16), starts


def pause_candidates(
    audio: np.ndarray, words: list[Word], min_depth_db: float = 12.0
) -> list[tuple[float, int]]:
    """Word boundaries inside a sentence where a pause can go: (valley time in s, index of the word before).

    Only the middle of the sentence (after its first 30 % of words, before its last 30 %) and never after a
    word that ends in punctuation, so the phrase before the pause is unfinished; the valley must be
    `min_depth_db` under the speech's level. Deepest first."""
    level = speech_level_db(audio)
    out = []
    n = len(words)
    for i in range(n - 1):
        if not 0.3 * n <= i + 1 <= 0.7 * n or words[i].text[-1] in _PUNCTUATION:
            continue
        t, db = valley_s(audio, words[i].end_s, words[i + 1].start_s)
        if db <= level - min_depth_db:
            out.append((db, t, i))
    return [(t, i) for _, t, i in sorted(out)]


def insert_pause(
    audio: np.ndarray, words: list[Word], pause_s: float, speech_ms: tuple[float, float], seed: int = 0
) -> Edit | None:
    """The recording with `pause_s` of its own room tone at its best mid-sentence word boundary; None when
    it has no such boundary (too few words, or no clean valley)."""
    candidates = pause_candidates(audio, words)
    if not candidates:
        return None
    cut_s, i = candidates[0]
    cut = int(cut_s * RATE)
    tone = room_tone(audio, pause_s + 0.02, seed)  # the two 10 ms crossfades overlap it
    edited, starts = splice([audio[:cut], tone, audio[cut:]])
    shift_ms = (starts[2] - cut) * 1000 / RATE
    start, end = speech_ms
    before = " ".join(w.text for w in words[: i + 1])
    return Edit(edited, (start, end + shift_ms), f"{pause_s:.1f} s pause after '{before}'", cut_s)


def first_word(audio: np.ndarray, words: list[Word], max_s: float = 0.8) -> Edit | None:
    """The recording's first word alone, cut at the valley after it, with 200 ms of room tone around it;
    None when that word is longer than `max_s` or not followed by a clean valley."""
    if len(words) < 2:
        return None
    t, db = valley_s(audio, words[0].end_s, words[1].start_s)
    if db > speech_level_db(audio) - 12:
        return None
    levels = frame_levels(audio)
    voiced = np.flatnonzero(levels[: int(t * 100)] > noise_floor_db(audio) + 10)
    if voiced.size == 0:
        return None
    start = voiced[0] / 100
    if t - start > max_s:
        return None
    pad = room_tone(audio, 0.2, seed=1)
    first = max(0, int(start * RATE) - FRAME * 3)
    word = audio[first : int(t * RATE)]
    edited, starts = splice([pad, word, pad])
    onset = (starts[1] + int(start * RATE) - first) * 1000 / RATE
    return Edit(edited, (onset, onset + (t - start) * 1000), f"'{words[0].text}' alone")


def clap(rng: np.random.Generator, level: float = 20000) -> np.ndarray:
    """One hand clap: 1-3 kHz band-passed noise, 1 ms attack, ~15 ms decay; about 80 ms."""
    n = RATE * 80 // 1000
    noise = rng.standard_normal(n)
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < 800) | (freqs > 3500)] = 0
    burst = np.fft.irfft(spectrum, n)
    t = np.arange(n) / RATE
    envelope = np.minimum(t / 0.001, 1) * np.exp(-t / 0.015)
    burst = burst * envelope
    return burst / np.abs(burst).max() * level


def knock(rng: np.random.Generator, level: float = 20000) -> np.ndarray:
    """One knock on wood: a damped 180-260 Hz resonance with a click of noise at its start; about 120 ms."""
    n = RATE * 120 // 1000
    t = np.arange(n) / RATE
    f = rng.uniform(180, 260)
    body = np.sin(2 * np.pi * f * t) * np.exp(-t / 0.025)
    click = rng.standard_normal(n) * np.exp(-t / 0.002) * 0.5
    burst = body + click
    return burst / np.abs(burst).max() * level


def transients_after(
    audio: np.ndarray,
    speech_ms: tuple[float, float],
    kind: str,
    delay_s: float,
    duration_s: float = 1.5,
    seed: int = 0,
) -> Edit:
    """The recording, then from `delay_s` after its speech `duration_s` of claps or knocks (`kind`), each
    0.2-0.35 s apart, over the recording's room tone. The speech span stays the recording's own."""
    rng = np.random.default_rng(seed)
    end = int(speech_ms[1] * RATE / 1000)
    head = audio[: min(audio.size, end + FRAME * 5)]
    tone = room_tone(audio, delay_s + duration_s + 0.4, seed)
    joined, _ = splice([head, tone], fade_ms=5)
    edited = joined.astype(np.float64)
    t, stop = end + int(delay_s * RATE), end + int((delay_s + duration_s) * RATE)
    make = clap if kind == "clap" else knock
    count = 0
    while t < stop:
        hit = make(rng, level=float(rng.uniform(12000, 24000)))
        edited[t : t + hit.size] += hit[: edited.size - t]
        t += int(rng.uniform(0.2, 0.35) * RATE)
        count += 1
    out = np.clip(np.round(edited), -32768, 32767).astype(np.int16)
    return Edit(out, speech_ms, f"{count} {kind}s from {delay_s:.2f} s after the speech")
