"""faster-whisper (bundled tiny.en) on real human speech."""

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


def test_normalisation_spells_digits():
    assert normalise("Go forward 10 meters.") == "go forward ten meters"
    assert normalise("And Mr. John") == "and mr john"
    assert word_error_rate(["ten of clubs"], ["10 of clubs."]) == 0.0
