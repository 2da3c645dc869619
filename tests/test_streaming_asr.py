"""Streaming recognition on real speech: the final pass decodes only the tail; short clips one window."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import references
from hypothesis import given, settings
from hypothesis import strategies as st
from spoken import steady_voice

from assistant.asr import Transcriber
from assistant.asr.agreement import Word, join_words
from assistant.asr.streaming import StreamingRecognizer
from assistant.asr.wer import normalise, word_error_rate
from assistant.audio import read_audio
from assistant.transports.simulate import speech_span_ms

RATE = 16000
LIBRIVOX = [f"sense_and_sensibility_01_austen_64kb-0{n}" for n in (870, 880, 890, 920, 930)]


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    from assistant.config import load_config

    return Transcriber(load_config().asr)


def stream(recognizer: StreamingRecognizer, audio: np.ndarray, every_s: float = 0.6) -> None:
    """Partial passes as the engine runs them while the user speaks: one per `every_s` of new audio."""
    step = int(every_s * RATE)
    for end in range(step, audio.size, step):
        recognizer.partial_sync(audio[:end])


def test_a_long_real_turn_ends_with_a_short_final_pass(transcriber, speech):
    """Five consecutive sentences of one reading (~26 s, its own pauses): one turn. The final pass decodes
    a few seconds, not the turn, and the transcript is as good as faster-whisper's offline one."""
    audio = np.concatenate([read_audio(speech[name]) for name in LIBRIVOX])
    refs = references()
    reference = " ".join(refs[f"{name}.wav"] for name in LIBRIVOX)
    recognizer = StreamingRecognizer(transcriber)
    stream(recognizer, audio)
    final = recognizer.final_sync(audio)
    assert final.committed_words > 40
    assert final.decoded_ms < 8000 and final.decoded_from_s > audio.size / RATE - 8.5, final
    assert final.window_s == 10.0
    offline = transcriber._decode(audio.astype(np.float32) / 32768.0)
    streamed_wer = word_error_rate([reference], [final.transcript.text])
    offline_wer = word_error_rate([reference], [offline])
    assert streamed_wer <= offline_wer + 0.03, (final.transcript.text, offline)


def test_a_second_look_at_a_long_turn_decodes_only_its_tail(transcriber, speech, monkeypatch):
    """A near miss of a tool at the end of a long turn asks for the beam's alternatives: only the final
    pass's tail is searched again, from the encoding its first decode made (once the whole ~26 s turn was
    decoded again, 1.3-2.4 s here), and each alternative is the whole turn: the words before the cut,
    then the tail's hypothesis."""
    audio = np.concatenate([read_audio(speech[name]) for name in LIBRIVOX])
    recognizer = StreamingRecognizer(transcriber)
    stream(recognizer, audio)
    searched: list[float] = []
    encoded_again: list[int] = []
    beam, transcribe = transcriber.beam, transcriber.transcribe_sync

    def beam_spy(decoded, n=None, vocabulary=""):  # type: ignore[no-untyped-def]
        searched.append(decoded.clip.audio_ms)
        return beam(decoded, n, vocabulary)

    def transcribe_spy(clip, short_guard=True, second_look=None, window_s=None, vocabulary=""):  # type: ignore[no-untyped-def]
        encoded_again.append(clip.size)
        return transcribe(clip, short_guard, second_look, window_s, vocabulary)

    monkeypatch.setattr(transcriber, "beam", beam_spy)
    monkeypatch.setattr(transcriber, "transcribe_sync", transcribe_spy)
    final = recognizer.final_sync(audio, second_look=lambda text: True)
    assert searched == [final.decoded_ms] and final.decoded_ms < 8000 and encoded_again == [], final
    assert final.transcript.alternatives, "tiny.en's beam gives other hypotheses for seconds of speech"
    head = " ".join(final.transcript.text.split()[:20])
    for alternative in final.transcript.alternatives:
        assert alternative.startswith(head) and len(alternative.split()) > 40, alternative


