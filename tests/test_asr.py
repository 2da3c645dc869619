"""faster-whisper (bundled tiny.en) on real human speech."""

import numpy as np
from conftest import references

from assistant.asr import Transcriber
from assistant.asr.wer import normalise, word_error_rate
from assistant.audio import read_audio


def test_transcripts_of_real_speech(cfg, speech):
    transcriber = Transcriber(cfg.asr)
    refs = references()
    hyps = {name: transcriber.transcribe_sync(read_audio(speech[name[:-4]])).text for name in refs}
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


def test_normalisation_spells_digits():
    assert normalise("Go forward 10 meters.") == "go forward ten meters"
    assert normalise("And Mr. John") == "and mr john"
    assert word_error_rate(["ten of clubs"], ["10 of clubs."]) == 0.0
