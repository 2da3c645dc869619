"""Timings read off a recording of both sides of a conversation: the user's channel and the assistant's.

scripts/bench_mic.py records, on one clock, what goes into `assistant mic`'s microphone (left) and what
comes out of its speaker (right). From that signal alone:

- where each recording the user said lies in the left channel (normalised cross-correlation), hence its
  real speech onset and end (`speech_span_ms` of the recording);
- the stretches in which the assistant was audible on the right;
- voice-to-voice: from the end of a turn's speech to the first reply sample after it;
- barge-in: from the onset of speech said over a reply to the moment the reply went silent.

All positions are in samples of the recording; `rate` is its sample rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AUDIBLE = 16
"""|sample| above this (-66 dBFS) is sound: the assistant's channel is digital silence otherwise."""


@dataclass(frozen=True)
class Placed:
    """A recording found in the user's channel."""

    start: int
    """Where the recording begins (sample)."""
    speech: tuple[int, int]
    """Its speech's onset and end (samples)."""
    score: float
    """Normalised cross-correlation at the match (1: identical)."""


def locate(channel: np.ndarray, clip: np.ndarray, lo: int = 0, hi: int | None = None) -> tuple[int, float]:
    """Where `clip` starts in `channel`, searched from `lo` to `hi` (its start): (sample, NCC score)."""
    hi = channel.size - clip.size if hi is None else min(hi, channel.size - clip.size)
    if hi < lo or clip.size == 0:
        return lo, 0.0
    seg = channel[lo : hi + clip.size].astype(np.float64)
    ref = clip.astype(np.float64)
    n = 1 << int(seg.size + ref.size).bit_length()
    corr = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(ref, n)), n)[: seg.size - ref.size + 1]
    energy = np.concatenate([[0.0], np.cumsum(seg * seg)])
    window = energy[ref.size :] - energy[: seg.size - ref.size + 1]
    ncc = corr / np.sqrt(np.maximum(window, 1e-9) * max(float(ref @ ref), 1e-9))
    best = int(np.argmax(ncc))
    return lo + best, float(ncc[best])


def place(
    channel: np.ndarray, clip: np.ndarray, span_ms: tuple[float, float], rate: int, lo: int, hi: int
) -> Placed:
    start, score = locate(channel, clip, lo, hi)
    onset, end = (start + int(ms * rate / 1000) for ms in span_ms)
    return Placed(start, (onset, end), score)


def audible_runs(
    channel: np.ndarray, rate: int, merge_ms: float = 120.0, block_ms: float = 5.0
) -> list[tuple[int, int]]:
    """(start, end) samples of every stretch with sound (in blocks of `block_ms`, gaps up to `merge_ms`
    bridged), exact to the sample at both ends."""
    block = max(1, int(rate * block_ms / 1000))
    n = channel.size // block
    loud = np.abs(channel[: n * block].reshape(n, block).astype(np.int32)).max(axis=1) > AUDIBLE
    runs: list[list[int]] = []
    gap = int(merge_ms / block_ms)
    for i in np.flatnonzero(loud):
        if runs and i - runs[-1][1] <= gap:
            runs[-1][1] = int(i) + 1
        else:
            runs.append([int(i), int(i) + 1])
    out = []
    for a, b in runs:
        first = a * block + int(np.flatnonzero(np.abs(channel[a * block : (a + 1) * block]) > AUDIBLE)[0])
        tail = np.flatnonzero(np.abs(channel[(b - 1) * block : b * block]) > AUDIBLE)
        out.append((first, (b - 1) * block + int(tail[-1]) + 1))
    return out


def reply_after(runs: list[tuple[int, int]], t: int, before: int | None = None) -> int | None:
    """The first sample of the first stretch of sound that starts after t (and before `before`)."""
    for a, _ in runs:
        if a >= t and (before is None or a < before):
            return a
    return None


def stop_after_onset(runs: list[tuple[int, int]], onset: int, slack: int = 0) -> int | None:
    """The end of the stretch of sound playing at `onset` (a reply the user talked over); None if nothing
    was audible then."""
    for a, b in runs:
        if a - slack <= onset <= b + slack:
            return b
    return None
