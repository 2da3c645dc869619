"""Audio helpers shared by every stage: decoding files, resampling, levels, WAV writing."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import av
import numpy as np
import soxr


class AudioFileError(ValueError):
    """A file that cannot be used as speech input, with the reason in words."""


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """Decode any audio file (any rate, any channel count) to mono int16 at `sample_rate`.

    A missing, empty or truncated file raises AudioFileError naming the file instead of an FFmpeg trace.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioFileError(f"{path}: has no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            chunks = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioFileError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioFileError(f"{path}: cannot decode audio ({exc})") from None
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    if samples.size < sample_rate // 10:
        raise AudioFileError(f"{path}: holds {samples.size / sample_rate * 1000:.0f} ms of audio, too short")
    return samples


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
    """Chunk-by-chunk resampling that keeps filter state between chunks (no clicks at boundaries)."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.identity = from_rate == to_rate
        self._stream = None if self.identity else soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")

    def __call__(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        if self._stream is None:
            return samples.astype(np.int16, copy=False)
        return self._stream.resample_chunk(samples.astype(np.int16, copy=False), last=last)


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
