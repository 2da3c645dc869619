"""The bulk delay in front of the echo canceller: a loudspeaker whose sound comes back later than its filter
reaches (a Bluetooth speaker, a deep sound-server buffer) is aligned before the filter sees it.

The adaptive filter in `echo.py` spans 240 ms from the moment a frame is played. A Bluetooth speaker's
echo comes back 150-300 ms later, so part or all of it lies beyond the filter: the canceller then converges
on nothing, promises a small residual and the gate believes it, and the assistant's own voice opened
turns (12 onsets in 8 sessions through a 250 ms delay, `scripts/probe_echo_gate.py`). As WebRTC's AEC3
does with its matched-filter delay estimator, the reference is delayed by the estimated bulk delay, less a
little headroom, before the filter: the filter then spends its span on the room, not on the wire.

The estimate is the lag of the largest normalised cross-correlation between the microphone and the
reference (`double_talk.CrossCorrelationDTD`, pre-emphasised, 300 ms windows), taken every 100 ms while the
reference plays. A user's voice alone correlates with the reply at 0.21 at most, echo through a delay at
1.0 and through a 300 ms reverberation at 0.49 (measured in `double_talk.py`), so only peaks of 0.35 or
more count, and the alignment moves only after three such peaks agree within one frame and put the echo
where the filter cannot model it well: before its start, or past its first `span - tail_ms`.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from assistant.vad.double_talk import CrossCorrelationDTD

__all__ = ["BulkDelay"]

_FloatArray = npt.NDArray[np.float64]

MIN_PEAK = 0.35
AGREEING_PEAKS = 3
EVERY_FRAMES = 5
HEADROOM_MS = 40
TAIL_MS = 100


class BulkDelay:
    """A delay line for the canceller's reference whose length follows the measured echo delay.

    Frames in, frames out, all `frame_samples` long at `sample_rate`: `push` takes the raw microphone frame
    and the (DC-blocked) reference frame played with it, and returns the reference frame to filter now,
    `delay_frames` frames old. `moved` is true after a push that changed the delay; the canceller's learned
    echo path is then void.
    """

    def __init__(
        self, sample_rate: int, frame_samples: int, span_frames: int, max_delay_ms: int = 500
    ) -> None:
        """`span_frames`: the adaptive filter's length in frames; `max_delay_ms`: the longest bulk delay
        looked for (0: never delay)."""
        if max_delay_ms < 0:
            raise ValueError("max_delay_ms must be >= 0")
        self.sample_rate = sample_rate
        self.frame_samples = frame_samples
        self.frame_ms = 1000 * frame_samples / sample_rate
        self.span_ms = span_frames * self.frame_ms
        self.max_frames = int(max_delay_ms // self.frame_ms)
        self.delay_frames = 0
        self.lag_ms: float | None = None
        """The echo's delay behind the reference as last measured (ms), None until measured."""
        self.moved = False
        length = self.max_frames + span_frames + 2  # the filter's history can be rebuilt at any delay
        self._line: deque[_FloatArray] = deque([np.zeros(frame_samples)] * length, maxlen=length)
        self._xcorr = (
            CrossCorrelationDTD(sample_rate, max_delay_ms=max_delay_ms) if max_delay_ms > 0 else None
        )
        self._frames = 0
        self._peaks: deque[float] = deque(maxlen=AGREEING_PEAKS)

    def push(self, mic: npt.NDArray[np.int16], ref: _FloatArray, ref_playing: bool) -> _FloatArray:
        """The reference frame the filter should use with this microphone frame (float64, DC-blocked)."""
        self._line.append(ref)
        self.moved = False
        if self._xcorr is not None:
            self._xcorr.push(mic, ref)
            self._frames += 1
            if ref_playing and self._frames % EVERY_FRAMES == 0:
                self._estimate()
        return self.frame(0)

    def frame(self, age: int) -> _FloatArray:
        """The delayed reference `age` frames before the current one (zeros beyond the line)."""
        index = len(self._line) - 1 - self.delay_frames - age
        return self._line[index] if index >= 0 else np.zeros(self.frame_samples)

    def _estimate(self) -> None:
        assert self._xcorr is not None
        rho, delay_samples = self._xcorr.peak()
        if rho < MIN_PEAK:
            self._peaks.clear()
            return
        self._peaks.append(1000 * delay_samples / self.sample_rate)
        if len(self._peaks) < AGREEING_PEAKS or max(self._peaks) - min(self._peaks) > self.frame_ms:
            return
        lag_ms = self.lag_ms = float(np.median(self._peaks))
        start_ms = self.delay_frames * self.frame_ms
        if start_ms <= lag_ms <= start_ms + self.span_ms - TAIL_MS:
            return
        target = min(self.max_frames, max(0, int((lag_ms - HEADROOM_MS) // self.frame_ms)))
        if target != self.delay_frames:
            self.delay_frames = target
            self.moved = True
        self._peaks.clear()
