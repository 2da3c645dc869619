"""What Whisper's decoder is given and gives back, and the CTranslate2 calls made on a kept clip.

A `Clip` is audio made ready for the decoder (features, prompt, window); `Decoded` holds a clip's words
with their times; a `Transcript` is a whole turn's text with the beam's other hypotheses. A clip's
encoding may be kept, so that a second look (`beam_search`) costs only the decoder; `aligned_words` turns
the decoder's cross-attention alignment into timed words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.asr.agreement import Word, join_words


@dataclass(frozen=True)
class Transcript:
    """A turn's text, and what decoding it cost."""

    text: str
    audio_ms: float
    compute_ms: float
    alternatives: tuple[str, ...] = ()
    """Other hypotheses of a final transcript that nearly asked for a tool, best first (never `text`)."""
    rehear: Callable[[], Awaitable[tuple[str, ...]]] | None = field(default=None, compare=False, repr=False)
    """The beam's other hypotheses on demand, for a final transcript that got none (`alternatives`) but
    whose tool call turned out misheard (`ToolTurn._heard_otherwise`); None where there is nothing kept to
    search again."""
    hummed: str | None = None
    """The clip decoded again with hums in Whisper's prompt, for a burst over a reply whose own transcript
    would have cut the reply (`asr/hums.py`); None where not asked."""


@dataclass(frozen=True)
class Decoded:
    """Words of one clip with their times, and what decoding it cost."""

    words: list[Word]
    audio_ms: float
    """The length of the clip decoded."""
    window_s: float
    """The encoder's window in seconds (10, or the clip and a second more; twice that after a loop)."""
    compute_ms: float
    clip: Clip | None = None
    """The clip decoded, with its encoding when the caller asked to keep it (`decode_clips`)."""
    encoded: Any = None
    """The clip's encoder output (CTranslate2, batch of one), kept for `Transcriber.beam` when asked."""
    logprob: float = 0.0
    """The decode's average log-probability per token (Whisper's `avg_logprob`; 0 where unknown)."""

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass(frozen=True)
class Clip:
    """A clip ready for the decoder (`Transcriber.clip`): its features and prompt, and its window."""

    features: np.ndarray
    """Log-mel features, shape (n_mels, frames at 100 a second)."""
    prompt_ids: list[int]
    tokenizer: Any
    limit: int
    """The most tokens the clip can hold; a decode that reaches it has looped."""
    frames: int
    """The encoder's window in feature frames (100 a second)."""
    offset_s: float
    """Added to every word time: where the clip starts in the turn."""
    audio_ms: float
    retried: bool = False


def beam_search(model: Any, clip: Clip, encoded: Any, beam_size: int, n: int = 1) -> Any:
    """Blocking: CTranslate2's beam search for a clip from its kept encoding, with the clip's prompt and
    token limit; the result's `sequences_ids` (the `n` best, best first, each ending in <|endoftext|>) and
    `scores` (average log-probability per token)."""
    return model.model.generate(
        encoded,
        [clip.prompt_ids],
        beam_size=beam_size,
        num_hypotheses=n,
        max_length=min(model.max_length, len(clip.prompt_ids) + clip.limit),
        return_scores=True,
        suppress_blank=True,
        suppress_tokens=[-1],
    )[0]


def aligned_words(clip: Clip, alignment: list[dict[str, Any]]) -> list[Word]:
    """The words of a clip's alignment (CTranslate2's `find_alignment`), punctuation joined to its word,
    with times from the turn's start (s)."""
    from faster_whisper.transcribe import merge_punctuations

    merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
    at = clip.offset_s
    return [Word(a["word"], at + float(a["start"]), at + float(a["end"])) for a in alignment if a["word"]]


def _one_of(encoded: Any, i: int, n: int) -> Any:
    """Clip `i`'s encoder output out of a batch of `n` (None where it cannot be cut out: not on a CPU)."""
    if n == 1:
        return encoded
    if getattr(encoded, "device", "cpu") != "cpu":
        return None
    import ctranslate2

    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[i : i + 1]))
