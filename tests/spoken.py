"""The tests' own speaker: the bundled Piper voice with its noise off.

Piper draws random noise for each phoneme's sound and length (`noise_scale`, `noise_w`), so the same sentence
sounds a little different on every run, and now and then Whisper hears another word: "Add a note to buy
milk." came back as "add a note to buy a note" in 1 of 40 runs here, and as "buy my" on CI. A test's input
must be the same on every run and in any order; with the noise off it is. (Seeding onnxruntime, as
tests/test_intent.py does for its hundreds of phrases, fixes the noise only for one order of phrases.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.audio import write_wav
from assistant.config import load_config
from assistant.tts import Synthesizer

PAD_SAMPLES = 4800
"""0.3 s of silence at 16 kHz before and after each sentence, as a recording would have."""


def steady_voice(rate: int = 16000) -> Synthesizer:
    """The bundled voice (and its text normaliser) with Piper's noise off; int16 audio at `rate` Hz."""
    return Synthesizer(load_config(overrides=["tts.noise_scale=0", "tts.noise_w=0"]).tts, rate)


def say(voice: Synthesizer, text: str, path: Path) -> Path:
    """`text` said by `voice` (16 kHz) with silence around it, written to `path` as a WAV to simulate."""
    pad = np.zeros(PAD_SAMPLES, np.int16)
    write_wav(path, np.concatenate([pad, voice.synthesize_sync(text), pad]), 16000)
    return path
