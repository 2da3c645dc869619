"""Whether a request is about what a tool acts on, or shares only a verb with it.

"Turn the heating up to twenty two degrees" shares "turn" with `set_lights`, "Move my dentist
appointment to Friday" shares "move" with `move_robot`, and "Could you start the dishwasher?" shares
"start" with `set_timer`; each names something the tool's phrasings never mention. Qwen2.5-Coder 0.5B,
offered such a tool, called it (the lights at 22 %, the robot moved, a timer labelled "start
dishwasher"). A request that names any other word of the tool ("the kitchen lights", "a large pizza"),
or nothing the tool does not know ("set it to fifty", "go back"), is about it.

A tool that takes free text takes any words, so its text is no evidence; but when the request shares only
a verb with it and that text opens as a thing does ("the bins out tonight", "my car"), the verb acts on
that thing, not on the tool's ("take a note", "set a reminder"): "Take the bins out tonight." was a note,
"Set the alarm on my car." a reminder (probe of 2026-12-03). What is to be written down is said as a
clause, or after "this" or "that" ("note that I parked on level 3", "write this down: ...").

Light verbs ("make", "turn", "give", "take") mean what their objects say. Opening a request for a tool
whose phrasings open otherwise, they cost it nothing ("change the bedroom lights to 50 percent"); as the
only action a request shares with a tool, they ask for nothing without its name or a typed value ("take
five minutes to relax" is no note); and before a number and two units, the values alone say what is
asked ("turn 20 kilometers into miles").

Verbs are told from nouns by LemmInflect's lexicon ("move", "turn": verbs; "timer": a noun only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from lemminflect import getAllLemmas

from assistant.tools.intent.gate import ACTION_KEYS, FUNCTION_WORDS, clauses
from assistant.tools.intent.numbers import MEASURES, is_number
from assistant.tools.intent.speech_act import opens_with_a_verb
from assistant.tools.intent.strings import UNIT_SEPARATORS
from assistant.tools.intent.text import STOPWORDS, content_words, readings, stem, tokenize, word_forms
from assistant.tools.intent.text import polite as framing_flags

if TYPE_CHECKING:
    from assistant.tools.declare import Tool
    from assistant.tools.intent.filling import ToolWords
    from assistant.tools.intent.params import Param
    from assistant.tools.intent.slots import Fill, Utterance

TYPED = frozenset("duration time enum int float".split())
"""Parameter kinds whose value, once heard, shows what the request is for (a duration, a number)."""
THING = frozenset("the a an my your our his her their its some".split())
"""Words that open a noun phrase: free text that opens with one names a thing, not what to write."""
_AIMED = frozenset("at on onto in into over under through with about after".split())
"""Right after a verb, these make another verb of it ("look at", not "look up"): the noun phrase after
one is the thing it acts on."""
LIGHT_VERBS = frozenset("make turn give get put switch change have take do".split())
"""Light verbs: they say little on their own, the words after them say what is asked (Jespersen, *A
Modern English Grammar* VI, 1942; Butt, "The light verb jungle", 2010): "turn 20 kilometers into miles",
"give me 10 feet in meters", "switch 180 centimeters to feet"."""
_LIGHT_KEYS = frozenset(stem(w) for w in LIGHT_VERBS)
_IN_UNITS = frozenset("per".split())
_BEFORE_UNITS = frozenset(UNIT_SEPARATORS) | {"many", "much"}
"""Words a unit follows when not a number: the slot filler's separators ("5 miles *to* km"), "how *many*"."""
VALUES_THAT_ASK = 2
"""Typed values that, with every required parameter heard, say what a request is for on their own."""


class Indexed(Protocol):
    """What the matcher knows of a tool that this module reads."""

    tool: Tool
    anchors: frozenset[str]
    verbs: frozenset[str]
    params: list[Param]
    objects: frozenset[str]
    openings: set[str]
    actions: frozenset[str]
    words: ToolWords


def name_things(tool: Tool) -> frozenset[str]:
    """The stems of a tool's name after its first word: what it acts on (`shopping_list`: {list})."""
    return frozenset(stem(w) for w in tool.name.lower().split("_")[1:])


def verbs(tool: Tool, actions: frozenset[str]) -> frozenset[str]:
    """The tool's `actions` (the stems its examples open with, and its name's first word) that can be
    verbs, less the words of its name after the first ("light" of `set_lights`, "note" of `add_note`):
    sharing only these, a request may be about something else."""
    things = name_things(tool)
    return frozenset(a for a in actions if a not in things and "VERB" in getAllLemmas(a))


