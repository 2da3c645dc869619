"""When does the user's turn end? The end-of-turn model's verdict, vetoed by words that trail off.

Whisper writes a full stop after any fragment it hears ("I'd like to book."), so punctuation alone ends
turns in the middle of sentences. The audio model hears intonation and timing instead; the words still
say "unfinished" when they end on "and", "the", "to" or "um". Without the model the punctuation rule
of `endpointing.py` decides, as before. The audio model is `assistant/turn/smart_turn.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import TurnConfig
from assistant.engine.endpointing import required_silence_ms, spoken_words, trails_off


@dataclass(frozen=True)
class EndOfTurn:
    """How much silence after the last speech ends the turn, and why."""

    silence_ms: int
    rule: str
    """complete (the model hears a finished turn), unfinished (it does not), trailing_word, no_words,
    or punctuation (no model: the transcript's last character decides)."""
    probability: float | None = None
    """Smart Turn's P(turn complete), when it was asked."""

    def as_dict(self) -> dict[str, object]:
        p = None if self.probability is None else round(self.probability, 3)
        return {"rule": self.rule, "probability": p, "silence_ms": self.silence_ms}


def end_of_turn(text: str, probability: float | None, cfg: TurnConfig) -> EndOfTurn:
    """The verdict for a transcript and the model's probability (None: no model)."""
    if not spoken_words(text):
        return EndOfTurn(cfg.endpoint_default_ms, "no_words", probability)
    if trails_off(text):
        return EndOfTurn(cfg.endpoint_incomplete_ms, "trailing_word", probability)
    if probability is None:
        return EndOfTurn(required_silence_ms(text, cfg), "punctuation", None)
    if probability >= cfg.end_of_turn_threshold:
        return EndOfTurn(cfg.endpoint_complete_ms, "complete", probability)
    return EndOfTurn(cfg.endpoint_incomplete_ms, "unfinished", probability)
