"""The assistant's own voice heard back (`assistant/engine/own_echo.py`): the words, the sound, and the
engine with a loudspeaker whose echo drifts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import jiwer
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spoken import steady_voice
from test_echo import load_speech, to_int16
from test_echo_gate import RATE, drifting

from assistant.asr.wer import normalise, word_error_rate
from assistant.audio import StreamResampler
from assistant.bench.suite import references
from assistant.config import load_config
from assistant.engine.conversation import Conversation
from assistant.engine.echo_gate import EchoGate
from assistant.engine.own_echo import FOLLOWS_RHO, after_echo, says_only
from assistant.transports.loudspeaker import Loudspeaker
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


@pytest.mark.parametrize(
    ("heard", "played", "rest"),
    [
        ("Sorry, seven of clubs.", "Sorry, I don't have an answer to that.", "Seven of clubs."),
        ("sorry sorry ten of clubs", "Sorry.", "Ten of clubs"),
        ("Seven of clubs.", "Sorry.", "Seven of clubs."),
        ("Sorry. Sorry.", "Sorry, I can't.", ""),
        ("", "Sorry.", ""),
        ("Sorry, stop.", "", "Sorry, stop."),
        ("I'm sorry, turn it off", "Sorry about that.", "I'm sorry, turn it off"),  # only an opening run
    ],
)
def test_the_echo_that_opened_a_turn_leaves_only_the_users_words(heard: str, played: str, rest: str) -> None:
    assert after_echo(heard, played) == rest


@settings(max_examples=200, deadline=None, database=None)
@given(heard=st.text(max_size=60), played=st.text(max_size=120))
def test_what_is_left_after_the_echo_is_the_end_of_what_was_heard(heard: str, played: str) -> None:
    """Whatever Whisper writes: what is kept is the end of what was heard, only its first letter
    capitalised; nothing made up, nothing reordered."""
    after, tokens = after_echo(heard, played), heard.split()
    ends = [" ".join(tokens[i:]) for i in range(len(tokens) + 1)]
    assert after in [end[:1].upper() + end[1:] for end in ends]


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


def test_a_turn_the_replys_echo_opened_carries_nothing_on() -> None:
    """`assistant simulate` with a loudspeaker whose echo path moves between replies (160 ms, then 40:
    a loopback re-timed after a flush), each recording said 0.5 s into the reply before it. The reply's
    echo gets through at its start and opens a turn that the next recording goes on; that turn must not
    carry the last one on (its onset is the echo's, not the user's). So no turn is continued, and each
    recording is heard in a turn of its own (within 50 % WER of its transcript). On bb32439, in 3 runs
    of 3: 2-3 turns carried on ("7 of clubs all right feels like these days go on forever"). A misheard
    echo that makes a turn of its own ("Great. All right.", once in 3 runs) is another fault
    (`own_echo.py` judges its words) and is not asserted here; so is an echo word heard before the
    recording's own ("take 10 of close" for "ten of clubs", once in CI), which is why a recording is found
    by the share of its words missed (`_missed`), not by WER.
    The reply first cut here is heard as "Sorry, I": kept in the history, Qwen copied it into every later
    reply ("Sorry, I..."); no reply may be such a copy (`replies.without_a_short_cut`)."""
    cfg = load_config(overrides=["llm.temperature=0"])
    names = ["goforward.wav", "cards-003.wav", "forever.wav", "cards-005.wav", "cards-001.wav"]
    names.append("asterisk/dir-nomore.wav")
    refs = references(DATA)
    refs[names[-1]] = (DATA / names[-1]).with_suffix(".txt").read_text().strip()
    options = SimulationOptions(echo_db=-6, echo_delays_ms=[160, 40] * 3, barge_in_after_s=0.5)
    result = asyncio.run(simulate(cfg, [DATA / n for n in names], options, conversation=Conversation(cfg)))
    turns = result.report["turns"]
    said = [t["user_text"] for t in turns]
    assert not any(t.get("continues") for t in turns), said
    at = 0  # each recording in a turn of its own, in the order said ("7 of clubs" is near "10 of clubs")
    for name in names:
        found = next((i for i in range(at, len(said)) if _missed(refs[name], said[i]) <= 0.5), None)
        assert found is not None, (name, said)
        at = found + 1
    replies = [t["assistant_text"] for t in turns]
    assert not any(r.endswith("...") for r in replies), replies


def _missed(reference: str, heard: str) -> float:
    """The share of `reference`'s words that `heard` substitutes or deletes (0-1), after the WER's
    normalisation; words `heard` adds are not counted."""
    out = jiwer.process_words(normalise(reference), normalise(heard))
    return (out.substitutions + out.deletions) / max(1, out.hits + out.substitutions + out.deletions)


def _first_loud_frame(speaker: Loudspeaker, frames: int) -> int:
    """Play one loud frame (22.05 kHz) then silence: the frame index at which the microphone hears it."""
    loud = np.full(441, 8000, np.int16)
    heard = [speaker.echo(loud if i == 0 else np.zeros(441, np.int16)) for i in range(frames)]
    return next(i for i, f in enumerate(heard) if np.abs(f).max() > 1000)


@settings(max_examples=40, deadline=None, database=None)
@given(first=st.integers(0, 300), then=st.integers(0, 300))
def test_the_simulated_loudspeaker_moves_its_path_when_told(first: int, then: int) -> None:
    """`Loudspeaker` (what `simulate --echo` mixes in) gives the echo `delay_ms` later than a path of
    no delay does, in whole frames, and after `retime` the new delay, whichever way it moved."""
    steady, moved = Loudspeaker(22050, RATE, 20, -6, 0, 0), Loudspeaker(22050, RATE, 20, -6, first, 0)
    assert _first_loud_frame(moved, 40) - _first_loud_frame(steady, 40) == first // 20
    moved.retime(then)
    assert _first_loud_frame(moved, 40) - _first_loud_frame(steady, 40) == then // 20


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


@settings(max_examples=80, deadline=None, database=None)
@given(
    value=st.one_of(
        st.lists(st.integers(-5000, 5000), min_size=1, max_size=4).map(lambda d: ",".join(map(str, d))),
        st.text(max_size=12),
    )
)
def test_any_echo_delay_given_runs_or_gets_a_clear_error(value: str) -> None:
    """`assistant simulate --echo-delay-ms`: whole ms within range, one or one per input, are taken;
    anything else (negative, too long, words, empty items) gets argparse's message, and the options
    refuse what the command line would (a billion ms would have built a 32 GB echo line)."""
    import argparse

    from assistant.cli import echo_delays
    from assistant.transports.simulate import MAX_ECHO_DELAY_MS

    try:
        delays = echo_delays(value)
    except argparse.ArgumentTypeError as refused:
        assert "ms" in str(refused)
        return
    assert delays and all(0 <= d <= MAX_ECHO_DELAY_MS for d in delays)
    SimulationOptions(echo_delay_ms=delays[-1], echo_delays_ms=delays)
    with pytest.raises(ValueError, match="echo delay"):
        SimulationOptions(echo_delays_ms=[*delays, MAX_ECHO_DELAY_MS + 1])


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
