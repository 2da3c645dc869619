"""What Whisper writes that nobody said, and how it is caught.

Whisper invents text over a short, quiet clip that holds no words ("Thank you.", "you"); it loops, saying
a phrase again and again when it cannot see the silence that ends the speech; in a short window it writes
one word said once as a phrase said twice ("Okay. Okay."); and it decodes a window where nothing was said.
These tests are shared by the one-window decode (`whisper.py`), the streaming passes (`streaming.py`) and
the beam fallback (`fallback.py`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_HALLUCINATIONS = {
    "you",
    "thank you",
    "thanks for watching",
    "thank you for watching",
    "bye",
    "so",
    "oh",
    "uh",
    "um",
    "hmm",
    "the",
    "i",
    "a",
}


def normalise(text: str) -> str:
    """Lower case, with anything but letters, digits and apostrophes made a space: words to compare."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


def looks_invented(text: str, audio: np.ndarray) -> bool:
    """What Whisper says over a short, quiet clip that holds no words ("Thank you.", "you")."""
    return normalise(text) in _HALLUCINATIONS and audio.size < 1.5 * 16000 and _is_weak(audio)


def _doubled(words: list[str]) -> bool:
    """The whole transcript is one phrase said twice ("Okay. Okay." for one "okay")."""
    half = len(words) // 2
    return half > 0 and len(words) % 2 == 0 and words[:half] == words[half:]


def doubled_end(keys: list[str], shortest: int = 4) -> int:
    """How many words at the end repeat, word for word, the phrase just before them ("... in his power
    to do for them. There might be prudently in his power to do for them."), for phrases of `shortest`
    words or more; 0 when none. Whisper decoding a short tail after its prompt sometimes says it twice;
    a person seldom says four words again at once, and the words are kept once."""
    for n in range(len(keys) // 2, shortest - 1, -1):
        if keys[-n:] == keys[-2 * n : -n]:
            return n
    return 0


def _repeats(ids: list[Any]) -> bool:
    """A phrase of two or more tokens (or words) said three times in a row at the end: Whisper looping."""
    for n in range(2, len(ids) // 3 + 1):
        if ids[-n:] == ids[-2 * n : -n] == ids[-3 * n : -2 * n]:
            return True
    return False


def _no_speech(no_speech_prob: float, avg_logprob: float) -> bool:
    """Whisper's own test for a window with nothing said, a little stricter on the log-probability."""
    return no_speech_prob > 0.6 and avg_logprob < -0.8


def _is_weak(audio: np.ndarray) -> bool:
    """Short clips whose loudest 100 ms stay quiet are what Whisper hallucinates on."""
    n = 1600
    if audio.size < n:
        return True
    chunks = audio[: audio.size // n * n].reshape(-1, n).astype(np.float32)
    peak_rms = float(np.sqrt(np.mean(chunks**2, axis=1)).max())
    return peak_rms < 3000
