"""A turn that goes on after its endpoint is answered whole (`engine/continuation.py`).

The conversation test uses a real reading (LibriVox, ../shared/speech) cut after "how much", with a
1.2 s pause of its own room tone, and every endpoint hold at 300 ms so the endpoint fires inside the
pause on a slow machine too (it fired 400-900 ms after "much" on 2-core VMs, its final pass 350-650 ms;
with a 1 s pause it missed in both full-suite runs here on 2026-12-07, one final pass 731 ms): real
VAD, Whisper tiny.en, Smart Turn and Piper in real time. The LLM is scripted, so the test can see which
messages it was asked to answer, and starts its reply after 1 s, as the default model does on such a
machine, so no machine is fast enough to make the first reply audible before the rest of the sentence
(speech that starts once 0.4 s of a reply was heard may answer it, and is not carried on).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scripted import ScriptedLLM
from test_echo import load_speech

from assistant.asr import Transcriber, Transcript
from assistant.audio import write_wav
from assistant.config import load_config
from assistant.engine import Conversation
from assistant.engine.continuation import REACTION_S, carries_on, joined
from assistant.transports.simulate import simulate

READING = "sense_and_sensibility_01_austen_64kb-0870.wav"
"""'and mister john dashwood had then leisure to consider how much there might be prudently in his power
to do for them'"""
RATE = 16000


