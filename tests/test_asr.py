"""faster-whisper (bundled tiny.en) on real human speech."""

import asyncio

import numpy as np
import pytest
from conftest import references
from hypothesis import given
from hypothesis import strategies as st

from assistant.asr import Transcriber, hallucination, whisper
from assistant.asr.wer import normalise, word_error_rate
from assistant.audio import read_audio
from assistant.bench.usecases import _with_floor
from assistant.tools.intent.evaluate import flite


@pytest.mark.parametrize("window_s", [30.0, 20.0, 10.0])
def test_transcripts_of_real_speech(cfg, speech, window_s):
    """In the full window, the finals' default one (20 s) and the partials' (10 s)."""
    transcriber = Transcriber(cfg.asr)
    refs = references()
    hyps = {
        name: transcriber.transcribe_sync(read_audio(speech[name[:-4]]), window_s=window_s).text
        for name in refs
    }
    assert normalise(hyps["goforward.wav"]) == "go forward ten meters"
    assert "clubs" in normalise(hyps["cards-001.wav"])
    wer = word_error_rate(list(refs.values()), [hyps[n] for n in refs])
    assert wer < 0.2, (wer, hyps)


def test_a_second_look_adds_the_beams_hypotheses_only_when_asked(cfg, speech):
    """The one-window path gives the usual transcript; when asked, the beam's other hypotheses follow."""
    transcriber = Transcriber(cfg.asr)
    audio = {name: read_audio(speech[name[:-4]]) for name in references()}
    asked: list[str] = []

    def everything(text: str) -> bool:
        asked.append(text)
        return True

    texts = []
    for name, clip in audio.items():
        second = transcriber.transcribe_sync(clip, second_look=everything)
        never = transcriber.transcribe_sync(clip, second_look=lambda _: False)
        assert second.text == never.text and asked[-1] == never.text, name
        assert never.alternatives == () and transcriber.transcribe_sync(clip).alternatives == ()
        texts.append(second.text)
        alternatives = second.alternatives
        assert second.text not in alternatives and len(set(alternatives)) == len(alternatives)
        assert 0 < len(alternatives) <= cfg.asr.alternatives, (name, alternatives)
    assert word_error_rate(list(references().values()), texts) < 0.2


def test_a_final_longer_than_whispers_window_is_transcribed_whole(cfg, speech):
    """Past 30 s there is no single window to decode again: the usual windowed path decodes it all."""
    transcriber = Transcriber(cfg.asr)
    parts = [read_audio(speech[name[:-4]]) for name in references()]
    long = np.concatenate(parts * 2)
    assert long.size > 30 * 16000
    transcript = transcriber.transcribe_sync(long, second_look=lambda _: True)
    words = normalise(transcript.text).split()
    assert len(words) > 60 and "dashwood" in words and transcript.alternatives == ()


def test_a_decode_that_loops_in_a_short_window_is_done_again_in_the_full_one(cfg, speech, monkeypatch):
    """Whisper never saw the silence after "go forward ten meters" in a 4 s window, and says it forever."""
    transcriber = Transcriber(cfg.asr)
    tried: list[tuple[int, list[str] | None]] = []
    decode = transcriber._hypotheses

    def spy(features, frames, *args):  # type: ignore[no-untyped-def]
        result = decode(features, frames, *args)
        tried.append((frames, result))
        return result

    monkeypatch.setattr(transcriber, "_hypotheses", spy)
    transcript = transcriber.transcribe_sync(read_audio(speech["goforward"]), window_s=4)
    assert normalise(transcript.text) == "go forward ten meters"
    assert [frames for frames, _ in tried] == [400, 3000] and tried[0][1] is None
    tried.clear()
    again = transcriber.transcribe_sync(read_audio(speech["goforward"]))
    assert normalise(again.text) == "go forward ten meters"
    assert [frames for frames, _ in tried] == [int(cfg.asr.window_s * 100)] and tried[0][1] is not None


def test_a_partial_takes_the_partials_window_and_a_final_the_finals(cfg, speech, monkeypatch):
    transcriber = Transcriber(cfg.asr)
    windows: list[float] = []
    transcribe = transcriber.transcribe_sync

    def spy(audio, short_guard, second_look, window_s):  # type: ignore[no-untyped-def]
        windows.append(window_s)
        return transcribe(audio, short_guard, second_look, window_s)

    monkeypatch.setattr(transcriber, "transcribe_sync", spy)
    clip = read_audio(speech["forever"])
    partial = asyncio.run(transcriber.transcribe(clip[:16000]))
    final = asyncio.run(transcriber.transcribe(clip, final=True))
    assert windows == [cfg.asr.partial_window_s, cfg.asr.window_s] == [10.0, 20.0]
    assert normalise(partial.text).split()[0] == "feels"
    assert normalise(final.text) == "feels like these days go on forever"


def test_normalisation_spells_digits():
    assert normalise("Go forward 10 meters.") == "go forward ten meters"
    assert normalise("And Mr. John") == "and mr john"
    assert word_error_rate(["ten of clubs"], ["10 of clubs."]) == 0.0


@given(st.lists(st.sampled_from(["okay", "no", "yes", "sure", "stop"]), max_size=6))
def test_only_one_phrase_said_twice_is_doubled(words):
    assert hallucination._doubled(words + words) == bool(words)
    half = len(words) // 2
    assert hallucination._doubled(words) == (
        len(words) % 2 == 0 and half > 0 and words[:half] == words[half:]
    )


def _said(text: str) -> np.ndarray:
    """`text` in CMU Flite's voice over a faint room floor, as the bench's short pass says it."""
    return _with_floor(flite(text), np.random.default_rng(0))


@pytest.mark.parametrize("text", ["Okay.", "Sure.", "No.", "Yes."])
def test_a_lone_word_is_written_once(cfg, text):
    """In the 10 s window tiny.en wrote "Okay. Okay." or "Sure. Sure." for one word said once; a short
    clip whose transcript is one phrase twice is decoded again in the 20 s window."""
    transcriber = Transcriber(cfg.asr)
    decoded = transcriber.decode_clips([transcriber.clip(_said(text))])[0]
    assert normalise(decoded.text).split() == normalise(text).split(), decoded.text


@pytest.mark.parametrize("text", ["Okay, okay.", "No, no."])
def test_a_phrase_really_said_twice_stays_twice(cfg, text, monkeypatch):
    """The second opinion is asked (its window is the longer one) and keeps both words; where it heard
    nothing the first decode would stand."""
    monkeypatch.setattr(whisper, "_SHORT_CLIP_MS", 4000)  # both count as short here
    transcriber = Transcriber(cfg.asr)
    decoded = transcriber.decode_clips([transcriber.clip(_said(text))])[0]
    assert normalise(decoded.text).split() == normalise(text).split(), decoded.text
    assert decoded.window_s == 20.0, decoded
