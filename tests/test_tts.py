"""Piper, the bundled voice: what the listener hears first."""

from __future__ import annotations

import numpy as np

from assistant.audio import rms_dbfs
from assistant.config import load_config
from assistant.tts import Synthesizer
from assistant.tts.piper import trim_leading_silence


def test_a_reply_is_audible_from_its_first_10_ms() -> None:
    """Piper starts clauses with 30-50 ms of near silence (-95 dBFS) that the listener would wait through."""
    voice = Synthesizer(load_config().tts, 48000)
    for text in ("Going forward ten meters.", "The answer is four.", "Hello there!"):
        audio = voice.synthesize_sync(text)
        assert rms_dbfs(audio[:480]) > -65, text
        assert audio.size > 48000 * 0.5  # the words themselves are all there


def test_trimming_keeps_a_lead_in_and_leaves_silence_alone() -> None:
    sound = np.concatenate([np.zeros(800, np.int16), np.full(1600, 3000, np.int16)])
    trimmed = trim_leading_silence(sound, 16000)
    assert trimmed.size == 1600 + 80  # 5 ms before the first sound, at 16 kHz
    silence = np.zeros(1600, np.int16)
    assert trim_leading_silence(silence, 16000).size == 1600


async def test_the_conversations_call_is_the_same_voice() -> None:
    voice = Synthesizer(load_config().tts, 48000)
    audio = await voice.synthesize("The answer is four.", urgent=True)
    assert rms_dbfs(audio[:480]) > -65 and audio.size > 48000 * 0.5
