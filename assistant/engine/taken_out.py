"""How much of the microphone the echo canceller took out while it learns: a frame it took most of is all
echo, however little of what is left follows the playback.

Until the canceller has converged, the gate judges how much of what the VAD hears is echo by how well it
follows the playback (`double_talk.py`, `echo_gate.EchoGate.floor`). What a learning filter leaves of the
echo is the part it has not learned yet, spread over many delays and coloured, and it follows the
playback ever less as the filter learns. In the session's first reply under a -6 dB loudspeaker
(tests/test_conversation.py), the echo alone that the VAD heard followed the playback at 0.93 for its
first 0.4 s, then at 0.55, then at 0.23-0.4 over a loud syllable 0.8 s in, 15 dB under the microphone.
Its share of what was heard fell to a fifth, the gate opened, and the reply paused for its own echo in 4
of 14 sessions; in one of them the user's words that followed went to the turn the echo had opened
("leaders." for "go forward 10 meters").

The canceller cannot take out a user: one as loud as the echo leaves at least half of the microphone's
power (3 dB taken out), one 10 dB under the echo is masked until the canceller converges. Judged from
energies, this learns nothing from the frames it masks. (A rule on the microphone's own correlation with
the playback, against its median while nobody spoke, learned the users it masked as echo: it never heard
a user at all in 2 of `scripts/probe_echo_gate.py`'s 10 cells under a -6 dB echo.)
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from assistant.audio import energy

ALL_ECHO_DB = 10.0
"""Taken out this much, what is left is all echo: anyone else is at least 10 dB under it."""
OVER_MS = 60
"""What a learning filter leaves trails the echo by tens of milliseconds: over a syllable's end, one frame
of it was only 5.7 dB under the microphone where the frames around it were 12-17 dB under."""


class TakenOut:
    """The microphone's energy against what the VAD heard of it, over the last `OVER_MS`."""

    def __init__(self, frame_ms: int) -> None:
        self._frames: deque[tuple[float, float]] = deque(maxlen=max(1, OVER_MS // frame_ms))

    def push(self, mic: np.ndarray, heard: np.ndarray) -> None:
        """One microphone frame and what the VAD heard of it (the canceller's output, or the same frame)."""
        self._frames.append((energy(mic), energy(heard)))

    def db(self) -> float:
        """How much quieter than the microphone what the VAD heard was, in dB (0 before any frame)."""
        mic = sum(m for m, _ in self._frames)
        heard = sum(h for _, h in self._frames)
        return 10 * math.log10((mic + 1.0) / (heard + 1.0))

    def all_echo(self) -> bool:
        """Whether so much was taken out (`ALL_ECHO_DB`) that what is left is all echo."""
        return self.db() >= ALL_ECHO_DB
