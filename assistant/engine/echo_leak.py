"""The echo that got through: how loud the reply's own echo was when it was heard as speech, kept as a
floor for the echo still to come.

When the echo path moves under a converged canceller (the speaker's and the microphone's clocks drift
apart: 1000 ppm is 60 ms in a minute), the gate's estimates of what the canceller leaves (`echo_gate.py`)
fall behind the echo, and its bursts get through, one every few seconds of a reply. Each is caught as the
assistant's own voice (`own_echo.py`), but each pauses the reply, and one that Whisper writes as words the
reply never said and that follows the playback a little less closely is taken for the user. In
`assistant simulate` at 1000 ppm, a session of five recordings heard 15 such bursts in one minute and made
turns of 2-9 of them ("Provoke.", "Great.", "Dense.").

A burst caught as the echo shows how much of the playback comes back: its loudest frame against the
loudest frame of the playback that can have caused it (the burst and `max_delay_ms` before it). That share
of the loudest playback frame that can be echoing now (as far back as `max_delay_ms`: the measured delay
is as lost as the path) is then a floor for the gate, so the same echo is not
heard again, and it is let go by `DECAY_DB_PER_S` for each second of playback in which nobody spoke: a
canceller that finds the path again is trusted again within some seconds, and a burst that comes back
sets the floor anew. It holds only while what the VAD hears follows the playback (`HOLDS_RHO`), as
the echo does and a user talking over it does not; where it holds, what is heard must be louder than the
echo that got through (at its loudest, `MARGIN_DB` over it, not the gate's own margin).
"""

from __future__ import annotations

import math

import numpy as np

from assistant.audio import energy

DECAY_DB_PER_S = 2.0
"""How fast the floor a burst set is let go, per second of playback in which nobody spoke."""
HOLDS_RHO = 0.5
"""The floor holds only while what the VAD hears follows the playback this closely (the correlation of its
last 300 ms, `CrossCorrelationDTD`): the echo that got through followed it at 0.62-0.99 in its weakest
window, users' first 0.3-0.6 s over such an echo at 0.10 at the median and 0.40 at the 95th percentile
(`own_echo.py`). Held regardless, it masked the first word of a user who spoke 0.5 s into a reply
after a burst of its echo: "ten of clubs" was heard as "have close" (tests/test_own_echo.py's moved path).
"""
NEGLIGIBLE = 1e-4
"""A share under this (40 dB under the playback, below any gate's margin) is no floor at all."""
MARGIN_DB = 3.0
"""Added to the floor a burst set: one burst's share is not the next one's (-4.3 to -6.2 dB in the bursts
of one simulated session at 1000 ppm). In tests/test_echo_leak.py's lost path, the 1.5 s after 300 ms of
echo were declared put 17 frames over the floor with none of it, 5 with no margin, 0 with 3 dB."""


class EchoLeak:
    """The share of the playback's energy that last got through as speech, decaying with time."""

    def __init__(self, frame_ms: int) -> None:
        self.share = 0.0
        """Energy of the echo that got through over the energy of the playback frame that caused it."""
        self._decay = 10 ** (-DECAY_DB_PER_S * frame_ms / 1000 / 10)

    def got_through(self, heard: list[np.ndarray], played: list[np.ndarray]) -> None:
        """A burst was the reply's own echo: `heard` its frames as the VAD heard them, `played` the
        reference frames (16 kHz int16) that can have caused it. Keeps the larger of the two shares."""
        loudest_played = max((energy(f) for f in played), default=0.0)
        if loudest_played <= 0.0 or not heard:
            return
        self.share = max(self.share, max(energy(f) for f in heard) / loudest_played)

    @property
    def active(self) -> bool:
        """Whether a burst's floor still holds (its share not yet let go under `NEGLIGIBLE`)."""
        return self.share > NEGLIGIBLE

    def played_quietly(self) -> None:
        """One frame of playback in which nobody spoke: let the floor go a little."""
        self.share *= self._decay

    def floor_dbfs(self, echoed_energy: float, frame_samples: int) -> float | None:
        """The level (dBFS) of echo to expect in a frame when the loudest playback frame that can be echoing
        in it has `echoed_energy` (sum of squares over the frame), or None while no burst got through."""
        if not self.active:
            return None
        power = self.share * echoed_energy / frame_samples
        return 10 * math.log10(max(power, 1.0) / 32768**2) + MARGIN_DB
