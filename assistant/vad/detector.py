"""Turns per-frame speech probabilities into speech onsets, with a level floor and an echo gate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from assistant.audio import rms_dbfs
from assistant.config import VadConfig
from assistant.vad.classifiers import FrameClassifier, SileroClassifier, WebRtcClassifier


def make_classifier(cfg: VadConfig) -> FrameClassifier:
    if cfg.engine == "silero":
        from assistant.models import HUB

        return SileroClassifier(HUB.silero())
    return WebRtcClassifier(cfg.aggressiveness)


@dataclass
class FrameVerdict:
    voiced: bool
    """The onset classifier calls this frame speech (after the level floor and the echo gate)."""
    speech: bool
    """A speech-trained model (Silero) calls it speech, with the same gates: claps, knocks and music
    that webrtcvad takes for voice are not. Turn ends and timings count from the last such frame."""
    onset: bool
    """Speech has just been confirmed: enough voiced frames in the recent window."""
    level_dbfs: float


class SpeechDetector:
    """Smooths frame decisions: an onset needs `onset_ms` of voiced audio within a 200 ms window.

    `echo_floor_dbfs` lets the engine raise the bar while the assistant is speaking: a frame only counts
    as the user's when it is louder than the echo that is expected to remain after cancellation.
    """

    WINDOW_MS = 200
    HYSTERESIS = 0.15
    """Once in speech, Silero's probability may fall this far below the threshold (as Silero's own
    `get_speech_timestamps` does) before a frame stops counting."""

    def __init__(self, cfg: VadConfig, frame_ms: int) -> None:
        self._cfg = cfg
        self._classify = make_classifier(cfg)
        self._speech_model = self._classify if cfg.engine == "silero" else _silero()
        self._in_words = False
        self._window: deque[bool] = deque(maxlen=max(1, self.WINDOW_MS // frame_ms))
        self._needed = max(1, cfg.onset_ms // frame_ms)
        self.in_speech = False

    def end_speech(self) -> None:
        """The engine decided the speech is over; the next onset must be earned afresh."""
        self.in_speech = False
        self._window.clear()

    def process(self, frame: np.ndarray, echo_floor_dbfs: float = -120.0) -> FrameVerdict:
        level = rms_dbfs(frame)
        prob = self._classify(frame)
        threshold = self._cfg.threshold if self._cfg.engine == "silero" else 0.5
        loud = level >= max(self._cfg.min_rms_dbfs, echo_floor_dbfs)
        voiced = prob >= threshold and loud
        speech_prob = prob if self._speech_model is self._classify else self._speech_model(frame)
        needed = self._cfg.threshold - (self.HYSTERESIS if self._in_words else 0.0)
        self._in_words = speech_prob >= needed
        speech = self._in_words and loud
        self._window.append(voiced)
        onset = False
        if not self.in_speech and sum(self._window) >= self._needed:
            self.in_speech = onset = True
        return FrameVerdict(voiced=voiced, speech=speech, onset=onset, level_dbfs=level)


def _silero() -> FrameClassifier:
    from assistant.models import HUB

    return SileroClassifier(HUB.silero())
