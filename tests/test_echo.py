"""Echo canceller on real speech: the assistant's voice (LibriVox) echoing back, the user (goforward) on top.

The echo is simulated from the reference the way a desktop speaker/mic pair produces it: an unknown delay and
gain, optionally a short room response. The user's voice must survive the canceller intact (so the VAD can
hear a barge-in), the echo must not (so the assistant does not interrupt itself).
"""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.vad.echo import EchoCanceller

RATE = 16000
FRAME = 320
_SPEECH_DIRS = (
    Path(__file__).resolve().parent / "data",
    Path(__file__).resolve().parents[2] / "shared" / "speech",
    Path("/work/shared/speech"),
)
ASSISTANT_WAV = "sense_and_sensibility_01_austen_64kb-0870.wav"
ASSISTANT_NEXT_WAV = "sense_and_sensibility_01_austen_64kb-0880.wav"
USER_WAV = "goforward.wav"


def load_speech(name: str) -> np.ndarray:
    """Samples of a shared 16 kHz mono speech file as float64 (int16 scale)."""
    for folder in _SPEECH_DIRS:
        path = folder / name
        if path.exists():
            with wave.open(str(path)) as w:
                assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
                return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    raise FileNotFoundError(f"{name} not found in any of {[str(d) for d in _SPEECH_DIRS]}")


def delayed(x: np.ndarray, ms: float, gain_db: float) -> np.ndarray:
    """``x`` delayed by ``ms`` and scaled by ``gain_db``: the simplest loudspeaker-to-mic echo path."""
    shift = round(ms * RATE / 1000)
    y = np.zeros_like(x)
    y[shift:] = x[: len(x) - shift] * 10 ** (gain_db / 20)
    return y


