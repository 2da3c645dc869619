"""faster-whisper behind an async call, with the guards a live conversation needs.

Decoding happens while iterating the segments, so the whole iteration runs in a worker thread. Whisper
invents text for noise ("Thank you.", "you"); segments that look like that are dropped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from assistant.config import AsrConfig
from assistant.models import HUB
from assistant.workers import NORMAL, URGENT, run_on, thread_for

_HALLUCINATIONS = {
    "you",
    "thank you",
    "thanks for watching",
    "thank you for watching",
    "bye",
    "so",
    "oh",
    "uh",
    "um",
    "hmm",
    "the",
    "i",
    "a",
}


@dataclass(frozen=True)
class Transcript:
    text: str
    audio_ms: float
    compute_ms: float


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


class Transcriber:
    def __init__(self, cfg: AsrConfig) -> None:
        self._cfg = cfg
        self._model = HUB.whisper(cfg)

    @property
    def busy(self) -> bool:
        """Another transcription is queued or running on this model (perhaps for another conversation).

        Partial transcripts are a nicety: they only use an idle model, so that a final transcript, which
        someone is waiting for, never queues behind other sessions' partials.
        """
        return thread_for(self._model, "whisper").busy

    def transcribe_sync(self, audio: np.ndarray, short_guard: bool = True) -> Transcript:
        """Blocking; call from a worker thread. `audio` is 16 kHz int16."""
        start = time.perf_counter()
        samples = audio.astype(np.float32) / 32768.0
        segments, _ = self._model.transcribe(
            samples,
            language=self._cfg.language,
            beam_size=self._cfg.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            temperature=0.0,
        )
        parts = []
        for seg in segments:
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -0.8:
                continue
            parts.append(seg.text.strip())
        text = " ".join(p for p in parts if p).strip()
        audio_ms = audio.size / 16.0
        if short_guard and normalise(text) in _HALLUCINATIONS and audio_ms < 1500 and _is_weak(audio):
            text = ""
        return Transcript(text, audio_ms, (time.perf_counter() - start) * 1000)

    async def transcribe(self, audio: np.ndarray, urgent: bool = False) -> Transcript:
        """`urgent`: a final transcript, which goes before other conversations' partials."""
        priority = URGENT if urgent else NORMAL
        return await run_on(self._model, "whisper", self.transcribe_sync, audio, priority=priority)


def _is_weak(audio: np.ndarray) -> bool:
    """Short clips whose loudest 100 ms stay quiet are what Whisper hallucinates on."""
    n = 1600
    if audio.size < n:
        return True
    chunks = audio[: audio.size // n * n].reshape(-1, n).astype(np.float32)
    peak_rms = float(np.sqrt(np.mean(chunks**2, axis=1)).max())
    return peak_rms < 3000
