""" "There" in a request for a place: the place the user named last ("my sister moved to Toronto" ...
"what's the time over there?").

A locative pro-form refers back to a place in the discourse (Halliday and Hasan, "Cohesion in English",
1976: "there" as demonstrative reference). The user's turns are searched, latest first, for a place the
way people name one in passing: capitalised words after a preposition of place ("moved *to Toronto*",
"lives *in New York*", "a flight *to Madrid*"). Existential "there" ("there is", "are there any") refers
to nothing and is left alone.
"""

from __future__ import annotations

import re

from assistant.tools.intent.text import tokenize

PREPOSITIONS = frozenset("in to from at near around visiting".split())
"""What introduces a place named in passing: "moved *to* Toronto", "she's *in* Lisbon"."""
EXISTENTIAL = frozenset("is are was were will would has have had be been be's isn't aren't".split())
"""After "there", these make it existential ("there is a ...", "are there ...") rather than a place."""
MAX_PLACE_WORDS = 3
_CAPITALISED = re.compile(r"[A-Z][\w'’.-]*")


def refers_to_a_place(text: str) -> bool:
    """Whether `text` says "there" for a place: "what's the time over there?", "is it raining there
    now?"; not "there are two timers" or "are there any notes?"."""
    norm = tokenize(text).norm
    for i, word in enumerate(norm):
        if word != "there":
            continue
        after = norm[i + 1] if i + 1 < len(norm) else ""
        before = norm[i - 1] if i > 0 else ""
        if after not in EXISTENTIAL and before not in EXISTENTIAL:
            return True
    return False


def named_places(text: str) -> list[str]:
    """Places named in `text` after a preposition of place, in order: "My sister just moved to Toronto
    for a job." -> ["Toronto"]; "from New York to Los Angeles" -> ["New York", "Los Angeles"]."""
    words = text.replace(",", " , ").replace(".", " . ").split()
    places = []
    for i, word in enumerate(words[:-1]):
        if word.lower() not in PREPOSITIONS:
            continue
        span = []
        for nxt in words[i + 1 : i + 1 + MAX_PLACE_WORDS]:
            if not _CAPITALISED.fullmatch(nxt) or nxt == "I":
                break
            span.append(nxt.rstrip(".'’"))
        if span:
            places.append(" ".join(span))
    return places
