"""faster-whisper behind an async call, with the guards a live conversation needs.

Decoding happens while iterating the segments, so the whole iteration runs in a worker thread. Whisper
invents text for noise ("Thank you.", "you"); segments that look like that are dropped.

When a final transcript nearly asks for a tool ("can't sell the timer"), the same encoding is decoded
again with a beam, and the beam's hypotheses go along, so the tools' fast path can try the others ("cancel
the timer"). Turns that need no second look pay nothing. Reusing the encoding needs Whisper's one 30-second
window, so that path goes to CTranslate2 directly; longer audio takes faster-whisper's usual path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
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
    alternatives: tuple[str, ...] = ()
    """Other hypotheses of a final transcript that nearly asked for a tool, best first (never `text`)."""


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

    def transcribe_sync(
        self,
        audio: np.ndarray,
        short_guard: bool = True,
        second_look: Callable[[str], bool] | None = None,
    ) -> Transcript:
        """Blocking; call from a worker thread. `audio` is 16 kHz int16.

        `second_look(text)`: True when the best transcript deserves the beam's alternatives."""
        start = time.perf_counter()
        samples = audio.astype(np.float32) / 32768.0
        hypotheses = self._window(samples, second_look) if second_look is not None else None
        if hypotheses is None:
            hypotheses = [self._decode(samples)]
        text, *alternatives = hypotheses
        audio_ms = audio.size / 16.0
        if short_guard and normalise(text) in _HALLUCINATIONS and audio_ms < 1500 and _is_weak(audio):
            text, alternatives = "", []
        alternatives = [a for a in dict.fromkeys(alternatives) if a and a != text]
        return Transcript(text, audio_ms, (time.perf_counter() - start) * 1000, tuple(alternatives))

    def _decode(self, samples: np.ndarray) -> str:
        segments, _ = self._model.transcribe(
            samples,
            language=self._cfg.language,
            beam_size=self._cfg.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            temperature=0.0,
        )
        parts = [s.text.strip() for s in segments if not _no_speech(s.no_speech_prob, s.avg_logprob)]
        return " ".join(p for p in parts if p).strip()

    def _window(self, samples: np.ndarray, second_look: Callable[[str], bool]) -> list[str] | None:
        """Decode one 30 s window as usual; if `second_look` says so, the beam's hypotheses follow.

        None when the audio does not fit one window, or when the language is left to detection (the
        usual path does that)."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        multilingual = model.model.is_multilingual
        if samples.size > 29 * 16000 or (multilingual and not self._cfg.language):
            return None
        tokenizer = Tokenizer(
            model.hf_tokenizer, multilingual, task="transcribe", language=self._cfg.language or "en"
        )
        encoded = model.encode(pad_or_trim(model.feature_extractor(samples)))
        prompt = [model.get_prompt(tokenizer, [], without_timestamps=True)]

        def decode(beam: int, n: int) -> list[str]:
            result = model.model.generate(
                encoded,
                prompt,
                beam_size=beam,
                num_hypotheses=n,
                max_length=model.max_length // 2,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )[0]
            best = result.sequences_ids[0]
            if _no_speech(result.no_speech_prob, result.scores[0] * len(best) / (len(best) + 1)):
                return [""]
            texts = [tokenizer.decode([t for t in ids if t < tokenizer.eot]) for ids in result.sequences_ids]
            return [t.strip() for t in texts]

        best = decode(self._cfg.beam_size, 1)
        n = self._cfg.alternatives
        if n <= 1 or not best[0] or not second_look(best[0]):
            return best
        return best + decode(max(n, self._cfg.beam_size), n)

    async def transcribe(
        self, audio: np.ndarray, final: bool = False, second_look: Callable[[str], bool] | None = None
    ) -> Transcript:
        """`final`: someone waits for it, so it goes before other conversations' partials."""
        priority = URGENT if final else NORMAL
        return await run_on(
            self._model, "whisper", self.transcribe_sync, audio, True, second_look, priority=priority
        )


def _no_speech(no_speech_prob: float, avg_logprob: float) -> bool:
    """Whisper's own test for a window with nothing said, a little stricter on the log-probability."""
    return no_speech_prob > 0.6 and avg_logprob < -0.8


def _is_weak(audio: np.ndarray) -> bool:
    """Short clips whose loudest 100 ms stay quiet are what Whisper hallucinates on."""
    n = 1600
    if audio.size < n:
        return True
    chunks = audio[: audio.size // n * n].reshape(-1, n).astype(np.float32)
    peak_rms = float(np.sqrt(np.mean(chunks**2, axis=1)).max())
    return peak_rms < 3000
