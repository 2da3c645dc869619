"""Audio helpers shared by every stage: decoding files, resampling, levels, WAV writing."""

from __future__ import annotations

import logging
import math
import wave
from pathlib import Path

import numpy as np
import soxr

from assistant.audiofile import AudioFileError, load_audio

logger = logging.getLogger(__name__)

__all__ = [
    "AudioFileError",
    "DcBlocker",
    "StreamResampler",
    "gain_db",
    "read_audio",
    "resample",
    "rms_dbfs",
    "write_wav",
]


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """Decode any audio file (any rate, any channel count) to mono int16 at `sample_rate`.

    A missing, empty, undecodable, truncated or otherwise damaged file raises AudioFileError naming the
    file instead of an FFmpeg trace or half the audio (`assistant.audiofile.load_audio` can allow damage);
    float samples clipped at full scale are logged as a warning.
    """
    decoded = load_audio(path, sample_rate)
    for warning in decoded.warnings:  # float samples clipped at full scale: said, not refused
        logger.warning("%s", warning)
    return decoded.samples


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write int16 samples, shape (n,) or (n, channels)."""
    data = np.asarray(samples, dtype=np.int16)
    channels = 1 if data.ndim == 1 else data.shape[1]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(data.tobytes())


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a whole int16 clip (soxr, high quality)."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    return soxr.resample(samples.astype(np.int16, copy=False), from_rate, to_rate, quality="HQ")


class StreamResampler:
    """Chunk-by-chunk resampling that keeps filter state between chunks (no clicks at boundaries). A rate
    need not be whole: two devices whose clocks drift apart are 16000 and 16000.0016 Hz to each other."""

    def __init__(self, from_rate: float, to_rate: float) -> None:
        self.identity = from_rate == to_rate
        self._stream = None if self.identity else soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")

    def __call__(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        if self._stream is None:
            return samples.astype(np.int16, copy=False)
        return self._stream.resample_chunk(samples.astype(np.int16, copy=False), last=last)


def energy(frame: np.ndarray) -> float:
    """Sum of squares of an int16 frame (float64, no overflow)."""
    samples = frame.astype(np.float64)
    return float(np.dot(samples, samples))


def rms_dbfs(samples: np.ndarray) -> float:
    """Level of int16 audio in dB relative to full scale; silence is -120."""
    if samples.size == 0:
        return -120.0
    x = samples.astype(np.float32).ravel()
    rms = math.sqrt(float(x @ x) / x.size)  # one BLAS call: this runs for every 20 ms frame
    return 20 * math.log10(rms / 32768) if rms > 0 else -120.0


def gain_db(samples: np.ndarray, db: float) -> np.ndarray:
    scaled = samples.astype(np.float32) * (10 ** (db / 20))
    return np.clip(scaled, -32768, 32767).astype(np.int16)


class DcBlocker:
    """First-order DC blocker ``y[n] = x[n] - x[n-1] + r*y[n-1]`` (corner ~13 Hz at 16 kHz), vectorised.

    A per-sample Python loop would cost more than the whole canceller, so the recursion is unrolled as a
    scaled cumulative sum; with ``r**-frame`` around 5 this is numerically harmless.
    """

    def __init__(self, frame_samples: int, r: float = 0.995) -> None:
        self._r = r
        powers = r ** np.arange(frame_samples, dtype=np.float64)
        self._up = powers  # r**n
        self._down = 1.0 / powers  # r**-n
        self._x_last = 0.0
        self._y_last = 0.0

    def filter(self, x: np.ndarray) -> np.ndarray:
        """One frame of `frame_samples` float64 samples, filtered; the state carries to the next."""
        v = np.empty_like(x)
        v[0] = x[0] - self._x_last
        np.subtract(x[1:], x[:-1], out=v[1:])
        y = self._up * (self._r * self._y_last + np.cumsum(v * self._down))
        self._x_last = float(x[-1])
        self._y_last = float(y[-1])
        return y
