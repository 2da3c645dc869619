"""How the echo canceller learns the echo path: one adaptation step of its background filter.

The learning rate in each frequency bin follows Valin's estimate of the residual echo against the actual
residual (J.-M. Valin, IEEE TASLP 2007), so the user talking over the echo all but stops adaptation on
its own; a Geigel-like double-talk detector adds a margin for loud echo under quiet speech; and the
two-path decision copies the background filter to the foreground one (which makes the output) only when
it is measurably better, rolling it back when it diverges. The reasons are in `echo.py`'s docstring.

Mixed into `EchoCanceller` (assistant.vad.echo), which owns the filters' state and the processing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

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


class FilterAdaptation:
    """What the filter's learning needs; `EchoCanceller` sets these up (`_forget_path`) and provides
    `reset`."""

    frame_samples: int
    partitions: int
    _spec_average: float
    _beta0: float
    _beta_max: float
    _power_floor: float
    _crossfade: _FloatArray
    _zeros: _FloatArray
    _x_hist: _ComplexArray
    _x_pow_hist: _FloatArray
    _w: _ComplexArray
    _w_fg: _ComplexArray
    _e_smooth: _FloatArray
    _y_smooth: _FloatArray
    _pey: float
    _pyy: float
    _leak: float
    _adapted: bool
    _sum_adapt: float
    _davg1: float
    _davg2: float
    _dvar1: float
    _dvar2: float
    _screwed_up: int
    _dt_count: float

    if TYPE_CHECKING:

        def reset(self) -> None: ...

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
