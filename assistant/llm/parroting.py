"""Parroting: a small model that answers the user by repeating them word for word.

Qwen2.5 0.5B does it to statements and questions alike ("We've got two cats and a dog at home." ->
"We've got two cats and a dog at home."), 5 times in a row in one dialogue of the dialogue set once the
first one sits in the history, because the conversation so far then shows it as the way this assistant
talks. `ParrotWatch` holds a reply's opening back while its words are the user's own words in order; the
model is stopped once they cover most of what the user said, and the backend generates again with that
first token ruled out. A reply that departs from the user's words is let through, held text and all.
"""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

MIN_WORDS = 4
"""Shorter turns are not watched: "Yes." may well be answered "Yes, ..."."""
SHARE = 0.8
"""The share of the user's words, repeated in order from the reply's start, that makes a parrot."""


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


class ParrotWatch:
    """Feed a reply's text as it streams; each feed says what may be passed on now and whether the reply
    turned out to parrot `user_text` (then nothing held is to be said)."""

    def __init__(self, user_text: str) -> None:
        self._user = words(user_text)
        self._needed = max(MIN_WORDS, math.ceil(SHARE * len(self._user)))
        self.watching = len(self._user) >= MIN_WORDS
        self._held = ""
        self.parroted = False
        """The reply repeated the user's words: stop it, say none of it."""
        self.repeated = ""
        """What it repeated."""

    def feed(self, text: str, final: bool = False) -> str:
        """What of the reply so far may be said now ("" while it is being held). `final`: the reply
        ends here (its last word is complete): it is a repeat or all of it is passed on."""
        if not self.watching:
            return text
        self._held += text
        said = words(self._held)
        ended = final or not said or re.search(r"[^\w'’]$", self._held)  # the last word is complete
        complete, partial = (said, "") if ended else (said[:-1], said[-1])
        n = len(complete)
        copying = complete == self._user[:n] and (
            not partial or (n < len(self._user) and self._user[n].startswith(partial))
        )
        if copying and n >= min(self._needed, len(self._user)):
            self.watching, self.parroted = False, True
            self.repeated, self._held = self._held, ""
            return ""
        if copying and not final:
            return ""
        self.watching = False
        held, self._held = self._held, ""
        return held
