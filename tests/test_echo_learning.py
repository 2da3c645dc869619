"""The echo gate while the canceller is still learning and has already taken most of the echo out.

What a learning filter leaves of the echo is the part it has not learned yet: quiet, spread over many
delays, following the playback at no single one. `LearningFilter` stands in for the canceller at that
moment (the real one passes through it on its way to converging; `tests/test_conversation.py`'s
interruption under a -6 dB echo is the engine-level check): it leaves the echo 15 dB down and dispersed,
and never converges. The reply is the bundled Piper voice, the user real speech (../shared/speech).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spoken import steady_voice
from test_echo import delayed, load_speech, to_int16

from assistant.audio import StreamResampler
from assistant.config import load_config
from assistant.engine.echo_gate import EchoGate
from assistant.engine.taken_out import TakenOut
from assistant.vad import SpeechDetector

RATE = 16000
REPLY = "Well, here is a long answer about the trains that leave the city for the coast every morning."


class LearningFilter:
    """A canceller caught while learning: its output for each frame is scripted (`outputs`)."""

    converged = False
    echo_lag_ms = 40.0
    max_delay_ms = 400

    def __init__(self, outputs: np.ndarray, frame: int) -> None:
        self._outputs, self._frame, self._i = outputs, frame, 0
        self.expected_residual_rms = 32767.0  # as the real one before converging: it assumes the worst

    def process(self, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
        out = self._outputs[self._i * self._frame : (self._i + 1) * self._frame]
        self._i += 1
        return out


def dispersed(x: np.ndarray, gain_db: float, seed: int = 3) -> np.ndarray:
    """`x` through 20 ms of random taps (unit energy), `gain_db` down: what a half-learned filter leaves."""
    taps = np.random.default_rng(seed).normal(0, 1, 20 * RATE // 1000)
    taps *= 10 ** (gain_db / 20) / np.sqrt((taps**2).sum())
    return np.convolve(x, taps)[: x.size]


def session(user: np.ndarray | None, user_at_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Per 20 ms frame, whether the VAD heard speech through the gate, and whether the user spoke (Silero
    on their voice alone): the reply from 0.5 s, its echo 40 ms late and 6 dB down, the filter's output
    the echo dispersed 15 dB down plus the user."""
    cfg = load_config()
    out_rate, frame, frame_ms = cfg.audio.output_sample_rate, cfg.frame_samples, cfg.audio.frame_ms
    reply = steady_voice(out_rate).synthesize_sync(REPLY)
    speaker = np.concatenate([np.zeros(out_rate // 2, np.int16), reply, np.zeros(out_rate // 2, np.int16)])
    far = StreamResampler(out_rate, RATE)(speaker).astype(np.float64)
    near = np.zeros(far.size)
    if user is not None:
        start = int(user_at_s * RATE)
        near[start : start + user.size] = user[: near.size - start]
    echo = delayed(far, 40, -6)
    gate = EchoGate(cfg, LearningFilter(to_int16(dispersed(echo, -15) + near), frame))  # type: ignore[arg-type]
    detector, alone = SpeechDetector(cfg.vad, frame_ms), SpeechDetector(cfg.vad, frame_ms)
    out_frame = out_rate * frame_ms // 1000
    heard, spoke = [], []
    for i in range(far.size // frame):
        played = np.pad(speaker[i * out_frame : (i + 1) * out_frame], (0, out_frame))[:out_frame]
        clean, audible = gate.cancel(to_int16(echo + near)[i * frame : (i + 1) * frame], played)
        verdict = detector.process(clean, gate.floor(audible))
        gate.track_residual(verdict.level_dbfs, not detector.in_speech, audible, verdict.speech)
        heard.append(verdict.speech)
        spoke.append(alone.process(to_int16(near[i * frame : (i + 1) * frame])).speech)
    return np.array(heard), np.array(spoke)


def test_what_a_learning_filter_leaves_of_the_echo_is_not_speech() -> None:
    """Nobody speaks: the echo the filter has not learned yet, 15 dB under the microphone and following the
    playback at no single delay, is never heard as speech. (Judged by how well it followed the playback
    alone, it got through as speech: the reply paused for its own echo.)"""
    heard, _ = session(None, 0.0)
    assert not heard.any(), np.flatnonzero(heard)


@pytest.mark.parametrize("user_file", ["goforward.wav", "asterisk-dev/call-fwd-on-busy.wav"])
def test_a_user_over_what_a_learning_filter_leaves_is_heard(user_file: str) -> None:
    """A user as loud as the -6 dB echo, 0.8 s into the reply: the filter cannot take them out, so far
    less of the microphone goes than `taken_out.ALL_ECHO_DB`, and most of their words are
    heard at once."""
    user = load_speech(user_file) * 10 ** (-6 / 20)
    heard, spoke = session(user, 1.3)
    first = int(np.flatnonzero(spoke)[0])
    assert np.flatnonzero(heard[first:])[0] * 20 <= 100
    assert int((heard & spoke).sum()) >= 0.8 * int(spoke.sum())


@settings(max_examples=50, deadline=None)
@given(
    frames=st.lists(
        st.tuples(
            st.lists(st.integers(-32768, 32767), min_size=320, max_size=320),
            st.floats(0.0, 1.0),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_what_was_taken_out_is_finite_and_never_more_than_the_microphone(
    frames: list[tuple[list[int], float]],
) -> None:
    """Any frames (silence, full scale, anything between), each heard at some fraction of itself: the
    figure is finite, never below 0 dB for a canceller that only took out, and a frame heard as it came
    is never all echo."""
    taken, untouched = TakenOut(20), TakenOut(20)
    for samples, kept in frames:
        mic = np.array(samples, np.int16)
        taken.push(mic, (mic * kept).astype(np.int16))
        untouched.push(mic, mic)
    assert np.isfinite(taken.db()) and taken.db() >= -1e-9
    assert untouched.db() == 0.0 and not untouched.all_echo()
