"""What "it" stands for: a request that names its thing only by a pronoun acts on what was named before.

"Is the heating on?" then "Okay, turn it off then.": the second request names nothing, so the tools it may
call, the deed a reply may claim and the tool a claim makes the model call were all judged on "turn it
off" alone. Qwen2.5-Coder 0.5B answered it "The heating is off." with no tool called, which was said, and
once made to call the one tool "turn it off" matched, it cancelled a timer (a newcomer's thermostat,
probe of 2026-12-07). Read as "Okay, turn the heating off then.", it is the thermostat's.

The thing named before is the last of the user's earlier turns that names one (a noun that is not a
function word nor a pronoun, LemmInflect's parts of speech), in the words the user said it. A phrase that
says where is no thing: after "Start the vacuum in the hall.", "What is it doing now?" asks about the
vacuum (it had been read as "the vacuum hall", and the tool that reads the vacuum was never called).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from assistant.tools import Tool
from assistant.tools.intent.gate import FUNCTION_WORDS
from assistant.tools.intent.speech_act import COMMAND_LEAD, is_question, opens_with_a_verb
from assistant.tools.intent.text import readings, spelled_out, tokenize

REMEMBERED_TURNS = 8
"""How many of the user's turns a conversation keeps for "it" to stand for (`Conversation.user_said`)."""
REFERRING = frozenset({"it", "them", "they"})
"""Pronouns that stand for a thing named before ("How far open are they?" after "Close the bedroom
blinds."). Not "that" and "this": "Cancel that." takes a request back (`gate.retracted`), "Is that
right?" asks about words."""
DETERMINERS = frozenset("the a an my your our his her their this that these those some".split())


WHERE = frozenset("in at into inside outside from to near under behind beside through around".split())
"""Prepositions whose phrase says where ("in the hall"), not what. Not "on", "off", "up", "over": they
are also particles of a verb ("Switch on the heating")."""
DEFINITE = frozenset("the my your our his her their this that these those".split())
"""Determiners that name one thing in particular ("the heating"), not a kind ("a marathon")."""


def phrases(text: str, definite: bool = False, where: bool = True) -> list[list[str]]:
    """The nouns of each phrase a determiner opens, up to the next function word, in order and as said
    ("Switch on the kitchen lights." -> [["kitchen", "lights"]]); `definite`: only after "the", "my", ...;
    `where=False`: not those that say where (after a preposition of `WHERE`: "in the hall"). A bare word
    is not taken: "turn", "set" and "high" can be nouns."""
    norm = tokenize(text).norm
    found: list[list[str]] = []
    for i, word in enumerate(norm):
        if word not in (DEFINITE if definite else DETERMINERS):
            continue
        if not where and i > 0 and norm[i - 1] in WHERE:
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


def thing(text: str) -> list[str]:
    """The words of the thing `text` acts on or asks about: its first phrase that does not say where
    (`phrases`), as said ("Is the heating on?" -> ["heating"], "Start the vacuum in the hall." ->
    ["vacuum"]); [] when it names none ("Start it in the kitchen.")."""
    return next(iter(phrases(text, where=False)), [])


def noun_lemmas(words: Iterable[str]) -> frozenset[str]:
    """The lemmas of `words` as nouns ("kitchen", "lights" -> {kitchen, light})."""
    return frozenset(lemma for w in words for lemma in readings(w).get("NOUN", ()))


def resolved(text: str, earlier: Sequence[str], kinds: Mapping[str, str] | None = None) -> str:
    """`text` with its first referring pronoun ("it", "them") replaced by the words of the thing named
    last before it (`earlier`: the user's earlier turns, oldest first); `text` unchanged when it names a
    thing itself, holds no such pronoun, or nothing was named before. A thing named only by a tool's
    choices is read with what they are kinds of (`kinds`: `ToolHost.kinds`). "Okay, turn it off then." after
    "Is the heating on?" -> "Okay, turn the heating off then."."""
    if (again := elided(text, earlier)) is not None:
        return again
    if not unresolved(text):
        return text
    named = next((t for turn in reversed(earlier) if (t := thing(turn))), None)
    if named is None:
        return text
    kind = {kinds.get(w) for w in named} if kinds else {None}
    if len(kind) == 1 and (what := kind.pop()) is not None:
        named = [*named, what]  # "Play some jazz." then "Pause it.": the jazz music, not the jazz
    pattern = re.compile(rf"\b(?:{'|'.join(sorted(REFERRING))})\b(?!['’])", re.IGNORECASE)
    return pattern.sub(f"the {' '.join(named)}", spelled_out(text), count=1)  # "they're": "they are"


_ALSO = re.compile(
    r"^\W*(?:(?:and|also|plus)\s+)+(?P<what>(?:the|my|your|our|this|that)\s+[\w\s'-]+?)"
    r"(?:\s+(?:too|as well|also))?\W*$",
    re.IGNORECASE,
)
OBJECT_WITHIN = 2
"""The command's object's determiner stands this near its verb: next to it, or after a particle ("Switch
off the pump.")."""


def elided(text: str, earlier: Sequence[str]) -> str | None:
    """The last command said again of another thing, when `text` is only "and" that thing ("And the
    heater too." after "Switch off the pump." -> "Switch off the heater."), or None. Only a command whose
    object, a phrase a determiner opens, follows its verb at once (`OBJECT_WITHIN`): "And milk." after
    "Put eggs on the shopping list." is one more item (`follow_up`), not the list. Qwen 0.5B had answered
    it "The pool heater is off.", no tool called (a newcomer's pool, trial of 2026-12-08)."""
    found = _ALSO.match(text)
    if found is None or not earlier or not opens_with_a_verb(earlier[-1]) or is_question(earlier[-1]):
        return None
    last = earlier[-1]
    norm = tokenize(last).norm
    start = next((i for i, w in enumerate(norm) if w not in COMMAND_LEAD), 0)
    near = range(start + 1, min(start + 1 + OBJECT_WITHIN, len(norm)))
    at = next((i for i in near if norm[i] in DEFINITE), None)
    if at is None or not (words := phrases(" ".join(norm[at:]), definite=True)):
        return None
    old = re.compile(r"\b" + r"\W+".join(map(re.escape, [norm[at], *words[0]])) + r"\b", re.IGNORECASE)
    new, n = old.subn(found["what"], spelled_out(last), count=1)
    return new if n else None


def unresolved(text: str) -> bool:
    """Whether `text` names its thing only by a pronoun ("Turn it off.", "Start it in the kitchen."): what
    it acts on is not known (`resolved` found nothing named before)."""
    return not thing(text) and bool(REFERRING.intersection(tokenize(text).norm))


def kinds_of(tools: Iterable[Tool]) -> dict[str, str]:
    """What each one-word choice of a tool is a kind of: the words of the tool's name after its verb
    (`play_music(genre: "jazz" | ...)`: {"jazz": "music"}; `set_lights(room: "kitchen" | ...)`:
    {"kitchen": "lights"}), for the choices only one such thing claims (`resolved`'s `kinds`)."""
    found: dict[str, set[str]] = {}
    for tool in tools:
        thing = " ".join(tool.name.lower().split("_")[1:])
        for choice in tool.choices if thing else ():
            if choice.isalpha():
                found.setdefault(choice.lower(), set()).add(thing)
    return {choice: next(iter(things)) for choice, things in found.items() if len(things) == 1}
