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
from assistant.vad.echo_delay import BulkDelay

__all__ = ["EchoCanceller"]

_FloatArray = npt.NDArray[np.float64]
_ComplexArray = npt.NDArray[np.complex128]

# Leak (residual echo / echo estimate power) is never believed below this: about 30 dB of cancellation.
_MIN_LEAK = 1e-3
# Two-path (foreground/background) decision thresholds, as in Speex's MDF.
_VAR1_UPDATE = 0.5
_VAR2_UPDATE = 0.25
_VAR_BACKTRACK = 4.0
# Mean-square level (int16 units) below which a reference frame counts as silence.
_SILENT_MS = 16.0
# Consecutive frames of "residual much louder than the mic" after which the filter is reset.
_RESET_AFTER_FRAMES = 50
# Per-frame decay of the held residual-echo estimate (0.7 = -1.5 dB per frame).
_RESIDUAL_HOLD = 0.7
# Learning rate (fraction of a full NLMS step) while the filter is still untrained, and its cap afterwards.
_BOOTSTRAP_RATE = 0.5
_MAX_RATE = 0.8
# The bootstrap ends once the summed rate reaches this many full steps per partition (~1 s of playback).
_BOOTSTRAP_PER_PARTITION = 2.0
# When the residual is visibly correlated with the echo estimate (squared correlation above this), the
# residual is echo, not the user: the echo path changed, so the leakage estimate may move faster.
_ECHO_CORRELATION = 0.3
_ECHO_CORRELATION_SPEEDUP = 5.0
# Double talk: a residual above this multiple of the expected residual echo (plus a floor, mean square in
# int16 units, for mic noise) freezes the leakage estimate and slows the filter down by _DT_SLOWDOWN.
_DT_RATIO = 4.0
_DT_FLOOR = 100.0
_DT_SLOWDOWN = 0.1
# Leaky counter of double-talk frames (+1 each, -_DT_RECOVERY per clean frame): past _DT_MAX_FRAMES without
# the gaps of real speech, the "double talk" is taken to be a changed echo path and adaptation resumes.
_DT_RECOVERY = 2.0
_DT_MAX_FRAMES = 75.0


