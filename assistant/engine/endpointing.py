"""How long a silence ends the user's turn, judged from what they said so far.

A finished sentence ("What time is it?") can end the turn after a short pause; a turn that trails off on
a conjunction or a filler ("I want to go to the...", "and um") gets a long one.
"""

from __future__ import annotations

import re

from assistant.config import TurnConfig

_TRAILING = {
    "and",
    "but",
    "or",
    "because",
    "um",
    "uh",
    "er",
    "the",
    "a",
    "an",
    "my",
    "your",
    "if",
    "i",
    "we",
    "into",
    "than",
    "as",
    "which",
    "also",
}
"""Words that hardly ever end a sentence: conjunctions, articles, fillers, determiners."""
_OPEN = {
    "so",
    "to",
    "of",
    "with",
    "for",
    "in",
    "on",
    "at",
    "is",
    "was",
    "then",
    "like",
    "that",
    "you",
    "about",
    "from",
    "what",
    "when",
    "where",
    "how",
    "maybe",
    "well",
}
"""Words that lead into more as often as they end a sentence ("Thank you.", "than he was.", "What is it
for?", "I think so."): they hold a turn only where nothing else says it is finished."""
_BACKCHANNELS = {
    "mm hmm",
    "mhm",
    "mm",
    "hmm",
    "uh huh",
    "yeah",
    "yes",
    "yep",
    "okay",
    "ok",
    "right",
    "sure",
    "uh",
    "um",
    "ah",
    "oh",
    "i see",
    "got it",
    "alright",
    "all right",
}


def spoken_words(text: str) -> list[str]:
    """Lower-case words without punctuation, as the turn rules compare them; numbers count (Whisper
    writes a spoken "five" as "5")."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def trails_off(text: str) -> bool:
    """The words end on a conjunction, an article, a filler, a word that may go on ("to", "you") or a
    comma: by the words alone, more may follow."""
    return ends_on_trailing_word(text) or ends_on_open_word(text) or ends_cut_off(text)


def ends_cut_off(text: str) -> bool:
    """Words that end on a comma, an ellipsis or a dash ("Yes,", "No...", "C-")."""
    return bool(spoken_words(text)) and text.rstrip().endswith((",", "...", "…", "-"))


def ends_on_ellipsis(text: str) -> bool:
    """Words that end on an ellipsis ("No...", "go on forever..."): Whisper writes one where the voice
    trails away, after a whole sentence read in a level voice as after a phrase cut by a pause."""
    return bool(spoken_words(text)) and text.rstrip().endswith(("...", "…"))


def ends_on_trailing_word(text: str) -> bool:
    """The last word is a conjunction, an article or a filler: the words themselves go on, whatever the
    punctuation Whisper gave them."""
    return _last_word(text) in _TRAILING


def ends_on_open_word(text: str) -> bool:
    """The last word may end a sentence or lead into more ("to", "you", "was", "what")."""
    return _last_word(text) in _OPEN


def _last_word(text: str) -> str:
    words = spoken_words(text)
    return words[-1] if words else ""


def required_silence_ms(text: str, cfg: TurnConfig) -> int:
    """The punctuation rule (used without the end-of-turn model)."""
    words = spoken_words(text)
    if not words:
        return cfg.endpoint_default_ms
    stripped = text.rstrip()
    if trails_off(text):
        return cfg.endpoint_incomplete_ms
    if stripped.endswith((".", "?", "!")):
        return cfg.endpoint_complete_ms
    return cfg.endpoint_default_ms


_FILLERS = {"mm", "hmm", "mhm", "uh", "um", "huh", "er", "ah", "oh"}
_SOUND = re.compile(r"(m+|h+m+|m+h+m+|u+h+|u+m+|e+r+m*|a+h+|o+h+|h+u+h+)")
"""Drawn-out fillers as Whisper spells them: "mmm", "hmmm", "uhh", "mhmm"."""


def _is_sound(word: str) -> bool:
    return word in _FILLERS or bool(_SOUND.fullmatch(word))


def is_filler(text: str) -> bool:
    """'mm-hmm', 'uh': sounds that carry no request, so they never start a reply on their own."""
    words = spoken_words(text)
    return bool(words) and all(_is_sound(w) for w in words)


def is_backchannel(text: str) -> bool:
    """'mm-hmm', 'yeah', 'okay': the listener is following, not taking the turn."""
    words = spoken_words(text)
    if not words:
        return True
    phrase = " ".join(words)
    if phrase in _BACKCHANNELS or (len(words) <= 3 and all(_is_sound(w) or w == "yeah" for w in words)):
        return True
    # Said again ("okay, okay", "yeah yeah yeah"; Whisper also writes one "okay" as "Okay. Okay."): still
    # one backchannel.
    half = len(words) // 2
    for n in range(1, half + 1):
        unit = words[:n]
        if len(words) % n == 0 and unit * (len(words) // n) == words and " ".join(unit) in _BACKCHANNELS:
            return True
    return False
