"""The echo gate in a session's first reply, before the canceller has learned the echo path.

Real speech for the user (goforward, ../shared/speech), the bundled Piper voice for the assistant, its
echo mixed into the microphone 40 ms late; Silero judges each frame through the same gate, in the same
order, as `Conversation.push_input` does. The harness pauses the playback when the VAD hears an onset
while the assistant is audible, as the engine does on a barge-in.
"""

from __future__ import annotations

import numpy as np
import pytest
from spoken import steady_voice
from test_echo import delayed, load_speech, to_int16

from assistant.audio import resample
from assistant.config import load_config
from assistant.engine.echo_gate import EchoGate
from assistant.vad import SpeechDetector
from assistant.vad.echo import EchoCanceller

RATE = 16000
REPLY = "Sure, here is what I found about the weather in the city this afternoon and tonight."


@pytest.fixture(scope="module")
def reply_audio() -> np.ndarray:
    """The assistant's reply at the output rate (22.05 kHz), the same samples every run."""
    cfg = load_config()
    return steady_voice(cfg.audio.output_sample_rate).synthesize_sync(REPLY)


def run_session(
    user: np.ndarray, user_at_s: float, reply: np.ndarray, reply_at_s: float, echo_db: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per 20 ms frame: whether the VAD called it speech through the gate, and whether the user spoke in it
    (Silero on the user's own voice alone). `user` is 16 kHz, `reply` at the output rate."""
    cfg = load_config()
    out_rate, frame = cfg.audio.output_sample_rate, cfg.frame_samples
    out_frame = out_rate * cfg.audio.frame_ms // 1000
    total = int((max(user_at_s + user.size / RATE, reply_at_s + reply.size / out_rate) + 0.5) * RATE)
    near = np.zeros(total)
    start = int(user_at_s * RATE)
    near[start : start + user.size] = user
    gate = EchoGate(cfg, EchoCanceller(RATE, frame))
    detector, alone = SpeechDetector(cfg.vad, cfg.audio.frame_ms), SpeechDetector(cfg.vad, cfg.audio.frame_ms)
    reply_start, played_to, paused = int(reply_at_s * out_rate), 0, False
    far = np.zeros(total)  # what the speaker played so far, at 16 kHz, for the echo path
    heard, spoke = [], []
    for i in range(total // frame):
        t0 = i * out_frame
        if not paused and t0 + out_frame > reply_start and played_to < reply.size:
            lo = max(0, t0 - reply_start)
            played = reply[lo : lo + out_frame]
            played_to = lo + played.size
        else:
            played = None
        if played is not None:
            chunk = resample(played, out_rate, RATE).astype(np.float64)
            far[i * frame : i * frame + chunk.size] = chunk[: far.size - i * frame]
        mic = to_int16(near + delayed(far, 40, echo_db))[i * frame : (i + 1) * frame]
        clean, audible = gate.cancel(mic, played)
        verdict = detector.process(clean, gate.floor(audible))
        gate.track_residual(verdict.level_dbfs, not detector.in_speech, audible, verdict.speech)
        if verdict.onset and audible:
            paused = True  # the engine pauses its reply on a barge-in onset
        heard.append(verdict.speech)
        spoke.append(alone.process(to_int16(near[i * frame : (i + 1) * frame])).speech)
    return np.array(heard), np.array(spoke)


@pytest.mark.parametrize("echo_db", [-6, 0])
def test_speech_under_way_when_the_first_reply_starts_is_heard(
    reply_audio: np.ndarray, echo_db: float
) -> None:
    """The user, 6 dB quieter than the reply, goes on talking as it starts 200 ms after their first word:
    their words are theirs, not echo. (The gate that assumed echo as loud as the playback passed 0 of 64
    such frames here.)"""
    user = load_speech("goforward.wav") * 10 ** (-6 / 20)
    _, alone = run_session(user, 0.0, reply_audio, user.size / RATE, echo_db)  # the reply after the user
    onset_s = np.flatnonzero(alone)[0] * 0.02
    heard, spoke = run_session(user, 0.0, reply_audio, onset_s + 0.2, echo_db)
    after = slice(int((onset_s + 0.2) * 50), None)  # frames from the reply's start (50 frames a second)
    user_frames = int(spoke[after].sum())
    assert user_frames >= 20, user_frames
    assert int((heard & spoke)[after].sum()) >= 0.8 * user_frames


@pytest.mark.parametrize("echo_db", [-6, -20])
@pytest.mark.parametrize("before", ["silence", "hiss"])
def test_the_replys_own_echo_stays_gated(reply_audio: np.ndarray, echo_db: float, before: str) -> None:
    """Nobody speaks: the reply's echo, unconverged canceller and all, is never taken for a user."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 60 if before == "hiss" else 0, int(4 * RATE))  # about -55 dBFS of hiss
    heard, _ = run_session(noise, 0.0, reply_audio, 0.7, echo_db=echo_db)
    assert int(heard.sum()) <= 2, np.flatnonzero(heard)
