"""The beam fallback: a final pass Whisper decoded unsurely is searched again with a beam from its own
encoding, on real speech (the project's LibriVox, card and Asterisk recordings), through the engine's
final pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, references
from hypothesis import given
from hypothesis import strategies as st

from assistant.asr import Transcriber
from assistant.asr.fallback import beam_fallback, said_again
from assistant.asr.streaming import StreamingRecognizer
from assistant.asr.wer import word_error_rate
from assistant.audio import read_audio
from assistant.config import load_config


def recordings() -> list[tuple[Path, str]]:
    """Every real recording of tests/data with its reference transcript."""
    found = [(DATA / name, text) for name, text in references().items()]
    found += [
        (w, w.with_suffix(".txt").read_text().strip()) for w in sorted((DATA / "asterisk").glob("*.wav"))
    ]
    return found


@pytest.fixture(scope="module")
def transcribers() -> dict[str, Transcriber]:
    asr = load_config().asr
    return {
        "greedy": Transcriber(asr.model_copy(update={"fallback_logprob": -100.0})),
        "fallback": Transcriber(asr),
    }


def test_unsure_finals_of_real_speech_are_searched_again_and_no_worse(transcribers):
    finals = {name: [] for name in transcribers}
    for path, _ in recordings():
        audio = read_audio(path)
        for name, transcriber in transcribers.items():
            finals[name].append(StreamingRecognizer(transcriber).final_sync(audio).transcript.text)
    refs = [text for _, text in recordings()]
    greedy, fallback = (word_error_rate(refs, finals[name]) for name in ("greedy", "fallback"))
    changed = sum(g != f for g, f in zip(finals["greedy"], finals["fallback"], strict=True))
    assert 1 <= changed <= len(refs) // 3, f"{changed} of {len(refs)} finals searched again and changed"
    assert fallback <= greedy, f"WER {greedy:.2%} greedy -> {fallback:.2%} with the fallback"


def test_only_an_unsure_decode_with_its_encoding_is_searched(transcribers, speech):
    transcriber = transcribers["fallback"]
    audio = read_audio(speech["sense_and_sensibility_01_austen_64kb-0890"])
    clip = transcriber.clip(audio)
    kept, bare = transcriber.decode_clips([clip], keep_encoding=True)[0], transcriber.decode_clips([clip])[0]
    assert kept.logprob == pytest.approx(bare.logprob) and kept.logprob < 0
    assert beam_fallback(transcribers["greedy"], kept) is None  # a threshold nothing is under
    assert beam_fallback(transcriber, bare) is None  # no encoding kept
    assert kept.logprob < transcriber.config.fallback_logprob  # Whisper is unsure of "ill disposed"
    again = beam_fallback(transcriber, kept)
    assert again is not None and again.text != kept.text and again.encoded is kept.encoded
    assert "ill" in again.text.lower().replace("-", " ").split()
    assert again.compute_ms > kept.compute_ms
    assert [w.start for w in again.words] == sorted(w.start for w in again.words)
    assert again.text.split()[0] == transcriber.beam(kept, 5)[0].split()[0]


@given(st.lists(st.sampled_from("add a note by eggs and bread timer".split()), max_size=30))
def test_a_phrase_said_again_is_found_wherever_it_is(words):
    again = said_again(words)
    for phrase in again:
        starts = [i for i in range(len(words) - 2) if tuple(words[i : i + 3]) == phrase]
        assert len(starts) >= 2
    assert said_again([*words, "x", *words[:3]]) >= ({tuple(words[:3])} if len(words) >= 3 else set())
    assert not said_again(list(map(str, range(len(words)))))
