"""`assistant mic` on its real audio path (sounddevice, PortAudio, ALSA's pulse plugin) with virtual devices.

A private PulseAudio daemon provides a virtual microphone (we play real speech into it) and a virtual
speaker (we record what the assistant says).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from virtual_audio import VirtualAudio


@pytest.fixture(scope="module")
def devices():
    with VirtualAudio(rate=48000) as va:
        yield va


def run_mic(devices: VirtualAudio, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "mic", *args],
        env=devices.proc_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_talk_through_the_microphone(devices, speech, tmp_path):
    report = tmp_path / "mic.json"
    proc = run_mic(
        devices,
        "--input-device",
        devices.device_name,
        "--output-device",
        devices.device_name,
        "--sample-rate",
        "48000",
        "--duration",
        "25",
        "--report",
        str(report),
    )
    lines = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Listening at" in line or not line:
            break
    assert any("Listening at" in line for line in lines), "".join(lines)
    time.sleep(1.0)
    recorder = devices.start_speaker_recording(16000)
    devices.play_into_mic(speech["goforward"])
    time.sleep(6)
    spoken = recorder.stop()
    out, _ = proc.communicate(timeout=60)
    screen = "".join(lines) + out
    assert proc.returncode == 0, screen
    turns = json.loads(report.read_text())["turns"]
    assert turns, screen
    assert "forward" in turns[0]["user_text"].lower()
    assert turns[0]["assistant_text"]
    assert "you: " in screen and "assistant: " in screen and "voice-to-voice" in screen
    frames = spoken[: spoken.size // 320 * 320].reshape(-1, 320).astype(np.float32)
    voiced_ms = 20 * int((np.sqrt((frames**2).mean(axis=1)) > 300).sum())
    assert voiced_ms >= 400, f"the assistant's voice should reach the speaker ({voiced_ms} ms heard)"


def test_missing_device_gets_a_clear_message(devices):
    proc = run_mic(devices, "--input-device", "no-such-microphone")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "no input device matches 'no-such-microphone'" in out


def test_a_machine_without_a_sound_server_gets_a_clear_message():
    """No default device at all (a fresh server, the sound server down): an error that says what to do,
    not PortAudio's traceback (the Quick start's `assistant mic` on a fresh clone here, 2026-11-30)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PULSE_SERVER"} | {"PULSE_SERVER": "unix:/nonexistent"}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "mic", "--duration", "1"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no usable input device" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_devices_are_listed(devices):
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "devices"],
        env=devices.proc_env(),
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "pulse" in out


def test_a_barge_in_empties_the_speaker(speech, tmp_path):
    """Speech over a reply, through PortAudio and PulseAudio: the reply is cut, the speaker's device buffer
    is emptied (the report counts it), and the recorded signal shows the reply stopping after the speech
    began and well before it ended. Both sides are recorded on one clock (tests/virtual_audio.py: use_air).
    How fast is measured by scripts/bench_mic.py, not here."""
    from mic_app import App, ask_in_air
    from virtual_audio import AIR_SINK, use_air

    from assistant.audio import read_audio
    from assistant.bench import recorded
    from assistant.transports.simulate import speech_span_ms

    tools = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"
    # The robot tool's spoken result is long and comes at once: still playing when the user talks over it.
    args = ("--tools", str(tools), "--set", f"tools.data_dir={tmp_path}", "--set", "llm.temperature=0")
    with VirtualAudio(rate=48000) as va:
        use_air(va)
        report = tmp_path / "mic.json"
        app = App(va, report, args)
        try:
            rec, asked = ask_in_air(app, va, speech["goforward"])
            deadline = time.monotonic() + 60
            while (
                not np.any(np.abs(rec.right_since(asked)) > recorded.AUDIBLE) and time.monotonic() < deadline
            ):
                time.sleep(0.02)
            # Past the echo canceller's bootstrap (about 1 s of playback, assistant/vad/echo.py), before
            # which speech must out-shout the playback; CI's loaded runs sometimes did not (2026-11-30).
            time.sleep(1.0)
            at = rec.samples
            va.play_into_mic(speech["forever"], sink=f"{AIR_SINK}_user")
            app.wait_for("interrupted", timeout=30)
            time.sleep(1.0)
            recording = rec.stop()
        finally:
            assert app.stop() == 0, app.screen
    result = json.loads(report.read_text())
    assert result["turns"][0]["interrupted"], app.screen
    assert result["audio"]["flushes"] >= 1 and result["audio"]["rates"] == {"input": 16000, "output": 22050}
    xruns = result["audio"]["xruns"]
    assert 0 <= xruns["output_voiced"] <= xruns["output"], xruns  # those heard are some of them
    clip = read_audio(speech["forever"])
    placed = recorded.place(recording[:, 0], clip, speech_span_ms(clip), 16000, max(0, at - 3200), at + 48000)
    runs = recorded.audible_runs(recording[:, 1], 16000)
    stop = recorded.stop_after_onset(runs, placed.speech[0])
    assert placed.score > 0.9 and stop is not None, runs
    assert placed.speech[0] < stop < placed.speech[1], (placed, stop)
