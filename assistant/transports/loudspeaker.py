"""A loudspeaker the simulated microphone hears: the assistant's output back at the input, late and quieter.

`assistant simulate --echo DB` mixes it into every microphone frame. Its path can be steady (`delay_ms`),
drift (the microphone's clock `drift_ppm` faster than the speaker's, as two USB devices or a Bluetooth
speaker do: the delay moves by 1 ms every 10 s at 100 ppm), or jump between replies (`retime`: a
PulseAudio loopback re-timed itself after a flush, 40 → 48 ms, in `scripts/bench_mic.py`'s sessions).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from assistant.audio import StreamResampler, gain_db


class Loudspeaker:
    """The echo path from the speaker (output rate) to the microphone (16 kHz frames of `frame_samples`)."""

    def __init__(
        self, output_rate: int, input_rate: int, frame_ms: int, gain: float, delay_ms: int, drift_ppm: float
    ) -> None:
        self.frame_ms = frame_ms
        self.gain = gain
        self.frame_samples = input_rate * frame_ms // 1000
        self._resampler = StreamResampler(output_rate, input_rate * (1 + drift_ppm * 1e-6))
        self._pending = np.zeros(0, np.int16)
        self._line: deque[np.ndarray] = deque()
        self.retime(delay_ms)

    def retime(self, delay_ms: int) -> None:
        """Move the path to `delay_ms` (whole frames) from now on: silence goes in front of the echo in
        flight when it grows; the oldest of it is lost when it shrinks."""
        frames = max(0, delay_ms) // self.frame_ms
        while len(self._line) < frames:
            self._line.appendleft(np.zeros(self.frame_samples, np.int16))
        while len(self._line) > frames:
            self._line.popleft()

    def echo(self, played: np.ndarray) -> np.ndarray:
        """The echo the microphone hears in the frame during which `played` (output rate, int16) left the
        speaker: one frame of `frame_samples` int16 samples, `gain` dB down."""
        self._pending = np.concatenate([self._pending, self._resampler(played)])
        frame, self._pending = self._pending[: self.frame_samples], self._pending[self.frame_samples :]
        self._line.append(gain_db(np.pad(frame, (0, self.frame_samples - frame.size)), self.gain))
        return self._line.popleft()