def paused_reading(path: Path, pause_s: float = 1.2) -> Path:
    """The reading with `pause_s` of its own quietest 20 ms, tiled, inserted after "much"; the cut is
    where Whisper places the word's end (not a hard-coded time)."""
    audio = load_speech(READING).astype(np.int16)
    words = Transcriber(load_config().asr).words_sync(audio, window_s=20).words
    much = next(w for w in words if w.text.strip(" ,.").lower() == "much")
    nxt = words[words.index(much) + 1]
    cut = int((much.end + nxt.start) / 2 * RATE)
    frames = audio[: audio.size // 320 * 320].reshape(-1, 320)
    quiet = frames[np.argmin(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)))]
    tone = np.tile(quiet, int(pause_s * RATE) // 320)
    write_wav(path, np.concatenate([audio[:cut], tone, audio[cut:]]), RATE)
    return path


def _cfg(continuation_ms: int):  # type: ignore[no-untyped-def]
    """Every hold 300 ms; no echo canceller: the input has no loudspeaker in it (headphones, or a browser
    that cancels its own echo), and the canceller's gate, which assumes until it has learned the room
    that the echo is as loud as the reply, would mask a quieter rest of the sentence that starts just
    after the reply became audible (tests/test_echo_gate.py)."""
    holds = [
        f"turn.{k}=300"
        for k in (
            "endpoint_complete_ms",
            "endpoint_default_ms",
            "endpoint_incomplete_ms",
            "endpoint_sure_unfinished_ms",
        )
    ]
    return load_config(
        overrides=[
            *holds,
            f"turn.continuation_ms={continuation_ms}",
            "echo.cancel=false",
            "tools.builtin=false",
        ]
    )


async def test_the_rest_of_a_sentence_after_a_pause_is_answered_with_its_first_half(tmp_path) -> None:  # type: ignore[no-untyped-def]
    wav = paused_reading(tmp_path / "paused.wav")
    on = _cfg(1500)
    llm = ScriptedLLM("I see, that is kind of him.", first_token_s=1.0)
    conv = Conversation(on, llm=llm)
    result = await simulate(on, [wav], conversation=conv)
    turns = result.report["turns"]
    assert len(turns) == 2 and turns[0].get("continued") and turns[1].get("continues"), turns
    users = [m for m in conv.history if m.role == "user"]
    assert len(users) == 1, conv.history
    text = users[0].content.lower()
    assert "dashwood" in text and "much" in text and "prudently" in text, text
    # Only one reply stays: the half-answer to the first half was taken back.
    assert [m.role for m in conv.history] == ["system", "user", "assistant"]
    assert llm.calls[-1][-1].content == users[0].content
    # The prompt cache held both halves before the end: the first half once it was carried on, then
    # both halves joined as the rest's partials came in (before, the rest was never evaluated ahead).
    first_half = turns[0]["user_text"].rstrip(".,")
    prefilled = [m[-1] for m in llm.prefilled]
    assert first_half in prefilled, (first_half, prefilled)
    assert any(p.startswith(first_half) and "might" in p.lower() for p in prefilled), prefilled

    # The same input without continuation: the endpoint in the pause makes two turns, two questions.
    off = _cfg(0)
    llm = ScriptedLLM("I see, that is kind of him.", first_token_s=1.0)
    conv = Conversation(off, llm=llm)
    result = await simulate(off, [wav], conversation=conv)
    users = [m.content.lower() for m in conv.history if m.role == "user"]
    assert len(users) == 2 and "dashwood" in users[0] and "prudently" in users[1], conv.history
    assert not any(t.get("continued") or t.get("continues") for t in result.report["turns"])


async def test_the_first_word_after_a_short_pause_is_not_lost_when_it_pauses_the_reply() -> None:
    """A real recording (tests/data/asterisk) whose speaker pauses 0.25 s after a whole sentence, "Please
    enter one or more keywords." [pause] "separated by star and then press the pound key.": the turn ends
    in the pause, the reply starts, "separated" pauses it, and at its stop consonant that burst was let
    go (too short to be words), so the turn that followed began 300 ms before "by" and "separated" was
    never heard. Real VAD, Whisper, Smart Turn, Piper and LLM (Gemma 3 270M: with its timing the burst
    is judged at its stop consonant; a scripted model's reply lets the burst run on)."""
    cfg = load_config(overrides=["llm.model=bundled:gemma-3-270m", "tools.builtin=false"])
    conv = Conversation(cfg)
    wav = Path(__file__).parent / "data" / "asterisk" / "demo-enterkeywords.wav"
    result = await simulate(cfg, [wav], conversation=conv)
    # The turns as heard (the history leaves out an exchange that an engine notice answered).
    said = " ".join(t["user_text"].lower() for t in result.report["turns"])
    for word in ("keywords", "separated", "star", "pound"):
        assert word in said, result.report["turns"]


@given(st.floats(0, 5), st.one_of(st.none(), st.floats(0, 5)), st.integers(0, 5000))
def test_only_prompt_speech_before_the_reply_could_be_reacted_to_carries_on(gap_s, audible_s, limit_ms):
    verdict = carries_on(gap_s, audible_s, limit_ms)
    reacted = audible_s is not None and audible_s >= REACTION_S
    assert verdict == (limit_ms > 0 and gap_s * 1000 <= limit_ms and not reacted)


def test_the_halves_join_with_their_alternatives() -> None:
    first = Transcript("Can you tell me how much.", 900, 50, ("Can you tell me how many.",))
    rest = Transcript("It costs to fly to Paris?", 1500, 80, ("It cost to fly to Paris?",))
    both = joined(first, rest)
    assert both.text == "Can you tell me how much it costs to fly to Paris?"
    assert both.alternatives == (
        "Can you tell me how much it cost to fly to Paris?",
        "Can you tell me how many it costs to fly to Paris?",
    )
    assert (
        joined(Transcript("Well.", 1, 1), Transcript("I think NASA knows.", 1, 1)).text
        == "Well I think NASA knows."
    )
    assert (
        joined(Transcript("Is it far?", 1, 1), Transcript("There we go.", 1, 1)).text
        == "Is it far? There we go."
    )
    assert joined(Transcript("Call", 1, 1), Transcript("NASA now.", 1, 1)).text == "Call NASA now."
    assert (both.audio_ms, both.compute_ms) == (2400, 130)
    assert joined(first, None) is first and joined(first, Transcript(" ", 10, 1)) is first
    assert both.rehear is None


async def test_the_rest_keeps_its_beam_on_demand() -> None:
    """A call misheard in the second half ("Convert 70 degrees Fahrenheit." [pause] "To soles.") can still
    be looked for in that half's beam, with the first half around each hypothesis."""

    async def beam() -> tuple[str, ...]:
        return ("To Celsius.", "To soles.")

    first = Transcript("Convert 70 degrees Fahrenheit.", 1500, 50)
    both = joined(first, Transcript("To soles.", 700, 40, (), beam))
    assert both.text == "Convert 70 degrees Fahrenheit to soles." and both.rehear is not None
    assert await both.rehear() == ("Convert 70 degrees Fahrenheit to Celsius.",)


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(_text, _text, st.lists(_text, max_size=3), st.lists(_text, max_size=3))
def test_any_two_halves_join_into_one_transcript_that_keeps_every_word(first, rest, alts1, alts2) -> None:
    """Whatever Whisper wrote (punctuation, emoji, blanks, control characters), joining never fails, keeps
    the words of both halves in order, and lists no alternative twice or equal to the text."""
    both = joined(Transcript(first, 1, 1, tuple(alts1)), Transcript(rest, 1, 1, tuple(alts2)))
    if not rest.strip():
        assert both.text == first
        return
    tail = both.text.split()[-len(rest.split()) :]
    assert tail[1:] == rest.split()[1:] and tail[0].lower() == rest.split()[0].lower()
    head = first.rstrip().rstrip(".,").split()
    assert both.text.split()[: len(head)] == head
    assert both.text not in both.alternatives and len(set(both.alternatives)) == len(both.alternatives)


def test_a_barge_in_inside_the_answered_recording_keeps_the_engines_measure() -> None:
    """The simulator measures a barge-in from the interrupting recording's first speech; when the
    interruption is the answered recording itself going on after a pause, that speech began before the
    reply was audible (it read 4.1 s for a reply cut 80 ms after the rest began), so the engine's own
    measure stays. A new recording that interrupts is measured from its own first speech, however late
    the engine heard it (under a loud echo a reply went on 1.1 s over the user while the engine said
    81 ms), and until the reply stopped for good."""
    from assistant.events import BargeIn, ReplyEnded, ReplySpoken
    from assistant.transports.sim_timeline import true_barge_in_times

    def measured(spans: list[tuple[float, float]], stops: tuple[float, ...] = (5.0,)) -> float:
        records = [{"interrupted": True, "timings_ms": {"barge_in": 80.0}}]
        events = [(4.0, ReplySpoken(1, "I see."))]  # audible from 4.0 s
        events += [(stop, BargeIn(1, 80.0, stopped_at=stop)) for stop in stops]
        events += [(stops[-1] + 0.5, ReplyEnded(1, "I see", interrupted=True))]
        true_barge_in_times(records, events, spans)
        return records[0]["timings_ms"]["barge_in"]

    assert measured([(0.2, 8.0)]) == 80.0  # the answered recording, going on
    assert measured([(0.2, 3.0), (4.8, 7.0)]) == 200.0  # a new recording, from its first speech
    assert measured([(0.2, 3.0), (4.1, 7.0)]) == 900.0  # heard late: still from its first speech
    assert measured([(0.2, 3.0), (4.1, 7.0)], stops=(4.2, 5.0)) == 900.0  # paused, resumed, stopped
    assert measured([(0.2, 3.0)]) == 80.0  # no recording under way: nothing better to measure from
    assert measured([(0.2, 3.0), (5.5, 7.0)]) == 80.0  # speech after the stop did not stop it
