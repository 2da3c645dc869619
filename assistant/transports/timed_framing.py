"""The desktop's echo reference by the clock: each microphone frame is paired with what the speaker played
while it was captured, not with the speaker's audio that happens to be next in line.

`InputFramer` pairs them by count: the n-th 20 ms of microphone audio with the n-th 20 ms of played
audio. Two PortAudio streams do not keep that pairing. The speaker's stream prefills its buffer at start
and again after every barge-in flush (which aborts and restarts it), either stream's callbacks stall for
seconds while the sound server sets up, and their clocks drift. Through PulseAudio with a loudspeaker the
microphone hears (scripts/probe_mic_echo.py, a 60 ms echo) the count-paired reference had drifted to 680 ms
before the echo, then 600-800 ms *after* it, so the canceller never converged and the assistant's own
voice opened turn after turn.

Here each callback's chunk is stamped with the monotonic time it was handed over, and both streams are
laid on one timeline (`Timeline`): a chunk follows on from the previous one of its stream, as the device
plays or captures without pause, unless its stamp says the stream stalled or restarted. A flushed speaker
drops what it had not played. A microphone frame captured over [t, t + 20 ms) gets the played
samples stamped within the same span. A speaker chunk is handed over before it is heard and a
microphone chunk after it was captured, so the echo always comes after its reference here, by the two
device latencies plus the room: what the canceller and its delay estimate (`assistant/vad/echo_delay.py`)
learn.
"""

from __future__ import annotations

import numpy as np

from assistant.engine import Conversation

MAX_GAP_S = 2.0
"""A stream silent for longer than this starts afresh: what it had is stale."""


class Timeline:
    """One stream's samples laid on the monotonic clock: `start_s` is the time of `samples[0]`.

    Chunks follow on from each other: a device plays (or captures) without pause, whatever the jitter
    of the callbacks that hand its audio over. The timeline starts again at a chunk's stamp only when
    the stamp is more than `behind_s` after the timeline's end (the speaker ran dry, or the microphone
    lost audio) or more than `ahead_s` before it (the stream restarted; clocks drifted). A speaker's
    callbacks run ahead of its playback by up to its buffer, so for it only a large lead is a restart.
    """

    def __init__(self, rate: int, behind_s: float, ahead_s: float, fill_gaps: bool) -> None:
        """`fill_gaps`: a chunk stamped after the timeline's end follows silence (the speaker: nothing
        played meanwhile), or follows on at once (the microphone: silence would add time that never
        was)."""
        self.rate = rate
        self.behind_s = behind_s
        self.ahead_s = ahead_s
        self.fill_gaps = fill_gaps
        self.start_s: float | None = None
        self.samples = np.zeros(0, np.int16)

    @property
    def end_s(self) -> float | None:
        return None if self.start_s is None else self.start_s + self.samples.size / self.rate

    def add(self, chunk: np.ndarray, at_s: float, gap: bool = False) -> None:
        """A chunk whose first sample belongs at `at_s`, as stamped; `gap`: the device says it did not
        follow on (PortAudio's output underflow: silence played; input overflow: audio lost)."""
        end = self.end_s
        if end is None or gap or at_s - end > self.behind_s or end - at_s > self.ahead_s:
            if self.fill_gaps and end is not None and 0 < at_s - end <= MAX_GAP_S:
                silence = np.zeros(round((at_s - end) * self.rate), np.int16)
                self.samples = np.concatenate([self.samples, silence])
            elif end is not None and at_s - end > MAX_GAP_S:
                self.samples = np.zeros(0, np.int16)
            self.start_s = at_s - self.samples.size / self.rate
        self.samples = np.concatenate([self.samples, chunk.astype(np.int16, copy=False)])

    def cut(self, at_s: float) -> None:
        """Forget the samples from `at_s` on: they were never played (a flushed speaker)."""
        if self.start_s is not None:
            keep = min(max(round((at_s - self.start_s) * self.rate), 0), self.samples.size)
            self.samples = self.samples[:keep]

    def take(self, from_s: float, count: int) -> np.ndarray:
        """`count` samples from `from_s` on (silence where the timeline has none); they and all before go."""
        out = np.zeros(count, np.int16)
        if self.start_s is None:
            return out
        first = round((from_s - self.start_s) * self.rate)
        lo, hi = max(first, 0), min(first + count, self.samples.size)
        if hi > lo:
            out[lo - first : hi - first] = self.samples[lo:hi]
        drop = min(max(first + count, 0), self.samples.size)
        self.samples = self.samples[drop:]
        self.start_s += drop / self.rate
        return out


class TimedFramer:
    """Feeds a conversation whole 20 ms frames, each with the speaker audio played while it was captured.

    `played(audio, at_s, gap)` from the speaker's callback (output rate, stamped when handed to the
    device), `feed(mic16k, at_s, gap)` from the microphone's (16 kHz, stamped when received: its last
    sample's time); `gap` when PortAudio reports an underflow or overflow before this chunk.
    At most `max_played_s` of played audio waits for its microphone frames.
    """

    def __init__(self, conversation: Conversation, output_rate: int, max_played_s: float = 2.0) -> None:
        self.conv = conversation
        self._n = conversation.frame_samples
        self._out_per_frame = output_rate * conversation.frame_ms // 1000
        self._max_played = int(output_rate * max_played_s)
        self._played = Timeline(output_rate, behind_s=0.05, ahead_s=0.3, fill_gaps=True)
        self._mic = Timeline(16000, behind_s=0.2, ahead_s=0.2, fill_gaps=False)

    def played(self, audio: np.ndarray, at_s: float, gap: bool = False) -> None:
        self._played.add(audio, at_s, gap)
        excess = self._played.samples.size - self._max_played
        if excess > 0 and self._played.start_s is not None:
            self._played.take(self._played.start_s + excess / self._played.rate, 0)

    def flushed(self, at_s: float) -> None:
        """The speaker's device was emptied at `at_s` (a barge-in, a bigger buffer): what it held never
        played."""
        self._played.cut(at_s)

    def feed(self, mic16k: np.ndarray, at_s: float, gap: bool = False) -> None:
        self._mic.add(mic16k, at_s - mic16k.size / 16000, gap)
        while self._mic.samples.size >= self._n and self._mic.start_s is not None:
            frame_s = self._mic.start_s
            frame = self._mic.take(frame_s, self._n)
            self.conv.push_input(frame, self._played.take(frame_s, self._out_per_frame))
