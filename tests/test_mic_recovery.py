"""`assistant mic` keeps the conversation when its sound devices fail (issue 17).

A real PulseAudio daemon with null sinks (tests/virtual_audio.py) is killed and restarted, or both of its
sinks are removed and created again, while `assistant mic` runs on it. The app must say on the console
what happened, reopen its streams on its own, say aloud that it is back, and answer the next question in
the same conversation (the report holds both turns).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from mic_app import App
from virtual_audio import VirtualAudio


def voiced_ms(samples: np.ndarray, rate: int = 16000) -> int:
    n = rate // 50
    frames = samples[: samples.size // n * n].reshape(-1, n).astype(np.float32)
    return 20 * int((np.sqrt((frames**2).mean(axis=1)) > 300).sum())


def conversation_survives(va: VirtualAudio, speech: dict[str, Path], tmp_path: Path, fault, restore) -> dict:
    """Ask, break the devices with `fault()`, restore them with `restore()`, hear the notice, ask again."""
    report = tmp_path / "mic.json"
    app = App(va, report)
    try:
        app.wait_for("Listening at", timeout=120)
        time.sleep(1.0)
        va.play_into_mic(speech["goforward"])
        app.wait_for("voice-to-voice", timeout=60)
        time.sleep(2.0)  # let the reply play out
        fault()
        app.wait_for("audio device lost", timeout=20)
        restore()
        restored = time.monotonic()
        back = app.wait_for("audio device back", timeout=30)
        notice = va.start_speaker_recording(16000)
        time.sleep(5.0)
        heard = voiced_ms(notice.stop())
        va.play_into_mic(speech["cards-003"])
        app.wait_for("voice-to-voice", count=2, timeout=60)
        time.sleep(1.0)
    finally:
        code = app.stop()
    assert code == 0, app.screen
    result = json.loads(report.read_text())
    turns, audio = result["turns"], result["audio"]
    assert len(turns) >= 2, app.screen
    assert "forward" in turns[0]["user_text"].lower()
    assert "clubs" in turns[-1]["user_text"].lower() and turns[-1]["assistant_text"], app.screen
    assert heard >= 600, f"the spoken notice should reach the speaker ({heard} ms heard)\n{app.screen}"
    (event,) = [e for e in audio["events"] if "recovery_s" in e]
    assert event["reason"] and event["attempts"] >= 1
    return {"back_after_restore_s": back - restored, "event": event, "screen": app.screen}


def _say(what: str, outcome: dict) -> None:
    """The recovery times, for the log (pytest -s) and docs/reliability.md."""
    notes = [line.strip() for line in outcome["screen"].splitlines() if "audio" in line]
    print(
        f"\n{what}: back {outcome['back_after_restore_s']:.2f} s after the devices were, "
        f"{outcome['event']['recovery_s']:.2f} s after the loss was noticed\n  " + "\n  ".join(notes)
    )


@pytest.mark.parametrize("down_s", [1.0])
def test_mic_survives_a_sound_server_restart(speech: dict[str, Path], tmp_path: Path, down_s: float) -> None:
    with VirtualAudio(rate=48000) as va:
        outcome = conversation_survives(
            va, speech, tmp_path, va.kill_daemon, lambda: (time.sleep(down_s), va.restart_daemon())
        )
    _say("sound server killed, restarted 1 s later", outcome)
    # Backoff: attempts at most 1 s apart, plus reopening the streams.
    assert outcome["back_after_restore_s"] < 3.0, outcome["screen"]


def test_mic_survives_its_devices_being_removed(speech: dict[str, Path], tmp_path: Path) -> None:
    with VirtualAudio(rate=48000) as va:
        outcome = conversation_survives(
            va, speech, tmp_path, va.unload_sinks, lambda: (time.sleep(1.5), va.load_sinks())
        )
    _say("both null sinks removed, created again 1.5 s later", outcome)
    assert outcome["back_after_restore_s"] < 3.0, outcome["screen"]
    assert "still no device" in outcome["screen"], "the outage itself should be said"
