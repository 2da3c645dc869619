"""Piper text-to-speech (onnxruntime, CPU), one clause at a time in a worker thread."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np

from assistant.audio import resample
from assistant.config import TtsConfig
from assistant.heap import TRIMMER
from assistant.models import HUB
from assistant.tts.normalise import Grammars, shared_grammars, spoken
from assistant.workers import IDLE, NORMAL, URGENT, run_on, thread_for

SILENCE = 32
"""-60 dBFS: quieter than this is no sound a person hears over a loudspeaker."""
LEAD_IN_MS = 5
ONSET_WINDOW_MS = 5
_PREPARED: dict[int, dict[tuple[int, str], np.ndarray]] = {}
"""Fixed sentences synthesised once per voice (by its id) and output rate, for every conversation of the
process; dropped when the voice is freed (`_prepared_by`)."""


def _prepared_by(voice: Any) -> dict[tuple[int, str], np.ndarray]:
    """The sentences prepared in `voice`. Python gives a freed object's id to the next one: kept past
    the voice, they would have been played in whatever voice was loaded at its address."""
    key = id(voice)
    if key not in _PREPARED:
        _PREPARED[key] = {}
        weakref.finalize(voice, _PREPARED.pop, key, None).atexit = False
    return _PREPARED[key]


def trim_leading_silence(audio: np.ndarray, rate: int) -> np.ndarray:
    """Piper starts most clauses with 30-50 ms of near silence: time the listener waits for nothing, and
    that no voice-to-voice figure would show. Cut it, keeping a few ms before the first sound (no click).

    The first sound is the first 5 ms window whose RMS passes -60 dBFS, not the first loud sample: a
    breathy onset ("h", "f") has stray samples above the level 20-40 ms before it is heard, and a cut
    there left the first 10 ms at -68 to -78 dBFS (Piper's noise makes this vary run to run)."""
    window = rate * ONSET_WINDOW_MS // 1000
    if audio.size < window:
        return audio
    energy = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    rms = np.sqrt((energy[window:] - energy[:-window]) / window)
    loud = np.flatnonzero(rms > SILENCE)
    if loud.size == 0:
        return audio
    start = int(loud[0])
    first = start + int(np.argmax(np.abs(audio[start : start + window].astype(np.int32)) > SILENCE))
    return audio[max(0, first - rate * LEAD_IN_MS // 1000) :]


class Synthesizer:
    """Written text -> its spoken form (assistant.tts.normalise) -> Piper audio."""

    def __init__(
        self, cfg: TtsConfig, output_rate: int, voice: Any = None, grammars: Grammars | None = None
    ) -> None:
        """`voice`: a PiperVoice of the caller's own (one loaded after `onnxruntime.set_seed` says the same
        thing the same way every run); by default the one every conversation shares. `grammars`: the text
        normaliser's worker, by default the process-wide one (started here, so it is ready in time)."""
        from piper import SynthesisConfig

        self.cfg = cfg
        self.grammars = grammars if grammars is not None else shared_grammars()
        self._voice = voice if voice is not None else HUB.piper(cfg)
        self._syn = SynthesisConfig(
            length_scale=cfg.length_scale,
            noise_scale=cfg.noise_scale,
            noise_w_scale=cfg.noise_w,
            volume=cfg.volume,
            normalize_audio=True,
        )
        self.native_rate = int(self._voice.config.sample_rate)
        self.output_rate = output_rate

    def synthesize_sync(self, text: str) -> np.ndarray:
        """Blocking: int16 audio at the output rate for one written clause (Piper splits sentences
        itself); its numbers, symbols and abbreviations are said in words. Empty if nothing is speakable."""
        words = spoken(text, self.grammars)
        if not words:
            return np.zeros(0, np.int16)
        parts = [chunk.audio_int16_array for chunk in self._voice.synthesize(words, self._syn)]
        audio = np.concatenate(parts) if parts else np.zeros(0, np.int16)
        return resample(trim_leading_silence(audio, self.native_rate), self.native_rate, self.output_rate)

    async def synthesize(self, text: str, urgent: bool = False) -> np.ndarray:
        """`urgent`: someone is waiting to hear this (a reply's first clause); it goes before later ones."""
        priority = URGENT if urgent else NORMAL
        return await run_on(self._voice, "piper", self.synthesize_sync, text, priority=priority)

    def release_memory(self) -> None:
        """After a reply: the C heap's free pages go back to the system, on Piper's thread once nothing
        else is queued there (assistant.heap: what a long reply's synthesis allocated is not kept)."""
        thread_for(self._voice, "piper").submit(IDLE, TRIMMER.trim, waited=False)

    async def prepare(self, texts: Iterable[str]) -> None:
        """Synthesise fixed sentences (the spoken fault notices) ahead of need: they then play at once
        even when Piper is busy with other conversations or fails on the text being said."""
        prepared = _prepared_by(self._voice)
        for text in texts:
            if (self.output_rate, text) not in prepared:
                prepared[self.output_rate, text] = await self.synthesize(text)

    def prepared(self, text: str) -> np.ndarray | None:
        """The audio of a sentence given to `prepare`, or None."""
        return _prepared_by(self._voice).get((self.output_rate, text))
