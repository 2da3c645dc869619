"""Per-frame speech classifiers. Both take 16 kHz int16 frames and return a speech probability."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import webrtcvad


class FrameClassifier(Protocol):
    def __call__(self, frame: np.ndarray) -> float: ...

    def reset(self) -> None: ...


class WebRtcClassifier:
    """Google's WebRTC VAD: microseconds per frame, 0 or 1."""

    def __init__(self, aggressiveness: int, sample_rate: int = 16000) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._rate = sample_rate

    def __call__(self, frame: np.ndarray) -> float:
        return 1.0 if self._vad.is_speech(frame.tobytes(), self._rate) else 0.0

    def reset(self) -> None:
        pass


class SileroClassifier:
    """Silero VAD v6 (the ONNX file faster-whisper ships) run statefully on 512-sample windows.

    Frames of any size are buffered; each call returns the latest window's probability.
    """

    WINDOW = 512
    CONTEXT = 64

    def __init__(self, session: object) -> None:
        self._session = session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(self.CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._prob = 0.0

    def __call__(self, frame: np.ndarray) -> float:
        self._pending = np.concatenate([self._pending, frame.astype(np.float32) / 32768.0])
        while self._pending.size >= self.WINDOW:
            window, self._pending = self._pending[: self.WINDOW], self._pending[self.WINDOW :]
            batch = np.concatenate([self._context, window])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
            self._context = window[-self.CONTEXT :]
            self._prob = float(np.asarray(out).reshape(-1)[0])
        return self._prob
