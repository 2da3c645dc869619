"""The bulk delay in front of the echo canceller (`assistant/vad/echo_delay.py`), on real speech.

A Bluetooth speaker's echo comes back 150-300 ms after the frame was played, beyond the adaptive filter's
240 ms: without the delay estimate the canceller removed nothing from a 250 ms echo (0.2 dB) and the
replies' echo opened turns with nobody speaking (12 onsets in 8 sessions, scripts/probe_echo_gate.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_echo import (
    ASSISTANT_NEXT_WAV,
    ASSISTANT_WAV,
    FRAME,
    RATE,
    USER_WAV,
    delayed,
    erle_db,
    load_speech,
    longest_run,
    room_echo,
    run,
    seconds,
)
from test_echo_gate import reply_audio, run_session  # noqa: F401  (a fixture)

from assistant.vad.echo import EchoCanceller
from assistant.vad.echo_delay import BulkDelay


@pytest.fixture(scope="module")
def far() -> np.ndarray:
    """Ten seconds of a real voice, as the assistant's playback (16 kHz float)."""
    return np.concatenate((load_speech(ASSISTANT_WAV), load_speech(ASSISTANT_NEXT_WAV)))


@pytest.mark.parametrize("delay_ms", [250, 350, 480])
def test_a_late_echo_is_found_and_cancelled(far: np.ndarray, delay_ms: int) -> None:
    echo = delayed(far, delay_ms, -6)
    aec = EchoCanceller()
    out, near = run(echo, far, aec)
    # The echo's direct sound now sits inside the filter, within its first 100 ms.
    assert 0 <= delay_ms - aec._bulk.delay_frames * 20 <= 100, aec._bulk.delay_frames
    tail = seconds(3.0, len(out) / RATE)
    assert erle_db(echo[tail], out[tail]) >= 20.0
    # What is left is not taken for the user: a stray frame or two (under -50 dBFS), never a run of them.
    settled = near[round(3.0 * RATE / FRAME) :]
    assert settled.mean() < 0.02
    assert longest_run(settled) <= 2


@pytest.mark.parametrize("path", ["delay40", "room", "delay120"])
def test_an_ordinary_echo_keeps_the_filter_where_it_is(far: np.ndarray, path: str) -> None:
    """Echo the filter already spans moves nothing: the canceller behaves as it did without the estimate."""
    echo = {"delay40": delayed(far, 40, -6), "room": room_echo(far), "delay120": delayed(far, 120, 0)}[path]
    aligned = EchoCanceller()
    out, _ = run(echo, far, aligned)
    plain, _ = run(echo, far, EchoCanceller(max_delay_ms=0))
    assert aligned._bulk.delay_frames == 0
    assert np.array_equal(out, plain)


def test_a_user_talking_over_the_playback_does_not_move_it(far: np.ndarray) -> None:
    """Headphones, a user talking all through the playback: their voice does not follow the reference,
    so no delay is read from it."""
    user = np.tile(load_speech(USER_WAV), 4)[: far.size]
    aec = EchoCanceller()
    out, _ = run(user, far, aec)
    assert aec._bulk.delay_frames == 0
    assert np.corrcoef(out, user[: out.size])[0, 1] > 0.97


def test_the_user_survives_double_talk_over_a_late_echo(far: np.ndarray) -> None:
    """Once the late echo is learned, a user who talks over it comes through intact."""
    echo = delayed(far, 250, -6)
    user_voice = load_speech(USER_WAV)
    start = round(5.0 * RATE)
    user = np.zeros_like(far)
    user[start : start + user_voice.size] = user_voice
    span = slice(start, start + user_voice.size)
    out, near = run(echo + user, far)
    assert np.corrcoef(out[span], user[span])[0, 1] > 0.9
    frames = user[: near.size * FRAME].reshape(-1, FRAME)
    loud = np.sqrt(np.mean(frames**2, axis=1)) > 300
    assert near[loud].mean() > 0.85


@pytest.mark.parametrize("delay_ms", [250, 350])
def test_a_bluetooth_speakers_echo_opens_no_turns(reply_audio: np.ndarray, delay_ms: int) -> None:  # noqa: F811
    """Nobody speaks; two replies come back through a late speaker, as loud as -6 dB: no onset (there
    were 12 in 8 such sessions before the delay estimate)."""
    gap = reply_audio.size / 22050 + 1.0
    silence = np.zeros(int((0.7 + 2 * gap) * RATE))
    plays = [(reply_audio, 0.7 + k * gap) for k in range(2)]
    heard, _, onsets = run_session(silence, 0.0, plays, None, lambda x: delayed(x, delay_ms, -6))
    assert onsets == 0, np.flatnonzero(heard)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        EchoCanceller(max_delay_ms=-1)
    with pytest.raises(ValueError):
        BulkDelay(RATE, FRAME, 12, max_delay_ms=-20)


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(
        st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767), st.integers(0, 400)),
        min_size=1,
        max_size=80,
    )
)
def test_any_signal_keeps_the_delay_in_range(frames: list[tuple[int, int, int]]) -> None:
    """Arbitrary microphone and reference frames (random noise of any level, any lag between them): the
    delay stays within 0..max and every frame out is a frame of the line."""
    bulk = BulkDelay(RATE, FRAME, 12, max_delay_ms=500)
    rng = np.random.default_rng(0)
    for mic_peak, ref_peak, lag in frames:
        ref = rng.uniform(-1, 1, FRAME) * ref_peak
        mic = np.clip(np.roll(ref, lag) + rng.uniform(-1, 1, FRAME) * mic_peak, -32768, 32767)
        out = bulk.push(mic.astype(np.int16), ref, ref_playing=True)
        assert out.shape == (FRAME,)
        assert 0 <= bulk.delay_frames <= bulk.max_frames
