"""python-sounddevice (PortAudio/ALSA -> PulseAudio) against virtual devices.

Needs the packages from ``.ci/install_audio.sh`` (run by ``.ci/run``).
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from virtual_audio import VirtualAudio, audio_tools_available, virtual_audio

SPEECH = Path(__file__).parent / "data" / "goforward.wav"


def test_audio_tools_are_installed() -> None:
    assert audio_tools_available() and ctypes.util.find_library("portaudio")


@pytest.fixture
def va() -> Iterator[VirtualAudio]:
    """A private PulseAudio daemon with the virtual mic/speaker, per test."""
    with virtual_audio() as v:
        yield v


def load_wav(path: Path, rate: int) -> np.ndarray:
    """Mono int16 samples of ``path`` (16 kHz), linearly resampled to ``rate``."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        src_rate, data = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")
    if rate == src_rate:
        return data.astype(np.int16)
    t = np.arange(int(len(data) * rate / src_rate)) * src_rate / rate
    return np.interp(t, np.arange(len(data)), data).astype(np.int16)


def ncc_peak(sig: np.ndarray, ref: np.ndarray) -> tuple[float, int]:
    """Peak normalised cross-correlation of ``ref`` within ``sig``, and its lag."""
    s = np.concatenate([sig.astype(np.float64), np.zeros(len(ref))])
    r = ref.astype(np.float64)
    n = 1 << (len(s) + len(r)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(s, n) * np.conj(np.fft.rfft(r, n)), n)[: len(s) - len(r) + 1]
    c = np.concatenate([[0.0], np.cumsum(s * s)])
    win = c[len(r) :] - c[: len(s) - len(r) + 1]
    ncc = corr / np.sqrt(np.maximum(win, 1e-9) * float(r @ r))
    lag = int(np.argmax(ncc))
    return float(ncc[lag]), lag


def rms(x: np.ndarray) -> float:
    """Root mean square of int16 samples."""
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def assert_matches(got: np.ndarray, ref: np.ndarray) -> int:
    """Assert ``got`` holds ``ref`` (loud, well correlated); return the lag in samples."""
    assert rms(got) > 0.25 * rms(ref), f"too quiet: rms {rms(got):.0f} vs {rms(ref):.0f}"
    peak, lag = ncc_peak(got, ref)
    assert peak > 0.8, f"ncc peak {peak:.3f}"
    return lag


@pytest.mark.parametrize("rate", [16000, 48000])
def test_mic_capture(va: VirtualAudio, rate: int) -> None:
    import sounddevice as sd

    chunks: list[np.ndarray] = []

    def callback(indata: np.ndarray, frames: int, t: Any, status: sd.CallbackFlags) -> None:
        chunks.append(indata[:, 0].copy())

    with sd.InputStream(device=va.device_name, samplerate=rate, channels=1, dtype="int16", callback=callback):
        time.sleep(0.2)  # input must be running before audio goes into the null sink
        va.play_into_mic(SPEECH)
        time.sleep(0.2)
    got = np.concatenate(chunks)
    lag = assert_matches(got, load_wav(SPEECH, rate))
    assert rms(got[: lag // 2]) < 50, "silence before the speech should stay silent"


@pytest.mark.parametrize("rate", [16000, 48000])
def test_speaker_playback(va: VirtualAudio, rate: int) -> None:
    import sounddevice as sd

    rec = va.start_speaker_recording(rate=16000)
    with sd.OutputStream(device=va.device_name, samplerate=rate, channels=1, dtype="int16") as out:
        out.write(load_wav(SPEECH, rate))
        time.sleep(out.latency + 0.1)  # write() returns with the last buffer still queued
    time.sleep(0.2)
    assert_matches(rec.stop(), load_wav(SPEECH, 16000))


def app_stream(va: VirtualAudio, rate: int, callback: Any) -> Any:
    """A duplex stream set up like assistant/transports/mic.py (20 ms blocks, low latency)."""
    import sounddevice as sd

    return sd.Stream(device=va.device_name, samplerate=rate, blocksize=rate // 50, channels=1,
                     dtype="int16", latency="low", callback=callback)  # fmt: skip


@pytest.mark.parametrize("rate", [16000, 48000])
def test_duplex_echo(va: VirtualAudio, rate: int) -> None:
    """An app that echoes the mic to the speaker: speech goes mic -> app -> speaker."""
    chunks: list[np.ndarray] = []

    def callback(indata: np.ndarray, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        chunks.append(indata[:, 0].copy())
        outdata[:] = indata

    rec = va.start_speaker_recording(rate=16000)
    with app_stream(va, rate, callback):
        time.sleep(0.2)
        va.play_into_mic(SPEECH)
        time.sleep(0.3)
    assert_matches(np.concatenate(chunks), load_wav(SPEECH, rate))
    assert_matches(rec.stop(), load_wav(SPEECH, 16000))


def test_child_process_and_env_restore() -> None:
    """A child process (e.g. the app) finds the pulse device; env is restored after."""
    before = os.environ.get("PULSE_SERVER")
    with virtual_audio() as va:
        code = f"import sounddevice as sd; print(sd.query_devices({va.device_name!r})['name'])"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == va.device_name
        assert os.environ["PULSE_SERVER"] == va.env["PULSE_SERVER"]
    assert os.environ.get("PULSE_SERVER") == before


@pytest.mark.parametrize("rate", [16000, 48000])
def test_roundtrip_latency(va: VirtualAudio, rate: int) -> None:
    """Route the app's output into its own mic and time a click through the loop.

    With the app's settings PortAudio reports 40 ms in / 60 ms out and the click
    comes back after ~64 ms (51-67 ms seen), at 16 and 48 kHz alike.
    """
    va.pactl("set-default-sink", "vmic")  # streams opened from now on play into the mic sink
    click, played, heard = int(rate * 0.5), [0], []

    def callback(indata: np.ndarray, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        start = played[0]
        outdata[:] = 0
        if start <= click < start + frames:
            outdata[click - start :, 0] = 26000
        played[0] += frames
        heard.append(indata[:, 0].copy())

    with app_stream(va, rate, callback):
        time.sleep(1.5)
    loud = np.flatnonzero(np.abs(np.concatenate(heard)) > 10000)
    assert len(loud), "the click never came back"
    assert 0.02 < (loud[0] - click) / rate < 0.2
