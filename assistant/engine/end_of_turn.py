"""When does the user's turn end? Two second opinions on the end-of-turn model's verdict: words that
trail off, and the words model (`assistant/turn/words.py`), which can overrule it either way.

Whisper writes a full stop after any fragment it hears ("I'd like to book."), so punctuation alone ends
turns in the middle of sentences. The audio model hears intonation and timing instead; the words still
say "unfinished" when they end on "and", "the", "to" or "um". Without the model the punctuation rule
of `endpointing.py` decides, as before. The audio model is `assistant/turn/smart_turn.py`.

Each model errs where the other does not (docs/benchmarks.md, "End of turn on its own"): Smart Turn calls
a sixth of whole utterances unfinished, each then waiting 1.7 s, and a fifth of the fragments cut at a
pause finished, which splits the sentence; the words model's P(the message ends here) is independent of
its errors. So the words keep a "finished" only from `words_veto` up (fragments cut at a pause score a
median 0.001, whole utterances 0.16; a lone word from `words_veto_lone`) and turn an "unfinished" into
"finished" from `words_threshold`, or from `words_overrule` where Smart Turn was sure.

Words that end a sentence as often as they lead into one ("Thank you.", "than he was.", "What is it
for?", `endpointing.ends_on_open_word`) are left to the two models; conjunctions, articles and fillers
hold the turn whatever they say.

Neither model knows a lone word: Smart Turn doubts whole one-word replies ("extension": 0.02) as often as
it trusts a sentence's cut first word, and the words model scores both about 0.001. So a one-word turn
that does not trail off waits at most `endpoint_lone_ms`, not the 1.7 s of an unfinished phrase.

Where both are sure the phrase goes on (Smart Turn under 0.05, the words under 0.02: no whole utterance
of the probe's 70, half its fragments), the wait is `endpoint_sure_unfinished_ms` (2.5 s): a 1.5 s pause
with the gaps around it outlasts 1.7 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import TurnConfig
from assistant.engine.endpointing import (
    ends_cut_off,
    ends_on_ellipsis,
    ends_on_open_word,
    ends_on_trailing_word,
    required_silence_ms,
    spoken_words,
    trails_off,
)


@dataclass(frozen=True)
class EndOfTurn:
    """How much silence after the last speech ends the turn, and why."""

    silence_ms: int
    rule: str
    """complete (the model hears a finished turn), complete_words (it doubted, the words model did not),
    unfinished (it does not), sure_unfinished (both models are sure it goes on, or the audio model is
    and the words trail off: a longer wait), unfinished_words (the words model vetoed its "finished"),
    trailing_word,
    lone_word (one word that either model doubted: a shorter wait), unfinished_request (a tool asked for
    without what it needs), no_words, or punctuation (no model: the transcript's last character
    decides)."""
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


def overruled(probability: float, words: float, cfg: TurnConfig) -> bool:
    """Whether the words model's P(end) turns Smart Turn's "unfinished" into "finished": from
    `words_threshold` where Smart Turn doubted, from `words_overrule` however sure it was."""
    if probability >= cfg.end_of_turn_threshold:
        return False
    return words >= cfg.words_overrule or (doubtful(probability, cfg) and words >= cfg.words_threshold)


def trailing(text: str, probability: float | None, cfg: TurnConfig) -> bool:
    """The words trail off: they end on "and", "the", "um"; or on a comma or a cut word ("Yes,", "C-")
    unless the audio model hears a finished turn: Whisper's punctuation after a lone word is no better
    evidence than its full stop after a fragment. A word that may end a sentence or go on ("to", "you",
    "was") is left to the two models, and so is an ellipsis: Whisper writes one after a whole sentence
    read in a level voice ("Feels like these days go on forever...", Smart Turn 0.005, held 1.7 s through
    `assistant mic`) as after a cut phrase, and the words model reads the words without it. Without the
    audio model all of these trail off."""
    if ends_on_trailing_word(text):
        return True
    if probability is None:
        return trails_off(text)
    cut = ends_cut_off(text) and not ends_on_ellipsis(text)
    return cut and probability < cfg.end_of_turn_threshold


def lone(text: str) -> bool:
    """One word, perhaps said again: "Extension.", "5", "Okay. Okay." (Whisper's way with one "okay")."""
    return len(set(spoken_words(text))) == 1


def veto(text: str, cfg: TurnConfig) -> float:
    """The words model's P(end) below which it vetoes a "finished": lower for a lone word, where it knows
    least ("help" is a whole reply, "press" a sentence's start, and both score about 0.001)."""
    return cfg.words_veto_lone if lone(text) else cfg.words_veto


def asks_words(text: str, probability: float | None, cfg: TurnConfig) -> bool:
    """Whether the words model may change the verdict on this transcript: the audio model was asked, the
    words neither are empty nor trail off, and the verdict is a "finished" it could veto or a doubtful
    "unfinished" it could overrule."""
    if probability is None or not spoken_words(text) or trailing(text, probability, cfg):
        return False
    if probability >= cfg.end_of_turn_threshold:
        return veto(text, cfg) > 0
    return doubtful(probability, cfg) or cfg.words_overrule < 1


def end_of_turn(
    text: str,
    probability: float | None,
    cfg: TurnConfig,
    words: float | None = None,
    wants_more: bool = False,
) -> EndOfTurn:
    """The verdict for a transcript, the audio model's probability (None: no model) and the words model's
    (None: not asked). A lone word waits at most `endpoint_lone_ms` unless it trails off ("and").
    `wants_more`: the words ask for a tool and leave out what it needs ("Take a note."): the turn waits
    as after an unfinished phrase (rule `unfinished_request`)."""
    verdict = _verdict(text, probability, cfg, words)
    if wants_more and verdict.silence_ms < cfg.endpoint_incomplete_ms:
        verdict = EndOfTurn(cfg.endpoint_incomplete_ms, "unfinished_request", probability, words)
    goes_on = ends_on_trailing_word(text) or ends_on_open_word(text)
    if verdict.silence_ms > cfg.endpoint_lone_ms and lone(text) and not goes_on:
        return EndOfTurn(cfg.endpoint_lone_ms, "lone_word", probability, words)
    return verdict


def _verdict(text: str, probability: float | None, cfg: TurnConfig, words: float | None) -> EndOfTurn:
    if not spoken_words(text):
        return EndOfTurn(cfg.endpoint_default_ms, "no_words", probability)
    if trailing(text, probability, cfg):
        if _sure(probability, 0.0, cfg):
            return EndOfTurn(cfg.endpoint_sure_unfinished_ms, "sure_unfinished", probability)
        return EndOfTurn(cfg.endpoint_incomplete_ms, "trailing_word", probability)
    if probability is None:
        return EndOfTurn(required_silence_ms(text, cfg), "punctuation", None)
    if probability >= cfg.end_of_turn_threshold:
        if words is not None and words < veto(text, cfg):
            return EndOfTurn(cfg.endpoint_incomplete_ms, "unfinished_words", probability, words)
        return EndOfTurn(cfg.endpoint_complete_ms, "complete", probability, words)
    if words is not None and overruled(probability, words, cfg):
        return EndOfTurn(cfg.endpoint_complete_ms, "complete_words", probability, words)
    if _sure(probability, words, cfg):
        return EndOfTurn(cfg.endpoint_sure_unfinished_ms, "sure_unfinished", probability, words)
    return EndOfTurn(cfg.endpoint_incomplete_ms, "unfinished", probability, words)


def _sure(probability: float | None, words: float | None, cfg: TurnConfig) -> bool:
    """Both models are sure the phrase goes on (words 0.0 for words that trail off)."""
    return (
        probability is not None
        and words is not None
        and probability < cfg.sure_unfinished_below
        and words < cfg.sure_unfinished_words
    )