def elsewhere(
    entry: Indexed, utterance: Utterance, fill: Fill, heard: set[str], unexplained: list[str]
) -> tuple[str, ...]:
    """What the request names beyond the tool's words (stems, in the request's order), when it shares
    with the tool nothing but verbs (its `verbs`, and those that never say what, `gate.ACTION_KEYS`):
    the content words that none of the tool's phrasings explains (`unexplained`), and, when the request
    gives no typed value, the words taken as an optional label ("start the dishwasher" is no timer
    labelled "dishwasher"; "start ten minutes for the pasta" is) or as a required text that names a
    thing (`THING`: "take the bins out" is no note). Empty: the request may be for the tool.
    `heard`: the request's stems that are evidence (not free text or small words)."""
    named = {k for k, content in zip(utterance.keys, utterance.content, strict=True) if content}
    shared = entry.anchors & heard & named
    if shared - ACTION_KEYS - entry.verbs or shared & as_nouns(utterance) & name_things(entry.tool):
        return ()  # "Is bread on the list?": "the list" is `shopping_list`'s thing, not a verb
    names = proper_names(utterance) if any(p.kind == "str" for p in entry.params) else frozenset()
    out = [w for w in unexplained if w in named and w not in names]  # "Play Miles Davis.": no miles
    if not any(p.kind in TYPED and p.name in fill.arguments for p in entry.params):
        labels = [
            value
            for p in entry.params
            if (value := fill.text_values.get(p.name))
            and (not p.required or names_a_thing(value, utterance.tokens.norm))
        ]
        out += [w for label in labels for w in content_words(label) if w not in names]
    return tuple(dict.fromkeys(out))


_DETERMINERS = frozenset("the a an my your our this that these those".split())


def as_nouns(utterance: Utterance) -> frozenset[str]:
    """The keys of the words a determiner leads ("the list", "my timers"), as said (not taken for a
    misheard tool word): nouns, not verbs."""
    norm = utterance.tokens.norm
    return frozenset(
        k
        for i, k in enumerate(utterance.keys)
        if i > 0 and norm[i - 1] in _DETERMINERS and k == stem(norm[i])
    )


def proper_names(utterance: Utterance) -> frozenset[str]:
    """The keys of the words written with a capital inside a sentence ("Play Miles Davis." -> {miles,
    davis}): Whisper capitalises names. Such a word may be the value of a tool's free text; it does not
    name the thing another tool acts on."""
    surface = utterance.tokens.surface
    return frozenset(
        key
        for i, key in enumerate(utterance.keys)
        if i > 0
        and surface[i][:1].isupper()
        and not surface[i - 1].endswith((".", "!", "?"))
        and surface[i] != "I"
    )


def light_opener(entry: Indexed, utterance: Utterance) -> str:
    """The light verb the request opens with (its key, after the politeness) when the tool's phrasings
    open otherwise, else "": "change the bedroom lights to 50 percent" is for `set_lights`, whose
    examples say "set" and "turn", as much as "set the bedroom lights ..." is. Its other words decide."""
    for tok, key, polite in zip(utterance.tokens.norm, utterance.keys, utterance.polite, strict=True):
        if not polite:
            return key if tok in LIGHT_VERBS and key not in entry.openings else ""
    return ""


def light_verb_only(entry: Indexed, utterance: Utterance, fill: Fill) -> bool:
    """Whether the only word the request shares with the tool's actions is a light verb, with neither a
    word of the tool's name nor a typed value beside it: "take five minutes to relax" and "take the
    second exit" are no "take a note", whose "take" means nothing without the note."""
    said = entry.actions.intersection(utterance.keys)
    if not said or not said <= _LIGHT_KEYS:
        return False
    if entry.words.name_words.intersection(utterance.keys):
        return False
    return not any(p.name in fill.arguments and p.kind in TYPED for p in entry.params)


def said_by_values(entry: Indexed, utterance: Utterance, fill: Fill) -> bool:
    """Whether the request's values alone ask for the tool: every required parameter is heard,
    `VALUES_THAT_ASK` or more as typed values (a number, a unit, a duration, a choice), and only
    politeness, one light verb, then small words and the tool's own words come before the first ("turn
    the temperature of 50 Celsius into Fahrenheit", "I need 3 miles in kilometers"). A destructive tool
    is never asked for this way."""
    typed = [
        p for p in entry.params if p.name in fill.arguments and (p.kind in TYPED or p.role.startswith("unit"))
    ]
    required = all(p.name in fill.arguments for p in entry.params if p.required)
    if entry.objects or len(typed) < VALUES_THAT_ASK or not required or not _units_heard(utterance, fill):
        return False
    light = False
    for tok, key, label, polite in zip(
        utterance.tokens.norm, utterance.keys, fill.labels, utterance.polite, strict=True
    ):
        if label:
            return True
        if polite or (light and (tok in FUNCTION_WORDS or key in entry.anchors)):
            continue
        if light or tok not in LIGHT_VERBS:
            return False
        light = True
    return False


