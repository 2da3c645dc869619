"""Piper, the bundled voice: what the listener hears first."""

from __future__ import annotations

import numpy as np

from assistant.audio import rms_dbfs
from assistant.config import load_config
from assistant.tts import Synthesizer
from assistant.tts.piper import trim_leading_silence


def _first_sound_ms(audio: np.ndarray, rate: int = 48000) -> float:
    """When the first 5 ms frame of `audio` passes -60 dBFS, in ms from its start."""
    frame = rate // 200
    for start in range(0, audio.size - frame + 1, frame):
        if rms_dbfs(audio[start : start + frame]) > -60:
            return start * 1000 / rate
    return float("inf")


def test_a_reply_is_audible_within_20_ms() -> None:
    """Piper starts clauses with 30-50 ms of near silence (-95 dBFS) that the listener would wait through.
    The cut keeps 5 ms before a sound that may take 5-10 ms to rise; Piper's noise makes each take differ,
    and breathy onsets ("h", "f", "wh") rise slowly: five takes of each."""
    voice = Synthesizer(load_config().tts, 48000)
    for text in (
        "Going forward ten meters.",
        "Hello there!",
        "Fine, thanks.",
        "How are you?",
        "What time is it?",
    ):
        for _ in range(5):
            audio = voice.synthesize_sync(text)
            assert _first_sound_ms(audio) <= 15, text  # a 5 ms frame starting by 15 ms is heard
            assert rms_dbfs(audio[:960]) > -65, text
            assert audio.size > 48000 * 0.5  # the words themselves are all there


def test_trimming_keeps_a_lead_in_and_leaves_silence_alone() -> None:
    sound = np.concatenate([np.zeros(800, np.int16), np.full(1600, 3000, np.int16)])
    trimmed = trim_leading_silence(sound, 16000)
    assert trimmed.size == 1600 + 80  # 5 ms before the first sound
    silence = np.zeros(1600, np.int16)
    assert trim_leading_silence(silence, 16000).size == 1600
    stray = np.concatenate(
        [np.zeros(400, np.int16), [200], np.zeros(799, np.int16), np.full(1600, 3000, np.int16)]
    )
    assert trim_leading_silence(stray, 16000).size < 1600 + 160  # one stray sample is not the first sound


async def test_the_conversations_call_is_the_same_voice() -> None:
    voice = Synthesizer(load_config().tts, 48000)
    audio = await voice.synthesize("The answer is four.", urgent=True)
    assert _first_sound_ms(audio) <= 15 and audio.size > 48000 * 0.5


def test_what_the_voice_says_is_words_not_symbols() -> None:
    """Markdown, emoji, prices, times and dates through the chunker, the normaliser and Piper, transcribed
    back by Whisper: the words a person would say come back, the symbols' names never do."""
    import onnxruntime
    from piper import PiperVoice

    from assistant.asr import Transcriber
    from assistant.asr.wer import normalise
    from assistant.audio import resample
    from assistant.models import resolve_piper
    from assistant.tts import ClauseChunker
    from assistant.tts.markup import written
    from assistant.tts.normalise import shared_grammars, spoken

    cfg = load_config()
    grammars = shared_grammars()
    assert grammars.wait_ready()
    onnxruntime.set_seed(7)  # read when the session is created: the same audio every run
    seeded = PiperVoice.load(resolve_piper(cfg.tts.voice))
    voice, transcriber = Synthesizer(cfg.tts, 16000, seeded), Transcriber(cfg.asr)
    cases = [
        (
            "## Three easy steps\n- **Preheat** the oven 🙂\n",
            ["three easy steps", "preheat the oven"],
            ["hash", "asterisk", "smiling", "face"],
        ),
        (
            "It costs $49.95 after 8:00 on 3/4.",
            ["forty nine dollars and ninety five cents", "eight o'clock", "march fourth"],
            ["point", "slash"],
        ),
        ("Ask Dr. Smith, she is in on Jan. 5th, 2025.", ["doctor smith", "january fifth"], []),
        ("The 1st one is 50% off.", ["first", "fifty percent"], []),
        (
            r"So \[ F = C \times \frac{9}{5} + 32 \] in all.",  # LaTeX: said as maths, not skipped as code
            ["times nine over five plus thirty"],
            ["code", "frac"],
        ),
    ]
    for text, said, unsaid in cases:
        chunker = ClauseChunker()
        clauses = [c for token in text.split(" ") for c in chunker.feed(token + " ")] + chunker.flush()
        pad = np.zeros(8000, np.int16)  # half a second of silence each side, as in a recording
        audio = np.concatenate([pad, *(voice.synthesize_sync(written(c)) for c in clauses), pad])
        heard = transcriber.transcribe_sync(resample(audio, 16000, 16000), short_guard=False).text
        # Whisper writes "$49.95" for what it hears as forty-nine dollars...: compare spoken forms.
        words = normalise(spoken(heard, grammars))
        for phrase in said:
            assert normalise(phrase) in words, (text, heard)
        for word in unsaid:
            assert word not in normalise(heard).split(), (text, heard)


async def test_prepared_sentences_belong_to_their_voice() -> None:
    """The notices synthesised ahead of need were kept by `id(voice)`: a voice loaded where a freed one had
    been would have played them in the old voice. They are held by the voice now, and go with it."""
    import dataclasses
    import gc
    import weakref

    from assistant.tts import piper

    voice = Synthesizer(load_config().tts, 16000)
    await voice.prepare(["One moment."])
    said = voice.prepared("One moment.")
    assert said is not None and said.size > 16000 * 0.3
    other = Synthesizer(load_config().tts, 16000)
    other._voice = dataclasses.replace(voice._voice)  # another voice object (the same model files)
    assert other.prepared("One moment.") is None
    await other.prepare(["One moment."])
    key, gone = id(other._voice), weakref.ref(other._voice)
    assert key in piper._PREPARED
    del other
    gc.collect()
    assert gone() is None and key not in piper._PREPARED
    assert voice.prepared("One moment.") is said