def test_a_second_look_at_a_short_turn_searches_its_first_encoding(transcriber, speech, monkeypatch):
    """A short turn is decoded whole; its second look searches that decode's encoding with the beam and
    gives other whole-turn hypotheses, none of them the best one, without encoding the turn again."""
    audio = read_audio(speech["goforward"])
    recognizer = StreamingRecognizer(transcriber)
    stream(recognizer, audio)
    encoded_again: list[int] = []
    transcribe = transcriber.transcribe_sync

    def spy(clip, short_guard=True, second_look=None, window_s=None, vocabulary=""):  # type: ignore[no-untyped-def]
        encoded_again.append(clip.size)
        return transcribe(clip, short_guard, second_look, window_s, vocabulary)

    monkeypatch.setattr(transcriber, "transcribe_sync", spy)
    final = recognizer.final_sync(audio, second_look=lambda text: True)
    plain = recognizer.final_sync(audio)
    assert encoded_again == [] and plain.transcript.alternatives == ()
    alternatives = final.transcript.alternatives
    assert alternatives and final.transcript.text not in alternatives, alternatives
    assert len(set(alternatives)) == len(alternatives)
    assert all("forward" in a.lower() for a in alternatives), alternatives


@pytest.mark.parametrize("name", ["goforward", "cards-005", "forever"])
def test_a_short_turn_decodes_whole_and_right(transcriber, speech, name):
    audio = read_audio(speech[name])
    recognizer = StreamingRecognizer(transcriber)
    stream(recognizer, audio)
    final = recognizer.final_sync(audio)
    assert final.decoded_from_s < speech_span_ms(audio)[0] / 1000
    assert word_error_rate([references()[f"{name}.wav"]], [final.transcript.text]) < 0.25


def test_a_lone_yes_is_decoded_in_one_short_window(transcriber, monkeypatch):
    """A lone "yes" (0.35 s of the bundled voice): one encoding, in the 10 s window, no loop and no retry."""
    yes = steady_voice(RATE).synthesize_sync("Yes.")
    audio = np.concatenate([np.zeros(3200, np.int16), yes, np.zeros(3200, np.int16)])
    model = transcriber.model
    windows: list[int] = []
    encode = model.encode

    def spy(features):  # type: ignore[no-untyped-def]
        windows.append(features.shape[-1])
        return encode(features)

    monkeypatch.setattr(model, "encode", spy)
    final = StreamingRecognizer(transcriber).final_sync(audio)
    assert normalise(final.transcript.text) == "yes"
    assert windows == [1000], windows


def timed(text: str, start: float = 0.0, step: float = 0.4) -> list[Word]:
    return [Word(f" {w}", start + i * step, start + i * step + 0.3) for i, w in enumerate(text.split())]


def test_the_final_pass_reads_the_context_again(transcriber):
    """Two partials that both skipped "of your" had committed "letters party's"; the final pass hears the
    context with everything said after it, and its reading of it is the one kept. A final reading that
    lacks a committed word skipped it this time: the committed words stay."""
    recognizer = StreamingRecognizer(transcriber)
    recognizer._agreement.commit_all(timed("please enter the first three letters party's first name"))
    assert recognizer._context_from() == 2  # the last 3 s: "the first ... name"
    read = timed("the first three letters of your party's first name using the keypad", 0.8)
    assert join_words(recognizer._context_read_again(read)) == f"please enter {join_words(read)}"
    skipped = timed("the first three letters of first name", 0.8) + timed("using the keypad", 3.6)
    kept = join_words(recognizer._context_read_again(skipped))
    assert kept == "please enter the first three letters party's first name using the keypad"


@settings(max_examples=200, deadline=None)
@given(
    committed=st.lists(st.sampled_from(["a", "b", "c", "of", "the"]), min_size=1, max_size=20),
    decoded=st.lists(st.sampled_from(["a", "b", "c", "of", "the", "d"]), max_size=25),
    offset=st.floats(0.0, 6.0),
)
def test_the_final_pass_never_drops_a_committed_word(transcriber, committed, decoded, offset):
    recognizer = StreamingRecognizer(transcriber)
    recognizer._agreement.commit_all(timed(" ".join(committed)))
    words = iter(w.key for w in recognizer._context_read_again(timed(" ".join(decoded), offset)))
    assert all(key in words for key in committed)
