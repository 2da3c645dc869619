"""How much of what the microphone hears follows what the speaker plays: a cross-correlation double-talk
detector for the time before the echo canceller has learned the room.

Until its filter has converged, the canceller cannot say how loud the echo is, so the gate assumes the
echo as loud as the playback and a user quieter than the reply is masked (docs/benchmarks.md, "the first
reply"). Sound that does not follow the reference cannot be its echo, whatever its level. This measures
that: the largest normalised cross-correlation between the last `window_ms` of microphone signal and the
reference at every delay up to `max_delay_ms` (Benesty, Morgan and Cho, "A new class of doubletalk
detectors based on cross-correlation", IEEE Trans. Speech and Audio Processing 8(2), 2000), both
pre-emphasised so that the low-frequency weight of speech does not correlate two unrelated voices.

Measured on real speech (`scripts/probe_echo_gate.py`'s voices and reply, 300 ms windows, 16 kHz): a
user alone correlates with the reply at 0.06-0.07 (p50), 0.10-0.15 (p95), 0.21 at most; the reply's echo
at 1.0 through a plain delay, 0.9 through a small room, 0.49 (p5 0.34) through a synthetic 300 ms
reverberation and 0.27 (p5 0.20) through 600 ms. `echo_share` maps a correlation of `rho_echo` (0.2) or
more to "all echo", so only sound that correlates at under half of that is taken as mostly not echo.
"""

from __future__ import annotations

import numpy as np

PRE_EMPHASIS = 0.95
DECAY_DB = 2.0
"""How fast the reference's echo is taken to fade, per 20 ms frame: 60 dB in 600 ms, a reverberant room."""


class CrossCorrelationDTD:
    """Cross-correlation of the microphone with the reference over a range of echo delays (16 kHz int16)."""

    def __init__(
        self, sample_rate: int = 16000, window_ms: int = 300, max_delay_ms: int = 400, rho_echo: float = 0.2
    ) -> None:
        if sample_rate <= 0 or window_ms <= 0 or max_delay_ms < 0 or not 0 < rho_echo <= 1:
            raise ValueError(
                "sample_rate and window_ms must be positive, max_delay_ms >= 0, 0 < rho_echo <= 1"
            )
        self.window = sample_rate * window_ms // 1000
        self.max_delay = sample_rate * max_delay_ms // 1000
        self.rho_echo = rho_echo
        self._mic = np.zeros(self.window)
        self._ref = np.zeros(self.window + self.max_delay)
        self._fft_size = 1 << int(np.ceil(np.log2(self._ref.size + self.window)))
        # A window this quiet holds nothing to correlate (about -70 dBFS, in squared int16 units).
        self._silent = self.window * 10.0**2

    def push(self, mic: np.ndarray, ref: np.ndarray) -> None:
        """One microphone frame and the reference played in the same frame (same length, int16)."""
        self._mic = np.concatenate([self._mic, mic.astype(np.float64)])[-self.window :]
        self._ref = np.concatenate([self._ref, ref.astype(np.float64)])[-self._ref.size :]

    def correlation(self) -> float:
        """The largest |normalised cross-correlation| of the last window of microphone signal with the
        reference at any delay from 0 to `max_delay_ms` (0..1; 0 when either is silent)."""
        return self.peak()[0]

    def quiet(self) -> bool:
        """Whether the last window of microphone signal is too quiet to correlate (about -70 dBFS)."""
        y = _emphasised(self._mic)
        return float(y @ y) < self._silent

    def peak(self) -> tuple[float, int]:
        """`correlation()` and the echo delay, in samples, at which it peaks ((0.0, 0) when silent)."""
        y, x = _emphasised(self._mic), _emphasised(self._ref)
        mic_energy = float(y @ y)
        if mic_energy < self._silent:
            return 0.0, 0
        n = self._fft_size
        # c[k] = sum_m y[m] * x[m + k]: the microphone window against the reference k samples later,
        # i.e. an echo delay of max_delay - k samples.
        c = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(y, n)), n)[: self.max_delay + 1]
        cumulative = np.concatenate([[0.0], np.cumsum(x * x)])
        ref_energy = (
            cumulative[self.window : self.window + self.max_delay + 1] - cumulative[: self.max_delay + 1]
        )
        rho = np.abs(c) / np.sqrt(np.maximum(ref_energy, self._silent) * mic_energy)
        k = int(rho.argmax())
        return float(min(1.0, rho[k])), self.max_delay - k

    def echo_power(self, share: float, lag: int, frame: int, decay_db: float = DECAY_DB) -> float | None:
        """The most echo power (mean square, int16 units) the last `frame` microphone samples can hold:
        the window's echo (`share` of its power, at a delay of `lag` samples), scaled by how loud the
        reference was in this frame against the whole window, with each earlier frame's reference still
        heard `decay_db` quieter per frame of age (a room's reverberation). None while the reference
        window is silent.

        Unlike `share` times the frame's own power, this does not rise with a user who starts talking over
        the reply: the window's echo and the reference's envelope do not follow them."""
        start = self.max_delay - lag
        ref = self._ref[start : start + self.window]
        ref_power = float(ref @ ref) / self.window
        if ref_power * self.window < self._silent:
            return None
        usable = ref.size // frame * frame
        frames = ref[ref.size - usable :].reshape(-1, frame)
        powers = np.einsum("ij,ij->i", frames, frames) / frame
        ages = np.arange(powers.size)[::-1]
        loudest = float((powers * 10 ** (-decay_db * ages / 10)).max())
        mic_power = float(self._mic @ self._mic) / self.window
        return share * mic_power * loudest / ref_power

    def echo_share(self, rho: float | None = None, rho_alone: float = 0.0) -> float:
        """The share of the microphone's power that may be echo of the reference (0..1): 1 at a
        correlation of `rho_echo` or more, falling with its square below (of `rho` when given, else of
        the current `correlation()`). `rho_alone`: the correlation this echo path showed with nobody
        speaking; when it is higher than `rho_echo`, the share is measured against it (an echo that
        correlates at 0.9 alone, heard at 0.6, is half the power, with a user the other half)."""
        rho = self.correlation() if rho is None else rho
        return min(1.0, (rho / max(self.rho_echo, rho_alone)) ** 2)


def _emphasised(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x[:1], x[1:] - PRE_EMPHASIS * x[:-1]])
