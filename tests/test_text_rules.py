"""Clause chunking, adaptive endpointing, backchannels, the bus's control lane."""

import asyncio

from assistant.bus import EventBus
from assistant.config import TurnConfig
from assistant.engine.endpointing import is_backchannel, required_silence_ms
from assistant.events import BargeIn, PartialTranscript
from assistant.tts import ClauseChunker


def test_abbreviations_and_decimals_do_not_split():
    chunker = ClauseChunker(first_max_words=12)
    out = []
    for piece in [
        "Well",
        ",",
        " Mr.",
        " Smith",
        " lives",
        " at",
        " 3.5",
        " Main",
        " Street.",
        " He",
        " is",
        " nice",
        ".",
    ]:
        out += chunker.feed(piece)
    out += chunker.flush()
    assert out[0] == "Well, Mr. Smith lives at 3.5 Main Street."
    assert out[-1] == "He is nice."


def test_comma_cuts_the_first_clause_after_three_words():
    chunker = ClauseChunker()
    assert chunker.feed("Sure thing my friend, here is the answer ") == ["Sure thing my friend,"]


def test_long_text_without_punctuation_is_cut():
    chunker = ClauseChunker(max_words=5, first_max_words=3)
    assert chunker.feed("one two three four five six seven eight nine ten ") == [
        "one two three",
        "four five six seven eight",
    ]


def test_first_clause_is_cut_as_soon_as_the_next_word_begins():
    chunker = ClauseChunker()
    assert [chunker.feed(t) for t in [" It", " is", " three", " o'clock"]] == [[], [], [], []]
    assert chunker.feed(" now") == ["It is three o'clock"]
    chunker = ClauseChunker()
    assert [chunker.feed(t) for t in [" Take", " it", " to", " the", " end"]] == [[]] * 5  # never "to the"
    assert chunker.feed(" now") == ["Take it to the end"]


def test_first_clause_is_short_but_never_ends_on_an_article_or_preposition():
    chunker = ClauseChunker()
    out = []
    for token in [" He", " might", " have", " a", " very", " old", " friend", " in", " town", "."]:
        out += chunker.feed(token)
    out += chunker.flush()
    assert out[0] == "He might have a very"
    chunker = ClauseChunker()
    assert chunker.feed(" The queen of the north is here ") == ["The queen of the north"]


def test_endpoint_adapts_to_what_was_said():
    cfg = TurnConfig()
    complete = required_silence_ms("What time is it?", cfg)
    trailing = required_silence_ms("I want to go to the", cfg)
    conj = required_silence_ms("Ten of clubs and.", cfg)
    assert complete < required_silence_ms("ten of clubs", cfg) < trailing
    assert conj == trailing


def test_fillers_are_not_requests():
    from assistant.engine.endpointing import is_filler

    assert is_filler("Mm-hmm.") and is_filler("Uh...") and not is_filler("Yeah.") and not is_filler("")
    # Whisper spells drawn-out sounds with extra letters; words that look alike are still words.
    assert is_filler("MMM.") and is_filler("Hmmm?") and is_filler("Mhmm.") and is_filler("Uhh")
    assert not is_filler("Him.") and not is_filler("Hum.") and not is_filler("More.")


def test_backchannels():
    assert is_backchannel("Mm-hmm.") and is_backchannel("Yeah.") and is_backchannel("")
    assert not is_backchannel("Stop.") and not is_backchannel("What about tomorrow?")
    # Said again, or one "okay" written twice by Whisper: still one backchannel; a request is not.
    assert is_backchannel("Okay. Okay.") and is_backchannel("yeah yeah yeah")
    assert is_backchannel("Mm-hmm, mm-hmm.")
    assert not is_backchannel("Stop, stop.") and not is_backchannel("Okay, go on then.")


async def test_control_events_overtake_queued_ones():
    bus = EventBus()
    sub = bus.subscribe()
    for i in range(5):
        bus.publish(PartialTranscript(f"p{i}"))
    bus.publish(BargeIn(1, 80.0))
    first = await asyncio.wait_for(sub.get(), 1)
    assert isinstance(first, BargeIn)
    assert [sub.get_nowait().text for _ in range(5)] == [f"p{i}" for i in range(5)]
