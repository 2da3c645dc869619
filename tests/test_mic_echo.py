"""`assistant mic` with a loudspeaker the microphone hears, through PulseAudio: the assistant must not take
its own voice for the user's, also when the echo comes back late, as from a Bluetooth speaker.

The virtual room of tests/virtual_audio.py (`use_air`: the app's microphone is the left channel of one
stereo null sink, its speaker the right) gets a `module-loopback` from the app's speaker into its
microphone, `latency_msec` late and 6 dB down: the echo path is PulseAudio's, on its own clock, with the
app's real output and input latencies on top. Without the canceller's delay estimate
(`assistant/vad/echo_delay.py`) a 250 ms echo lies beyond its 240 ms filter.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from mic_app import App, ask_in_air
from virtual_audio import VirtualAudio, add_loudspeaker, use_air

from assistant.bench import recorded


@pytest.mark.parametrize("latency_ms", [60, 250, 400])
def test_a_late_loudspeaker_echo_does_not_interrupt_the_reply(
    speech: dict[str, Path], tmp_path: Path, latency_ms: int
) -> None:
    tools = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"
    # The robot tool's spoken result is long: seconds of the assistant's own voice coming back.
    args = ("--tools", str(tools), "--set", f"tools.data_dir={tmp_path}", "--set", "llm.temperature=0")
    with VirtualAudio(rate=48000) as va:
        use_air(va)
        add_loudspeaker(va, latency_ms, -6.0)
        report = tmp_path / "mic.json"
        app = App(va, report, args)
        try:
            rec, asked = ask_in_air(app, va, speech["goforward"])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until the reply has begun and then been silent for 2 s
                runs = recorded.audible_runs(rec.right_since(asked), 16000)
                if runs and rec.samples - asked - runs[-1][1] > 2 * 16000:
                    break
                time.sleep(0.1)
            recording = rec.stop()
        finally:
            assert app.stop() == 0, app.screen
    turns = json.loads(report.read_text())["turns"]
    assert len(turns) == 1, [(t["user_text"], t.get("interrupted")) for t in turns]
    assert not turns[0]["interrupted"], app.screen
    runs = recorded.audible_runs(recording[:, 1], 16000)
    played_ms = sum(end - start for start, end in runs) / 16
    assert played_ms >= 2000, runs  # the whole reply played, seconds of it, and came back as echo
    heard = recording[:, 0].astype(np.float64)
    assert np.sqrt(np.mean(heard**2)) > 30, "the loudspeaker's echo should reach the microphone"
