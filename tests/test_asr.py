"""faster-whisper (bundled tiny.en) on real human speech."""

import numpy as np
from conftest import references

from assistant.asr import Transcriber
from assistant.asr.wer import normalise, word_error_rate
from assistant.audio import read_audio


def test_transcripts_of_real_speech(cfg, speech):
    """Finals (beam search) and partials (greedy) on the same recordings: both close, finals closer."""
    transcriber = Transcriber(cfg.asr)
    refs = references()
    audio = {name: read_audio(speech[name[:-4]]) for name in refs}
    finals = {name: transcriber.transcribe_sync(audio[name], final=True) for name in refs}
    partials = {name: transcriber.transcribe_sync(audio[name]).text for name in refs}
    assert normalise(finals["goforward.wav"].text) == "go forward ten meters"
    assert "clubs" in normalise(finals["cards-001.wav"].text)
    final_wer = word_error_rate(list(refs.values()), [finals[n].text for n in refs])
    greedy_wer = word_error_rate(list(refs.values()), [partials[n] for n in refs])
    print(f"WER: finals {final_wer:.1%}, greedy {greedy_wer:.1%}")
    assert final_wer < 0.2 and final_wer <= greedy_wer, (final_wer, greedy_wer)
    # The beam's other hypotheses come along, distinct and different from the best one; partials have none.
    for name, transcript in finals.items():
        alternatives = transcript.alternatives
        assert transcript.text not in alternatives and len(set(alternatives)) == len(alternatives)
        assert 0 < len(alternatives) <= cfg.asr.alternatives - 1, (name, alternatives)
    assert not transcriber.transcribe_sync(audio["goforward.wav"]).alternatives


def test_a_final_longer_than_whispers_window_is_transcribed_whole(cfg, speech):
    """Past 30 s there is no single beam to take alternatives from: the usual windowed path decodes it."""
    transcriber = Transcriber(cfg.asr)
    parts = [read_audio(speech[name[:-4]]) for name in references()]
    long = np.concatenate(parts * 2)
    assert long.size > 30 * 16000
    transcript = transcriber.transcribe_sync(long, final=True)
    words = normalise(transcript.text).split()
    assert len(words) > 60 and "clubs" in words and transcript.alternatives == ()


def test_normalisation_spells_digits():
    assert normalise("Go forward 10 meters.") == "go forward ten meters"
    assert normalise("And Mr. John") == "and mr john"
    assert word_error_rate(["ten of clubs"], ["10 of clubs."]) == 0.0