class EchoCanceller:
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

    def _two_path(
        self, e_fg: _FloatArray, e_bg: _FloatArray, y_fg: _FloatArray, y_bg: _FloatArray
    ) -> tuple[_FloatArray, _FloatArray, _FloatArray]:
        """Promote the background filter when it is clearly better, roll it back when clearly worse.

        The output always comes from the foreground filter, so a background filter knocked off course by
        double talk never reaches the output. Returns the output and the echo estimate / error to adapt with.
        """
        sff = float(e_fg @ e_fg)
        see = float(e_bg @ e_bg)
        diff = e_fg - e_bg
        dbf = float(diff @ diff)
        delta = sff - see
        self._davg1 = 0.6 * self._davg1 + 0.4 * delta
        self._davg2 = 0.85 * self._davg2 + 0.15 * delta
        self._dvar1 = 0.36 * self._dvar1 + 0.16 * sff * dbf
        self._dvar2 = 0.7225 * self._dvar2 + 0.0225 * sff * dbf

        # Significance tests on the residual energy difference (heavy-tailed, hence the variance terms).
        if (
            delta * abs(delta) > sff * dbf
            or self._davg1 * abs(self._davg1) > _VAR1_UPDATE * self._dvar1
            or self._davg2 * abs(self._davg2) > _VAR2_UPDATE * self._dvar2
        ):
            self._clear_two_path_stats()
            self._w_fg[:] = self._w
            # Cross-fade from the old to the new filter's output to avoid a click.
            return self._crossfade * e_fg + (1.0 - self._crossfade) * e_bg, y_bg, e_bg
        if (
            -delta * abs(delta) > _VAR_BACKTRACK * sff * dbf
            or -self._davg1 * abs(self._davg1) > _VAR_BACKTRACK * self._dvar1
            or -self._davg2 * abs(self._davg2) > _VAR_BACKTRACK * self._dvar2
        ):
            self._clear_two_path_stats()
            self._w[:] = self._w_fg
            return e_fg, y_fg, e_fg
        return e_fg, y_bg, e_bg

    def _clear_two_path_stats(self) -> None:
        self._davg1 = self._davg2 = 0.0
        self._dvar1 = self._dvar2 = 0.0

    def _detect_double_talk(self, see: float, syy: float, sxx: float, rho2: float) -> bool:
        """Geigel-like test: is the residual far above the echo we expect to have left, and not echo-like?

        A changed echo path looks the same for a while, so a run of such frames without the pauses that
        real speech has releases the detector (a leaky counter) and lets the filter re-learn.
        """
        if not self._adapted or sxx <= _SILENT_MS * self.frame_samples or rho2 > _ECHO_CORRELATION:
            suspect = False
        else:
            suspect = see > _DT_RATIO * min(1.0, 2.0 * self._leak) * syy + _DT_FLOOR * self.frame_samples
        if suspect:
            self._dt_count += 1.0
        else:
            self._dt_count = max(0.0, self._dt_count - _DT_RECOVERY)
        if self._dt_count > _DT_MAX_FRAMES:
            self._dt_count = _DT_MAX_FRAMES + _DT_RECOVERY  # stay released until the pattern breaks
            return False
        return suspect

    def _adapt(self, d: _FloatArray, sxx: float, y: _FloatArray, e: _FloatArray) -> None:
        """One step of the background filter with Valin's residual-echo-driven learning rate.

        The rate in each bin is (estimated residual echo) / (actual residual): high while echo dominates
        the residual, near zero when the user talks over it, so double talk cannot drag the filter away;
        the explicit detector only adds a safety margin for loud echo under quiet speech.
        """
        n = self.frame_samples
        see = float(e @ e)
        syy = float(y @ y)
        sey = float(e @ y)
        sdd = float(d @ d)
        if not (math.isfinite(see) and math.isfinite(syy)):
            self.reset()
            return
        if see > 4.0 * sdd + 1e4 * n:  # the filter adds echo instead of removing it
            self._screwed_up += 1
            if self._screwed_up >= _RESET_AFTER_FRAMES:
                self.reset()
                return
        else:
            self._screwed_up = 0
        see = max(see, float(n))

        e_spec = np.fft.rfft(np.concatenate((self._zeros, e)))
        y_spec = np.fft.rfft(np.concatenate((self._zeros, y)))
        rf = e_spec.real**2 + e_spec.imag**2
        yf = y_spec.real**2 + y_spec.imag**2

        # Leakage: regression of the residual's power fluctuations on the echo estimate's fluctuations.
        # Only leaked echo follows the echo estimate; the user's voice does not.
        de = rf - self._e_smooth
        dy = yf - self._y_smooth
        pyy_inst = math.sqrt(float(dy @ dy))
        pey_inst = float(de @ dy) / pyy_inst if pyy_inst > 0.0 else 0.0
        self._e_smooth += self._spec_average * de
        self._y_smooth += self._spec_average * dy
        # Track the leakage slowly while the residual is large compared with the echo estimate ...
        alpha = min(self._beta0 * syy, self._beta_max * see) / see
        # ... faster if the residual is plainly the echo estimate itself (echo path or gain changed), and not
        # at all during double talk, where the user's voice would only add noise to the regression.
        rho2 = sey * sey / (see * syy + 1.0) if syy > _DT_FLOOR * n else 0.0
        double_talk = self._detect_double_talk(see, syy, sxx, rho2)
        if rho2 > _ECHO_CORRELATION:
            alpha = min(1.0, max(alpha, _ECHO_CORRELATION_SPEEDUP * self._beta0 * rho2))
        elif double_talk:
            alpha = 0.0
        self._pey = (1.0 - alpha) * self._pey + alpha * pey_inst
        self._pyy = max(1.0, (1.0 - alpha) * self._pyy + alpha * pyy_inst)
        self._pey = min(max(self._pey, _MIN_LEAK * self._pyy), self._pyy)
        leak = self._pey / self._pyy
        self._leak = 1.0 if leak > 0.5 else leak

        # Far-end power per bin over the filter's memory: the NLMS normalisation.
        power = self._x_pow_hist.mean(axis=0) + self._power_floor
        if not self._adapted and self._sum_adapt > _BOOTSTRAP_PER_PARTITION * self.partitions:
            self._adapted = True
        if self._adapted:
            # Residual-to-error ratio, bounded below by the echo estimate's visible share of the error.
            rer = (1e-4 * sxx + 3.0 * self._leak * syy) / see
            rer = min(0.5, max(rer, rho2))
            err = rf + 1.0
            r = 0.7 * np.minimum(self._leak * yf, _MAX_RATE * err) + 0.3 * rer * err
            rate = r / (err * power)
            if double_talk:
                rate *= _DT_SLOWDOWN
        else:
            # Bootstrap: a fixed rate while the far end plays, scaled down when the mic is much louder than
            # the echo could be (someone talking before any echo path is known).
            if sxx <= _SILENT_MS * n:
                return
            adapt_rate = _BOOTSTRAP_RATE * min(sxx, see) / see
            self._sum_adapt += adapt_rate
            rate = adapt_rate / power

        # Proportionate weighting: partitions holding most of the echo path (after the delay) learn faster.
        w_flat = self._w.view(np.float64)
        norms = np.sqrt(1.0 + np.einsum("pk,pk->p", w_flat, w_flat))
        norms += 0.1 * norms.max()
        prop = 0.99 * norms / (1.0 + norms.sum())

        grad = (prop[:, None] * rate[None, :]) * (np.conj(self._x_hist) * e_spec[None, :])
        # Gradient constraint: keep each partition's time-domain update causal and N taps long.
        g_time = np.fft.irfft(grad, 2 * n, axis=1)
        g_time[:, n:] = 0.0
        self._w += np.fft.rfft(g_time, axis=1)