def room_echo(x: np.ndarray) -> np.ndarray:
    """Echo through a short synthetic room: 40 ms sound-card delay, -6 dB, a few decaying reflections."""
    g = 10 ** (-6 / 20)
    h = np.zeros(round(0.09 * RATE))
    for t_ms, a in ((40, 1.0), (43, -0.35), (47, 0.25), (52, 0.18), (61, -0.12), (75, 0.07), (88, 0.04)):
        h[round(t_ms * RATE / 1000)] += a * g
    return np.convolve(x, h)[: len(x)]


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def run(mic: np.ndarray, ref: np.ndarray, aec: EchoCanceller | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Process whole signals frame by frame; return the output and the per-frame near-end flags."""
    aec = aec or EchoCanceller(sample_rate=RATE, frame_samples=FRAME)
    n = len(mic) // FRAME * FRAME
    mic16, ref16 = to_int16(mic[:n]), to_int16(ref[:n])
    out = np.empty(n)
    near = np.empty(n // FRAME, dtype=bool)
    for j, i in enumerate(range(0, n, FRAME)):
        out[i : i + FRAME] = aec.process(mic16[i : i + FRAME], ref16[i : i + FRAME])
        near[j] = aec.is_near_end()
    return out, near


def longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of consecutive True values."""
    best = run_length = 0
    for flag in flags:
        run_length = run_length + 1 if flag else 0
        best = max(best, run_length)
    return best


def erle_db(echo: np.ndarray, residual: np.ndarray) -> float:
    """Echo return loss enhancement: echo energy over the energy of what is left of it."""
    return float(10 * np.log10(np.sum(echo**2) / max(float(np.sum(residual**2)), 1e-9)))


def seconds(a: float, b: float | None = None) -> slice:
    return slice(round(a * RATE), None if b is None else round(b * RATE))


@pytest.fixture(scope="module")
def assistant_voice() -> np.ndarray:
    return load_speech(ASSISTANT_WAV)


@pytest.fixture(scope="module")
def user_voice() -> np.ndarray:
    return load_speech(USER_WAV)


@pytest.mark.parametrize("path", ["delay", "room"])
def test_echo_only_is_cancelled_by_20_db(assistant_voice: np.ndarray, path: str) -> None:
    ref = assistant_voice
    echo = delayed(ref, 40, -6) if path == "delay" else room_echo(ref)
    out, near = run(echo, ref)
    half = seconds(len(out) / RATE / 2, len(out) / RATE)
    assert erle_db(echo[half], out[half]) >= 20.0
    # Once converged, the leftover echo is not mistaken for the user: at most a stray frame, never the
    # run of frames a speech detector needs.
    converged = near[round(1.5 * RATE / FRAME) :]
    assert converged.mean() < 0.01
    assert longest_run(converged) <= 1


@pytest.mark.parametrize("path", ["delay", "room"])
def test_user_survives_double_talk_and_filter_keeps_cancelling(
    assistant_voice: np.ndarray, user_voice: np.ndarray, path: str
) -> None:
    ref = np.concatenate((assistant_voice, load_speech(ASSISTANT_NEXT_WAV)))
    echo = delayed(ref, 40, -6) if path == "delay" else room_echo(ref)
    start = round(3.0 * RATE)
    user = np.zeros_like(ref)
    user[start : start + len(user_voice)] = user_voice
    span = slice(start, start + len(user_voice))

    out, near = run(echo + user, ref)
    echo_only_out, _ = run(echo, ref)

    # (b) The user's voice comes through: same waveform, same energy.
    corr = np.corrcoef(out[span], user[span])[0, 1]
    energy_ratio = np.sum(out[span] ** 2) / np.sum(user[span] ** 2)
    assert corr > 0.9, corr
    assert 0.8 < energy_ratio < 1.25, energy_ratio
    # ... and the gate sees it: most frames where the user is loud are flagged as near-end speech.
    frames = user[: len(near) * FRAME].reshape(-1, FRAME)
    loud = np.sqrt(np.mean(frames**2, axis=1)) > 300
    assert near[loud].mean() > 0.85

    # (c) The double talk did not derail the filter: after the user stops the echo is cancelled at least as
    # well as just before the user started (adaptation was held, not thrown off).
    before = seconds(2.0, 3.0)
    after = slice(span.stop + FRAME * 5, len(out))
    erle_before = erle_db(echo[before], echo_only_out[before])
    erle_after = erle_db(echo[after], out[after])
    assert erle_after >= 20.0, erle_after
    assert erle_after >= erle_before - 3.0, (erle_after, erle_before)


def test_long_unknown_delay_is_learned(assistant_voice: np.ndarray) -> None:
    """A sluggish sound card: 150 ms between playing and hearing, echo louder than usual (-3 dB)."""
    ref = np.concatenate((assistant_voice, load_speech(ASSISTANT_NEXT_WAV)))
    echo = delayed(ref, 150, -3)
    out, _ = run(echo, ref)
    tail = seconds(5.0, len(out) / RATE)
    assert erle_db(echo[tail], out[tail]) >= 20.0


def test_silent_reference_leaves_the_microphone_alone(user_voice: np.ndarray) -> None:
    aec = EchoCanceller()
    out, near = run(user_voice, np.zeros_like(user_voice), aec)
    user = user_voice[: len(out)]
    assert np.corrcoef(out, user)[0, 1] > 0.97
    assert aec.expected_residual_rms == 0.0
    assert not aec.far_end_active
    frames = user.reshape(-1, FRAME)
    assert near[np.sqrt(np.mean(frames**2, axis=1)) > 300].all()


def test_unconverged_gate_is_conservative(assistant_voice: np.ndarray) -> None:
    """Before the echo path is known, an echo as loud as the playback must not count as the user."""
    aec = EchoCanceller()
    ref = assistant_voice[: 10 * FRAME]
    run(delayed(ref, 40, 0), ref, aec)
    assert not aec.converged
    assert aec.expected_residual_rms > 0.5 * np.sqrt(np.mean(ref[-5 * FRAME :] ** 2))


def test_rejects_wrong_frame_size() -> None:
    aec = EchoCanceller()
    with pytest.raises(ValueError):
        aec.process(np.zeros(160, np.int16), np.zeros(160, np.int16))
    with pytest.raises(ValueError):
        aec.process(np.zeros(320, np.int16), np.zeros(160, np.int16))


def test_cheap_enough_for_real_time(assistant_voice: np.ndarray) -> None:
    """Generous bound for shared CI machines; typical cost is ~0.2 ms per 20 ms frame."""
    ref = to_int16(assistant_voice)
    mic = to_int16(room_echo(assistant_voice))
    aec = EchoCanceller()
    times = []
    for i in range(0, len(ref) // FRAME * FRAME, FRAME):
        t0 = time.perf_counter()
        aec.process(mic[i : i + FRAME], ref[i : i + FRAME])
        times.append(time.perf_counter() - t0)
    assert float(np.median(times)) < 2e-3