def _units_heard(utterance: Utterance, fill: Fill) -> bool:
    """Whether the words taken as units can be units: no small word among them ("in here", "in before
    dinner", "kilos of potatoes"), each right after a number or a word that leads to a unit ("to",
    "into", "how many"), never after "my" ("to my mother")."""
    norm, labels = utterance.tokens.norm, fill.labels
    for i, label in enumerate(labels):
        if label != "<unit>":
            continue
        if norm[i] in FUNCTION_WORDS and norm[i] not in _IN_UNITS:
            return False
        if (i == 0 or labels[i - 1] != "<unit>") and not (
            i and (is_number(norm[i - 1]) or norm[i - 1] in _BEFORE_UNITS)
        ):
            return False
    return True


def names_a_thing(value: str, said: tuple[str, ...]) -> bool:
    """Whether free text taken from the request (`said`: its tokens) names a thing ("the bins out
    tonight", "the alarm on my car") rather than says what to write down: it opens with `THING`, holds no
    number and no word that only a clause has (a form of "be", "have" or a modal; a verb that is nothing
    else: "moved", "parked"), and does not follow "that" ("jot down that the car needs new tyres"); or
    it is such a phrase after a preposition (`_AIMED`: "at my flight status")."""
    words = tokenize(value).norm
    if len(words) > 2 and words[0] in _AIMED and words[1] in THING:
        words = words[1:]  # "look at my flight status" to a tool that looks up recipes: the verb is another
    if not words or words[0] not in THING or any(is_number(w) or _clause_word(w) for w in words):
        return False
    n = len(words)
    return not any(i and said[i - 1] == "that" for i in range(len(said) - n + 1) if said[i : i + n] == words)


def _clause_word(word: str) -> bool:
    parts = readings(word)
    return "AUX" in parts or set(parts) == {"VERB"}


def all_its_things(anchors: frozenset[str], text: str) -> bool:
    """Whether the request names only things that are words of the tool (`anchors`: its name, description,
    examples, choices and parameters) in some form: the whole text, or one of its commands (a clause that
    opens with a verb: "Let's play a game, roll three dice."). "Turn the fan up to high." and "Turn the
    heating on." (a mode "heat") are a thermostat's; "Water the plants in the kitchen." is not
    `set_lights`', whose room is all it shares (Qwen 0.5B, made to call it, had switched the kitchen
    lights on, 2026-12-07)."""
    commands = [c for c in clauses(text) if opens_with_a_verb(c)]
    return any(_only_its_things(anchors, part) for part in [text, *commands])


def _only_its_things(anchors: frozenset[str], text: str) -> bool:
    """A command's verb aside, every word that names a thing is one of `anchors` in some form. A word
    names a thing when it can be a noun and not an adjective ("single" die), or when LemmInflect does not
    know it (a name); numbers, measures ("metres"), small words and framing ("right now", `text.polite`)
    name nothing."""
    norm = tokenize(text).norm
    framing = framing_flags(norm)  # "please", "right now", "for me"
    words = [
        w
        for w, f in zip(norm, framing, strict=True)
        if not f and w not in STOPWORDS and not is_number(w) and w not in MEASURES and stem(w) not in MEASURES
    ]
    for i, word in enumerate(words):
        kinds = set(readings(word))
        if word_forms(word) & anchors or (i == 0 and "VERB" in kinds):
            continue
        if (kinds and ("NOUN" not in kinds or "ADJ" in kinds)) or word in FUNCTION_WORDS or word in _AIMED:
            continue
        if word in _BEFORE_UNITS:
            continue
        return False
    return bool(words)


def meets_only_in_choices(anchors: frozenset[str], choices: frozenset[str], text: str) -> bool:
    """Whether the request shares with the tool nothing but its choices' words (a room), light verbs
    ("turn", "set") aside: "Close the bedroom curtains." and `set_lights` (Qwen 0.5B had switched the
    bedroom lights on for it, 2026-12-07); not "Switch the air conditioning to cool at 19 degrees." and a
    thermostat, whose description says "degrees"."""
    own = anchors - choices - _LIGHT_KEYS - LIGHT_VERBS
    said = [w for w in tokenize(text).norm if w not in STOPWORDS and not is_number(w)]
    return not any(word_forms(w) & own for w in said)
