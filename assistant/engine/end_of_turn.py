"""When does the user's turn end? The end-of-turn model's verdict, vetoed by words that trail off, and a
doubtful "unfinished" overruled by the words model (`assistant/turn/words.py`).

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
    """complete (the model hears a finished turn), complete_words (it doubted, the words model did not),
    unfinished (it does not), trailing_word, no_words, or punctuation (no model: the transcript's last
    character decides)."""
    probability: float | None = None
    """Smart Turn's P(turn complete), when it was asked."""
    words: float | None = None
    """The words model's P(the message ends here), when it was asked."""

    def as_dict(self) -> dict[str, object]:
        p = None if self.probability is None else round(self.probability, 3)
        out: dict[str, object] = {"rule": self.rule, "probability": p, "silence_ms": self.silence_ms}
        if self.words is not None:
            out["words"] = round(self.words, 4)
        return out


def doubtful(probability: float | None, cfg: TurnConfig) -> bool:
    """Whether Smart Turn's verdict is "unfinished" but close enough for the words model to overrule."""
    return probability is not None and cfg.words_from <= probability < cfg.end_of_turn_threshold


def end_of_turn(
    text: str, probability: float | None, cfg: TurnConfig, words: float | None = None
) -> EndOfTurn:
    """The verdict for a transcript, the model's probability (None: no model) and, for a doubtful one,
    the words model's (None: not asked)."""
    if not spoken_words(text):
        return EndOfTurn(cfg.endpoint_default_ms, "no_words", probability)
    if trails_off(text):
        return EndOfTurn(cfg.endpoint_incomplete_ms, "trailing_word", probability)
    if probability is None:
        return EndOfTurn(required_silence_ms(text, cfg), "punctuation", None)
    if probability >= cfg.end_of_turn_threshold:
        return EndOfTurn(cfg.endpoint_complete_ms, "complete", probability)
    if words is not None and doubtful(probability, cfg) and words >= cfg.words_threshold:
        return EndOfTurn(cfg.endpoint_complete_ms, "complete_words", probability, words)
    return EndOfTurn(cfg.endpoint_incomplete_ms, "unfinished", probability, words)
