"""The cross-correlation double-talk detector on real speech: the reply's echo follows the reference, a
user's voice does not (`assistant/vad/double_talk.py`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_echo import ASSISTANT_WAV, FRAME, delayed, load_speech, room_echo, to_int16

from assistant.vad.double_talk import CrossCorrelationDTD

USERS = ["goforward.wav", "forever.wav", "cards-001.wav"]


def correlations(mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The detector's correlation after each 20 ms frame from 0.35 s on, where the microphone window is
    not silent (16 kHz float signals of equal length)."""
    dtd = CrossCorrelationDTD()
    n = min(mic.size, ref.size) // FRAME * FRAME
    mic16, ref16 = to_int16(mic[:n]), to_int16(ref[:n])
    out = []
    for i in range(n // FRAME):
        dtd.push(mic16[i * FRAME : (i + 1) * FRAME], ref16[i * FRAME : (i + 1) * FRAME])
        window = mic[max(0, (i + 1) * FRAME - dtd.window) : (i + 1) * FRAME]
        if i >= 17 and np.mean(window**2) > 1e4:  # speech, not a pause (about -50 dBFS)
            out.append(dtd.correlation())
    return np.array(out)


@pytest.fixture(scope="module")
def reply() -> np.ndarray:
    return load_speech(ASSISTANT_WAV)


@pytest.mark.parametrize("path", ["delay", "late", "room"])
def test_the_replys_echo_follows_the_reference(reply: np.ndarray, path: str) -> None:
    """Through a 40 ms delay, a 250 ms one (a Bluetooth speaker) and a small room, the echo correlates
    with what played: every frame is all echo to the gate."""
    echo = {
        "delay": lambda: delayed(reply, 40, -6),
        "late": lambda: delayed(reply, 250, -20),
        "room": lambda: room_echo(reply),
    }[path]()
    rho = correlations(echo, reply)
    assert rho.size > 100 and np.percentile(rho, 5) >= 0.8, np.percentile(rho, [5, 50])


@pytest.mark.parametrize("user", USERS)
def test_a_users_voice_does_not_follow_the_reply(reply: np.ndarray, user: str) -> None:
    """Someone else's speech over the reply, without echo: most frames are mostly not echo (the gate's
    bar falls to at most 6 dB under the microphone's level), and the correlation stays far below an
    echo's."""
    voice = load_speech(user) * 10 ** (-6 / 20)
    rho = correlations(voice, reply)
    shares = np.minimum(1.0, (rho / 0.2) ** 2)
    assert rho.size > 30 and np.percentile(rho, 95) < 0.2, np.percentile(rho, [50, 95])
    assert np.mean(shares <= 0.25) >= 0.6, np.mean(shares <= 0.25)


def test_a_user_over_loud_echo_counts_as_echo(reply: np.ndarray) -> None:
    """A user as loud as the echo: the detector does not let them through (the canceller must converge
    first); the gate stays on the safe side."""
    voice = load_speech("goforward.wav") * 10 ** (-6 / 20)
    n = min(voice.size, reply.size)
    rho = correlations(voice[:n] + delayed(reply[:n], 40, -6), reply[:n])
    assert np.median(rho) >= 0.3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-32768, 32767), min_size=FRAME, max_size=FRAME),
    st.lists(st.integers(-32768, 32767), min_size=FRAME, max_size=FRAME),
    st.integers(1, 30),
)
def test_any_input_gives_a_correlation_between_0_and_1(mic: list[int], ref: list[int], frames: int) -> None:
    dtd = CrossCorrelationDTD()
    for k in range(frames):
        dtd.push(np.roll(np.array(mic, np.int16), k), np.array(ref, np.int16))
        rho, share = dtd.correlation(), dtd.echo_share()
        assert 0.0 <= rho <= 1.0 and 0.0 <= share <= 1.0


def test_bad_settings_are_refused() -> None:
    for kwargs in ({"sample_rate": 0}, {"window_ms": 0}, {"max_delay_ms": -1}, {"rho_echo": 0.0}):
        with pytest.raises(ValueError):
            CrossCorrelationDTD(**kwargs)


def test_a_user_over_the_echo_does_not_raise_the_echo_expected(reply: np.ndarray) -> None:
    """The reply's echo alone, then a user 12 dB louder than it starts over it: in their first 120 ms the
    echo power expected in a frame stays within 4 dB of the echo's own. (The share of the frame's own
    power, which the gate used before, was 7.4 dB above it at the median: the user's first syllables were
    taken for echo.)"""
    far = reply[: 16000 * 2].astype(np.float64)
    echo = np.concatenate([np.zeros(640), far[:-640]]) * 10 ** (-12 / 20)
    rng = np.random.default_rng(3)
    voice = rng.normal(0, 1, far.size) * np.sqrt(np.mean(echo**2)) * 10 ** (12 / 20)
    dtd = CrossCorrelationDTD()
    frame = 320
    expected, echo_alone = [], []
    for k in range(66):
        span = slice(k * frame, (k + 1) * frame)
        mic = echo[span] + (voice[span] if k >= 60 else 0)
        dtd.push(np.clip(mic, -32768, 32767).astype(np.int16), far[span].astype(np.int16))
        rho, lag = dtd.peak()
        power = dtd.echo_power(dtd.echo_share(rho), lag, frame)
        if k >= 60 and power is not None:
            expected.append(power)
            echo_alone.append(float(np.mean(echo[span] ** 2)) + 1.0)
    assert len(expected) == 6
    above = 10 * np.log10(np.array(expected) / np.array(echo_alone))
    assert np.median(above) < 4.0, above


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-32768, 32767), min_size=320, max_size=320),
    st.lists(st.integers(-32768, 32767), min_size=320, max_size=320),
    st.integers(1, 30),
    st.floats(0, 1),
)
def test_the_echo_power_is_none_or_finite_and_never_negative(
    mic: list[int], ref: list[int], frames: int, share: float
) -> None:
    dtd = CrossCorrelationDTD()
    for k in range(frames):
        dtd.push(np.roll(np.array(mic, np.int16), k), np.array(ref, np.int16))
    _, lag = dtd.peak()
    power = dtd.echo_power(share, lag, 320)
    assert power is None or (np.isfinite(power) and power >= 0)
