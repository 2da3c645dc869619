"""What "it" stands for: a request that names its thing only by a pronoun acts on what was named before.

"Is the heating on?" then "Okay, turn it off then.": the second request names nothing, so the tools it may
call, the deed a reply may claim and the tool a claim makes the model call were all judged on "turn it
off" alone. Qwen2.5-Coder 0.5B answered it "The heating is off." with no tool called, which was said, and
once made to call the one tool "turn it off" matched, it cancelled a timer (a newcomer's thermostat,
probe of 2026-12-07). Read as "Okay, turn the heating off then.", it is the thermostat's.

The thing named before is the last of the user's earlier turns that names one (a noun that is not a
function word nor a pronoun, LemmInflect's parts of speech), in the words the user said it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.tools.intent.gate import FUNCTION_WORDS
from assistant.tools.intent.text import readings, tokenize

REMEMBERED_TURNS = 8
"""How many of the user's turns a conversation keeps for "it" to stand for (`Conversation.user_said`)."""
REFERRING = frozenset({"it", "them"})
"""Pronouns that stand for a thing named before. Not "that" and "this": "Cancel that." takes a request
back (`gate.retracted`), "Is that right?" asks about words."""
DETERMINERS = frozenset("the a an my your our his her their this that these those some".split())


DEFINITE = frozenset("the my your our his her their this that these those".split())
"""Determiners that name one thing in particular ("the heating"), not a kind ("a marathon")."""


def phrases(text: str, definite: bool = False) -> list[list[str]]:
    """The nouns of each phrase a determiner opens, up to the next function word, in order and as said
    ("Switch on the kitchen lights." -> [["kitchen", "lights"]]); `definite`: only after "the", "my", ...
    A bare word is not taken: "turn", "set" and "high" can be nouns."""
    norm = tokenize(text).norm
    found: list[list[str]] = []
    for i, word in enumerate(norm):
        if word not in (DEFINITE if definite else DETERMINERS):
            continue
        nouns = []
        for after in norm[i + 1 :]:
            if after in FUNCTION_WORDS or after in DETERMINERS:
                break
            if "NOUN" in readings(after):
                nouns.append(after)
        if nouns:
            found.append(nouns)
    return found


def things(text: str) -> list[str]:
    """The words of `text` that name things (`phrases`), in order and as said ("Is the heating on?" ->
    ["heating"])."""
    return [w for phrase in phrases(text) for w in phrase]


def noun_lemmas(words: Iterable[str]) -> frozenset[str]:
    """The lemmas of `words` as nouns ("kitchen", "lights" -> {kitchen, light})."""
    return frozenset(lemma for w in words for lemma in readings(w).get("NOUN", ()))


def resolved(text: str, earlier: Sequence[str]) -> str:
    """`text` with its first referring pronoun ("it", "them") replaced by the words of the thing named
    last before it (`earlier`: the user's earlier turns, oldest first); `text` unchanged when it names a
    thing itself, holds no such pronoun, or nothing was named before. "Okay, turn it off then." after
    "Is the heating on?" -> "Okay, turn the heating off then."."""
    if not unresolved(text):
        return text
    named = next((t for turn in reversed(earlier) if (t := things(turn))), None)
    if named is None:
        return text
    pattern = re.compile(rf"\b(?:{'|'.join(sorted(REFERRING))})\b", re.IGNORECASE)
    return pattern.sub(f"the {' '.join(named)}", text, count=1)


def unresolved(text: str) -> bool:
    """Whether `text` names its thing only by a pronoun ("Turn it off.") and names nothing else: what it
    acts on is not known (`resolved` found nothing named before)."""
    return not things(text) and bool(REFERRING.intersection(tokenize(text).norm))
