"""The assistant's own voice heard back (`assistant/engine/own_echo.py`): the words, the sound, and the
engine with a loudspeaker whose echo drifts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spoken import steady_voice
from test_echo import load_speech, to_int16
from test_echo_gate import RATE, drifting

from assistant.asr.wer import word_error_rate
from assistant.audio import StreamResampler
from assistant.bench.suite import references
from assistant.config import load_config
from assistant.engine.conversation import Conversation
from assistant.engine.echo_gate import EchoGate
from assistant.engine.own_echo import FOLLOWS_RHO, says_only
from assistant.transports.simulate import SimulationOptions, simulate
from assistant.vad.echo import EchoCanceller

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("heard", "played", "own"),
    [
        ("Sorry.", "Sorry.", True),
        ("sorry sorry", "Sorry, I can't do that.", True),
        ("So", "Sorry, I don't have an answer to that.", True),  # the echo cut off mid-word
        ("7 of clubs", "Seven of clubs, you said.", True),
        ("Seven of spades", "Did you say seven of clubs?", False),
        ("Stop.", "Sure, here is the weather for today.", False),
        ("", "Sorry.", False),
        ("Sorry.", "", False),
        ("I", "Sure, I can.", True),
        ("a", "Sure.", False),  # one letter begins too many words to count
    ],
)
def test_only_the_replys_own_words_count(heard: str, played: str, own: bool) -> None:
    assert says_only(heard, played) is own


@settings(max_examples=200, deadline=None, database=None)
@given(heard=st.text(max_size=60), played=st.text(max_size=120))
def test_the_words_rule_never_raises(heard: str, played: str) -> None:
    """Whatever Whisper writes and whatever the reply said."""
    assert isinstance(says_only(heard, played), bool)


@settings(max_examples=100, deadline=None, database=None)
@given(
    played=st.lists(st.sampled_from(["sorry", "sure", "the", "weather", "is", "fine", "today"]), min_size=1),
    extra=st.sampled_from(["pizza", "tomorrow", "cancel", "thirty"]),
)
def test_a_word_the_reply_never_said_is_the_user(played: list[str], extra: str) -> None:
    """A transcript with one word that no word of the reply begins with is never the reply's echo."""
    assert not says_only(" ".join([*played[:2], extra]), " ".join(played))


def _gate_over(mic: np.ndarray, speaker: np.ndarray) -> EchoGate:
    """A gate (with its canceller) fed `mic` (16 kHz) while `speaker` (output rate) played."""
    cfg = load_config()
    frame, out_frame = cfg.frame_samples, cfg.audio.output_sample_rate * cfg.audio.frame_ms // 1000
    gate = EchoGate(cfg, EchoCanceller(RATE, frame))
    for i in range(mic.size // frame):
        played = speaker[i * out_frame : (i + 1) * out_frame]
        gate.cancel(mic[i * frame : (i + 1) * frame], np.pad(played, (0, out_frame - played.size)))
    return gate


def test_the_echo_follows_the_playback_and_a_user_does_not() -> None:
    """The reply's echo through a drifting path (1000 ppm, the canceller loses it) follows the playback
    above `FOLLOWS_RHO`, also judged 0.6 s later, when the burst's words are in; a real user over the same
    reply with headphones (nothing comes back) does not."""
    cfg = load_config()
    reply = steady_voice(cfg.audio.output_sample_rate).synthesize_sync(
        "Sorry, I don't have an answer to that. Could you say it another way?"
    )
    far = StreamResampler(cfg.audio.output_sample_rate, RATE)(reply).astype(np.float64)
    echo = to_int16(drifting(1000, 40, -6)(far) + np.random.default_rng(0).normal(0, 30, far.size))
    user = load_speech("goforward.wav")[: far.size]
    alone = to_int16(np.pad(user, (0, far.size - user.size)) * 0.5)
    frames, later = 50, 30  # the reply's last second; 0.6 s of quiet after it
    quiet = np.zeros(later * 320, np.int16)
    gate = _gate_over(np.concatenate([echo, quiet]), reply)
    echoed, then = gate.follows_playback(frames, later), gate.follows_playback(frames)
    spoken = _gate_over(alone, reply).follows_playback(frames)
    assert echoed >= FOLLOWS_RHO > spoken, (echoed, spoken)
    assert then < echoed  # the quiet after it holds less of the burst


def test_a_drifting_loudspeaker_never_puts_the_replys_words_in_the_users_mouth() -> None:
    """`assistant simulate` with a loudspeaker 6 dB down whose clock drifts 1000 ppm from the
    microphone's: every turn the engine heard is one of the recordings said (within 50 % WER of its
    transcript), none carried on by the reply's echo, and there is one turn per recording."""
    cfg = load_config(overrides=["llm.temperature=0"])
    names = ["goforward.wav", "cards-003.wav", "asterisk/vm-sorry.wav", "forever.wav", "cards-005.wav"]
    refs = references(DATA)
    for name in names:
        if name not in refs:
            refs[name] = (DATA / name).with_suffix(".txt").read_text().strip()
    options = SimulationOptions(echo_db=-6, echo_drift_ppm=1000, gaps_s=[0.6, 1.2, 0.8, 1.5])
    result = asyncio.run(simulate(cfg, [DATA / n for n in names], options, conversation=Conversation(cfg)))
    said = [t["user_text"] for t in result.report["turns"]]
    assert len(said) == len(names), said
    for name, text in zip(names, said, strict=True):
        assert word_error_rate([refs[name]], [text]) <= 0.5, (name, text)


@settings(max_examples=60, deadline=None, database=None)
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12)))
def test_any_drift_given_runs_or_gets_a_clear_error(value: str) -> None:
    """`assistant simulate --echo-drift-ppm`: a number within 1 % runs; anything else (nan, inf, a
    million ppm, words) is refused by argparse with a message, never a traceback from the resampler."""
    import argparse

    from assistant.cli import drift_ppm
    from assistant.transports.simulate import MAX_DRIFT_PPM

    try:
        ppm = drift_ppm(value)
    except argparse.ArgumentTypeError as refused:
        assert "ppm" in str(refused) or "not a number" in str(refused)
        with pytest.raises(ValueError, match="echo_drift_ppm"):
            SimulationOptions(echo_drift_ppm=float(value) if _is_float(value) else float("nan"))
        return
    assert abs(ppm) <= MAX_DRIFT_PPM
    StreamResampler(22050, RATE * (1 + SimulationOptions(echo_drift_ppm=ppm).echo_drift_ppm * 1e-6))


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
