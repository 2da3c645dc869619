"""Float WAVs whose samples are not numbers or lie beyond full scale: NaN and ±infinity are damage, refused
by name with their count (allowed: read as silence, with a warning); values past ±1.0 are clipped with a
warning that counts them. Before, FFmpeg's conversion turned each NaN or infinity into a -32768 click and
clipped the rest, all without a word.

Generated cases (hypothesis): any number of non-finite samples at any positions, in float32 and float64,
mono and stereo, at several rates; any number of samples beyond full scale at any positions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import run_cli

from assistant.audio import read_audio
from assistant.audiofile import AudioFileError, load_audio

CASES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TONE = 0.3
"""The tone's amplitude: a decoded sample far above it is a click made from a bad sample."""
CLICK_FREE = int(TONE * 32768 * 2)
"""The most a tone with silenced samples reaches after resampling (its ringing; a click is 32768)."""


def tone(frames: int, rate: int, channels: int) -> np.ndarray:
    """A 440 Hz tone at `TONE`, shape (frames, channels), float64."""
    wave = TONE * np.sin(2 * np.pi * 440 * np.arange(frames) / rate)
    return np.repeat(wave[:, None], channels, axis=1)


def write_float_wav(path: Path, samples: np.ndarray, rate: int, subtype: str = "FLOAT") -> Path:
    """A float32 (`FLOAT`) or float64 (`DOUBLE`) WAV of `samples`, shape (frames, channels)."""
    soundfile.write(path, samples, rate, subtype=subtype)
    return path


@st.composite
def damaged_floats(draw: st.DrawFn) -> tuple[np.ndarray, int, str, list[tuple[int, int]]]:
    """A tone with NaN/±inf written at drawn (frame, channel) places; its rate, subtype and the places."""
    rate = draw(st.sampled_from([8000, 16000, 44100, 48000]))
    channels = draw(st.integers(1, 2))
    frames = int(rate * draw(st.floats(0.15, 0.4)))
    samples = tone(frames, rate, channels)
    places = draw(
        st.lists(
            st.tuples(st.integers(0, frames - 1), st.integers(0, channels - 1)),
            min_size=1,
            max_size=50,
            unique=True,
        )
    )
    for frame, channel in places:
        samples[frame, channel] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return samples, rate, draw(st.sampled_from(["FLOAT", "DOUBLE"])), places


@CASES
@given(case=damaged_floats())
def test_non_finite_samples_are_refused_with_their_count(tmp_path, case):
    samples, rate, subtype, places = case
    path = write_float_wav(tmp_path / "nan.wav", samples, rate, subtype)
    with pytest.raises(AudioFileError) as caught:
        load_audio(path)
    message = str(caught.value)
    assert caught.value.damaged, message
    said = f"{len(places)} of {samples.size} samples are not finite numbers (NaN or infinity)"
    assert message == f"{path}: damaged: {said}"
    with pytest.raises(AudioFileError, match="not finite"):
        read_audio(path)


@CASES
@given(case=damaged_floats())
def test_allowed_non_finite_samples_are_silence_with_a_warning(tmp_path, case):
    samples, rate, subtype, places = case
    path = write_float_wav(tmp_path / "nan.wav", samples, rate, subtype)
    decoded = load_audio(path, allow_damaged=True)
    assert decoded.warnings == [
        f"{path}: damaged: {len(places)} of {samples.size} samples are not finite numbers (NaN or infinity); "
        "read as silence"
    ]
    assert int(np.abs(decoded.samples.astype(np.int32)).max()) <= CLICK_FREE  # no full-scale click
    if rate == 16000 and samples.shape[1] == 1:  # no resampling, no downmix: each bad sample is 0
        assert all(decoded.samples[frame] == 0 for frame, _ in places)


@CASES
@given(data=st.data(), subtype=st.sampled_from(["FLOAT", "DOUBLE"]))
def test_samples_beyond_full_scale_are_clipped_with_a_count(tmp_path, data, subtype):
    frames = 16000 // 4
    samples = tone(frames, 16000, 1)
    places = data.draw(st.lists(st.integers(0, frames - 1), min_size=1, max_size=80, unique=True), label="at")
    values = data.draw(
        st.lists(st.floats(1.001, 1e6) | st.floats(-1e6, -1.001), min_size=len(places), max_size=len(places)),
        label="values",
    )
    for at, value in zip(places, values, strict=True):
        samples[at, 0] = value
    if subtype == "FLOAT":  # what float32 stores: still beyond 1.0
        samples = samples.astype(np.float32).astype(np.float64)
    path = write_float_wav(tmp_path / "loud.wav", samples, 16000, subtype)
    decoded = load_audio(path)  # clipping is said, not refused
    peak = float(np.abs(samples).max())
    assert decoded.warnings == [
        f"{path}: {len(places)} of {frames} samples lie beyond full scale (peak {peak:.3g}, full scale 1.0); "
        "clipped"
    ]
    for at, value in zip(places, values, strict=True):
        assert decoded.samples[at] == (32767 if value > 0 else -32768)


def test_float_at_full_scale_and_integer_wavs_say_nothing(tmp_path):
    loud = tone(8000, 16000, 1) / TONE  # peaks at exactly 1.0: not beyond
    assert load_audio(write_float_wav(tmp_path / "full.wav", loud, 16000)).warnings == []
    soundfile.write(tmp_path / "int.wav", loud, 16000, subtype="PCM_16")
    assert load_audio(tmp_path / "int.wav").warnings == []


def test_read_audio_logs_the_clipping(tmp_path, caplog):
    samples = tone(8000, 16000, 1)
    samples[10:13, 0] = 4.0
    path = write_float_wav(tmp_path / "loud.wav", samples, 16000)
    with caplog.at_level("WARNING", logger="assistant.audio"):
        read_audio(path)
    assert f"{path}: 3 of 8000 samples lie beyond full scale (peak 4, full scale 1.0); clipped" in caplog.text


def test_simulate_refuses_a_nan_wav_by_name(tmp_path):
    samples = tone(16000, 16000, 1)
    samples[[5, 500, 5000], 0] = [np.nan, np.inf, -np.inf]
    path = write_float_wav(tmp_path / "nan.wav", samples, 16000)
    result = run_cli("simulate", str(path), "--quiet")
    assert result.returncode == 2, result.stderr
    assert (
        f"error: {path}: damaged: 3 of 16000 samples are not finite numbers (NaN or infinity)\n"
        "(--allow-damaged says what decodes of it, with a warning)"
    ) in result.stderr
