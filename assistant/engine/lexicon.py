"""Whether a short transcript holds a word at all, or only Whisper's guess at a sound.

Whisper writes something for almost any burst: a hummed "mm-hmm" during a reply came out as "NMO", a
throat-clearing as "Culp.". When such a burst paused a reply, the reply was cut for a word nobody
said. A transcript none of whose words is among the English words people use at least once in a
million words (wordfreq's "small" list, Zipf frequency `COMMON_ZIPF` and up, across its subtitle, web,
book and news sources) holds no word, and the burst is judged as a sound. A near miss of a word that
stops the assistant ("Stap", "stahp") is a word: "stop" said over a reply must never be let go. Most of
Whisper's inventions are real words ("in a month." for a synthetic "Mm-hmm."): this rule cannot tell
those; `holds_too_many_words` and the backchannel list catch some.

Source of the frequencies: R. Speer, wordfreq (MIT; its data under CC BY-SA 4.0). The small list loads
in ~25 ms and ~18 MB; the large one would add ~36 MB for names such as "Priya" (Zipf 2.9).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA
from wordfreq import zipf_frequency

from assistant.engine.commands import STOP_WORDS

COMMON_ZIPF = 3.0
"""From this Zipf frequency (log10 of uses per billion words; the small list holds no rarer word) a word
is one people say: "juno" 3.2, "stop" 5.5; not "nmo" (1.7 in the large list), "culp" 2.2, "mhm" 2.5."""

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@lru_cache(maxsize=4096)
def known(word: str) -> bool:
    """Whether `word` (any case) is one English speakers use, or a stop word of four letters or more with
    up to two letters wrong, added, dropped or swapped with a neighbour ("stahp", "wiat")."""
    word = word.lower()
    if word.isdigit() or zipf_frequency(word, "en", wordlist="small") >= COMMON_ZIPF:
        return True
    return any(OSA.distance(word, stop, score_cutoff=2) <= 2 for stop in STOP_WORDS if len(stop) > 3)


def holds_no_word(text: str) -> bool:
    """True when `text` has words and none of them is `known`: "NMO", "Culp.", "Mmhmm". False for ""
    (nothing was heard: other rules decide) and for any transcript with one real word in it."""
    words = _WORD.findall(text)
    return bool(words) and not any(known(w) for w in words)


def load() -> None:
    """Blocking, once per process: read the word list (call it off the event loop at start-up)."""
    known("the")
