"""Acoustic echo cancellation for a full-duplex assistant that hears its own loudspeaker.

The assistant knows exactly what it plays (the *reference*), so the echo in the microphone is a filtered,
delayed copy of that reference. :class:`EchoCanceller` learns the echo path with a partitioned-block
frequency-domain adaptive filter (the "multidelay block frequency domain" filter that Speex uses, after
J.-M. Valin, "On adjusting the learning rate in frequency domain echo cancellation with double-talk",
IEEE TASLP 2007) written in numpy, and subtracts the predicted echo.

Why this design:

* A 200+ ms filter covers the unknown sound-card delay (up to ~150 ms) plus a short room tail without a
  separate delay estimator; partitioning it into frame-sized blocks keeps the cost to a few small FFTs.
* The learning rate follows the estimated *residual echo to residual* ratio per frequency bin, so when the
  user talks over the echo (double talk) the residual is much larger than the leaked echo and adaptation all
  but stops on its own, while a genuine change of the echo path (which leaks echo) still re-adapts. On top,
  a Geigel-like energy test (residual far above the expected residual echo and uncorrelated with the echo
  estimate) freezes the leakage estimate and cuts the rate tenfold, released again if the "double talk"
  never pauses (which is what a changed echo path looks like).
* Two filters (a fast-adapting background one and a foreground one used for the output) protect the output:
  the background is copied forward only when it is measurably better, and rolled back when it diverges.
* :attr:`EchoCanceller.expected_residual_rms` tells a downstream gate how much echo is probably still left
  in the output, so the gate can demand that the residual exceed it by a margin before calling it speech.

No nonlinear echo suppression is applied: the output keeps the user's voice intact for the VAD and ASR.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from assistant.audio import DcBlocker
from assistant.vad.echo_adaptation import _MIN_LEAK, _SILENT_MS, FilterAdaptation, _ComplexArray, _FloatArray
from assistant.vad.echo_delay import BulkDelay

__all__ = ["EchoCanceller"]

# Per-frame decay of the held residual-echo estimate (0.7 = -1.5 dB per frame).
_RESIDUAL_HOLD = 0.7


class EchoCanceller(FilterAdaptation):
    """Removes the assistant's own playback from the microphone signal, one frame at a time.

    Feed every microphone frame together with the reference frame that was *played* at the same time (zeros
    while the assistant is silent); the unknown delay between them is learned. The instance is stateful and
    not thread-safe: create one per audio stream and keep it for the whole session, so the learned echo path
    survives between the assistant's turns.

    For a barge-in gate, read :attr:`expected_residual_rms` (or call :meth:`is_near_end`) after each
    :meth:`process`: the output only counts as the user when it clearly exceeds the echo still expected in it.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_samples: int = 320,
        filter_ms: int = 240,
        max_delay_ms: int = 500,
    ) -> None:
        """Set up a filter of ``filter_ms`` (rounded up to whole frames) for ``frame_samples`` frames.

        ``filter_ms`` must cover the room's echo tail after the direct sound; 240 ms handles a 150 ms
        sound-card delay with ~90 ms of reverberation. Longer filters cost CPU and converge slower. An echo
        that comes back later (up to ``max_delay_ms``; a Bluetooth speaker) is found by the bulk delay
        estimate in front of the filter (`echo_delay.py`), which then re-learns the path aligned.
        """
        if sample_rate <= 0 or frame_samples <= 0 or filter_ms <= 0 or max_delay_ms < 0:
            raise ValueError("sample_rate, frame_samples and filter_ms must be positive, max_delay_ms >= 0")
        self.max_delay_ms = max_delay_ms
        self.sample_rate = sample_rate
        self.frame_samples = frame_samples
        self.partitions = max(1, math.ceil(filter_ms * sample_rate / 1000 / frame_samples))
        # Smoothing constants from Valin (2007), scaled to the frame duration.
        frame_s = frame_samples / sample_rate
        self._spec_average = min(1.0, frame_s)
        self._beta0 = min(1.0, 2.0 * frame_s)
        self._beta_max = min(1.0, 0.5 * frame_s)
        # Regularisation of the per-bin far-end power, in numpy's unscaled 2N-point FFT units.
        self._power_floor = 10.0 * (2 * frame_samples) ** 2
        self._crossfade = np.linspace(1.0, 0.0, frame_samples, endpoint=False)
        self._zeros = np.zeros(frame_samples)
        self.reset()

    def reset(self) -> None:
        """Forget the learned echo path, its delay and all statistics (e.g. after switching audio devices)."""
        n = self.frame_samples
        self._dc_mic = DcBlocker(n)
        self._dc_ref = DcBlocker(n)
        self._bulk = BulkDelay(self.sample_rate, n, self.partitions, self.max_delay_ms)
        self._forget_path()

    def _forget_path(self) -> None:
        p, k, n = self.partitions, self.frame_samples + 1, self.frame_samples
        self._x_prev: _FloatArray = np.zeros(n)
        self._x_hist: _ComplexArray = np.zeros((p, k), dtype=np.complex128)  # newest block first
        self._x_pow_hist: _FloatArray = np.zeros((p, k))
        self._w: _ComplexArray = np.zeros((p, k), dtype=np.complex128)  # background: adapts
        self._w_fg: _ComplexArray = np.zeros((p, k), dtype=np.complex128)  # foreground: makes the output
        self._e_smooth: _FloatArray = np.zeros(k)
        self._y_smooth: _FloatArray = np.zeros(k)
        self._pey = 1.0
        self._pyy = 1.0
        self._leak = 1.0
        self._adapted = False
        self._sum_adapt = 0.0
        self._davg1 = self._davg2 = 0.0
        self._dvar1 = self._dvar2 = 0.0
        self._screwed_up = 0
        self._dt_count = 0.0
        self._ref_energy_hist: _FloatArray = np.zeros(p + 1)
        self._echo_energy = 0.0
        self._expected_residual_energy = 0.0
        self._out_energy = 0.0

    # ------------------------------------------------------------------ read-outs for the barge-in gate

    @property
    def converged(self) -> bool:
        """True once the filter has had enough far-end signal to trust its echo estimate."""
        return self._adapted

    @property
    def echo_lag_ms(self) -> float | None:
        """The echo's measured delay behind the playback (ms), None until measured: it can then still
        come back as late as `max_delay_ms` after a frame is played."""
        return self._bulk.lag_ms

    @property
    def leak(self) -> float:
        """Estimated power ratio of the echo left in the output to the predicted echo (0..1)."""
        return self._leak

    @property
    def erle_db(self) -> float:
        """Estimated echo return loss enhancement in dB (how much of the echo the filter removes)."""
        return -10.0 * math.log10(max(self._leak, _MIN_LEAK)) if self._adapted else 0.0

    @property
    def echo_rms(self) -> float:
        """RMS of the echo predicted (and removed) in the last frame, int16 units."""
        return math.sqrt(self._echo_energy / self.frame_samples)

    @property
    def output_rms(self) -> float:
        """RMS of the last output frame, int16 units."""
        return math.sqrt(self._out_energy / self.frame_samples)

    @property
    def expected_residual_rms(self) -> float:
        """RMS of the echo that is probably still in the last output frame, int16 units.

        After convergence: the predicted echo scaled by twice the measured leakage (as Speex's residual echo
        estimate), held over a few frames because reverberant residue outlasts the echo estimate at word
        ends. Before convergence the echo path is unknown, so it is the loudest reference frame within
        the filter span (0 dB coupling assumed): a gate then passes only speech louder than the playback.
        """
        return math.sqrt(self._expected_residual_energy / self.frame_samples)

    def is_near_end(self, margin_db: float = 6.0, floor_rms: float = 30.0) -> bool:
        """Whether the last output frame holds more than echo: the user (or a noise) is probably there.

        The output must exceed the expected residual echo by ``margin_db`` and be louder than ``floor_rms``.
        """
        out = self.output_rms
        return out > floor_rms and out > self.expected_residual_rms * 10.0 ** (margin_db / 20.0)

    @property
    def far_end_active(self) -> bool:
        """True while reference audio within the filter span could still be echoing in the microphone."""
        return bool(self._ref_energy_hist.max() > _SILENT_MS * self.frame_samples)

    @property
    def double_talk(self) -> bool:
        """True when the reference is playing and the last output is well above the expected echo."""
        return self.far_end_active and self.is_near_end()

    # ------------------------------------------------------------------ processing

    def process(self, mic: npt.NDArray[np.int16], ref: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Return ``mic`` with the echo of ``ref`` removed (int16, same length).

        ``ref`` is the frame that was sent to the loudspeaker when ``mic`` was captured (zeros when silent).
        """
        n = self.frame_samples
        if mic.shape != (n,) or ref.shape != (n,):
            raise ValueError(f"mic and ref must both be 1-D frames of {n} samples")
        # The same DC blocker on both signals: a mic offset is not echo, and filtering both leaves the
        # (linear) echo path unchanged.
        d = self._dc_mic.filter(mic.astype(np.float64))
        x = self._dc_ref.filter(ref.astype(np.float64))
        x = self._bulk.push(mic, x, float(ref.astype(np.float64) @ ref) > _SILENT_MS * n)
        if self._bulk.moved:  # the echo lies elsewhere: learn it again where it is
            self._forget_path()
            self._refill_history()

        x_spec = np.fft.rfft(np.concatenate((self._x_prev, x)))
        self._x_prev = x
        self._x_hist[1:] = self._x_hist[:-1]
        self._x_hist[0] = x_spec
        self._x_pow_hist[1:] = self._x_pow_hist[:-1]
        self._x_pow_hist[0] = x_spec.real**2 + x_spec.imag**2
        sxx = float(x @ x)
        self._ref_energy_hist[1:] = self._ref_energy_hist[:-1]
        self._ref_energy_hist[0] = sxx

        y_bg = np.fft.irfft((self._w * self._x_hist).sum(axis=0), 2 * n)[n:]
        y_fg = np.fft.irfft((self._w_fg * self._x_hist).sum(axis=0), 2 * n)[n:]
        out, y_bg, e_bg = self._two_path(d - y_fg, d - y_bg, y_fg, y_bg)
        self._adapt(d, sxx, y_bg, e_bg)

        removed = d - out
        self._echo_energy = float(removed @ removed)
        if self._adapted:
            expected = min(1.0, 2.0 * self._leak) * self._echo_energy
        else:
            expected = max(float(self._ref_energy_hist.max()), self._echo_energy)
        self._expected_residual_energy = max(expected, _RESIDUAL_HOLD * self._expected_residual_energy)
        self._out_energy = float(out @ out)
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    def _refill_history(self) -> None:
        """The filter's far-end history as the current delay line holds it (after the delay moved)."""
        for age in range(1, self.partitions + 1):  # `process` then shifts them one place on
            x_spec = np.fft.rfft(np.concatenate((self._bulk.frame(age + 1), self._bulk.frame(age))))
            self._x_hist[age - 1] = x_spec
            self._x_pow_hist[age - 1] = x_spec.real**2 + x_spec.imag**2
            self._ref_energy_hist[age - 1] = float(self._bulk.frame(age) @ self._bulk.frame(age))
        self._x_prev = self._bulk.frame(1)
