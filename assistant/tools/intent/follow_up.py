"""Elliptical follow-ups of the last tool call: "And how about Los Angeles?" after the time in Tokyo.

People name only what changes when a request continues the one before: "and what about thirty pounds?"
after a conversion, "how about Los Angeles?" after the time in Tokyo, "now to the left by half a meter"
after moving the robot, "bring them down to forty percent" after the lights. Dialogue-state tracking calls
this carry-over: the slots the turn does not mention keep their values (Henderson, Thomson and Williams,
"The second dialog state tracking challenge", SIGDIAL 2014). Without it the fast path finds no tool in
such a turn (it names none), and Qwen2.5-Coder 0.5B, offered the tools, mostly answered from its own head
("30 pounds is 9.00 kilograms", a made-up time in Los Angeles) rather than calling one.

A turn continues the last call when it opens with a continuation ("and", "what about", "how about",
"now", "then", "also", "instead", after any "okay" or "hmm") or refers back to it ("it", "them"). The last
call's tool is then filled from the turn; a new typed value (a number, unit, duration, time, choice or
switch, or a capitalised place after a continuation) makes the follow-up, with the other typed arguments
kept. Free text is not carried over, and taken from the turn only when it is named ("now another one
*called pasta* for eleven minutes"): "now another one for eleven minutes" after the "pasta" timer is a
new timer, not a second "pasta", and the words left around an elliptical turn ("another one") are no
label. A required free text that names a thing is the exception: "And milk." after "Put eggs on the
shopping list." is one more item (Qwen 0.5B had answered it "Added milk." and called nothing, probe of
2026-12-08). A destructive tool or one that asks for confirmation is never called this way.
"""

from __future__ import annotations

from typing import Any

from assistant.tools.declare import Tool
from assistant.tools.intent.deeds import asks_for_a_change, reads_things
from assistant.tools.intent.gate import INTERJECTIONS, RESPONSES, is_destructive
from assistant.tools.intent.slots import Fill, Param, ToolWords, Utterance, fill_slots
from assistant.tools.intent.speech_act import WH_WORDS, is_question, opens_with_a_verb
from assistant.tools.intent.text import readings, tokenize

CONTINUATIONS = (
    ("and", "what", "about"),
    ("and", "how", "about"),
    ("what", "about"),
    ("how", "about"),
    ("and",),
    ("now",),
    ("then",),
    ("also",),
    ("instead",),
)
"""How a turn that continues the request before it opens (on normalised tokens), longest first."""
BACK_REFERENCES = frozenset("it them".split())
"""Pronouns that refer back to what the last call acted on: "bring *them* down to forty percent"."""
STATE_QUESTIONS = frozenset("is was are were did does has had".split())
_LEAD = INTERJECTIONS | RESPONSES | frozenset("so".split())
_CARRIED_OVER_ROLES = frozenset("place unit unit_from unit_to".split())
"""str parameters whose values are typed (found by their own rules), unlike free text."""
MAX_UNEXPLAINED = 2
"""Content words beyond the new values that a follow-up may hold ("bring *them down* to forty percent")."""
MAX_PLACE_WORDS = 4
MAX_ITEM_WORDS = 4
"""Words of one more item given after a continuation ("and a loaf of bread")."""
MAX_UNIT_WORDS = 3
UNIT_INTRODUCERS = frozenset("in into to as".split())
NAMED = frozenset("called named labelled labeled".split())
"""What gives a new call its label ("another one *called* pasta"); not "call", a verb of its own ("and
call mom in five minutes")."""
MAX_NAME_WORDS = 3
NAME_ENDS = frozenset("for in at on to and with please instead too as".split())
"""Words that end a name given after "called": "called pasta *for* eleven minutes"."""


def _opening(norm: tuple[str, ...]) -> int | None:
    """Where the turn's words start after its continuation, or None if it opens with none."""
    start = 0
    while start < len(norm) and norm[start] in _LEAD:
        start += 1
    for phrase in CONTINUATIONS:
        if norm[start : start + len(phrase)] == phrase:
            return start + len(phrase)
    return None


def _bare_value(
    params: list[Param], utterance: Utterance, after: int, previous: dict[str, Any], new: dict[str, Any]
) -> dict[str, Any]:
    """What the words after a continuation give on their own, which the slot rules need more context
    for: a place ("how about Los Angeles?": capitalised words) or a target unit ("and in feet?")."""
    norm, surface = utterance.tokens.norm, utterance.tokens.surface
    rest = [i for i in range(after, len(norm)) if norm[i] not in _LEAD]
    found: dict[str, Any] = {}
    place = next((p for p in params if p.role == "place" and p.name not in new), None)
    if place is not None and 0 < len(rest) <= MAX_PLACE_WORDS and all(surface[i][:1].isupper() for i in rest):
        found[place.name] = utterance.tokens.text(range(rest[0], rest[-1] + 1))
    target = next((p for p in params if p.role == "unit_to" and p.name not in new), None)
    if target is not None and 1 < len(rest) <= MAX_UNIT_WORDS + 1 and norm[rest[0]] in UNIT_INTRODUCERS:
        found[target.name] = utterance.tokens.text(range(rest[1], rest[-1] + 1))
    item = next((p for p in params if p.kind == "str" and p.required and not _typed(p)), None)
    last = previous.get(item.name) if item is not None else None
    words = [norm[i] for i in rest]
    asks = is_question(utterance.text)  # "And what about dinner?" asks; it adds no dinner
    if (
        item is not None
        and isinstance(last, str)
        and not found
        and not new
        and not asks
        and _items(words, last)
    ):
        found[item.name] = utterance.tokens.text(range(rest[0], rest[-1] + 1))
    return {k: v for k, v in found.items() if v != previous.get(k)}


def _items(words: list[str], last: str) -> bool:
    """Whether the words after a continuation are one more of what the last call's required free text
    named: both are things ("Put eggs on the shopping list." then "And milk.", "Also some bread."), a few
    words each, no question. Not a deed ("Add a note to call the plumber." then "And the electrician.":
    half a note) nor a request of its own ("and call mom")."""
    if words[:1] and (words[0] in WH_WORDS or words[0] in STATE_QUESTIONS):
        return False
    return _a_thing(words) and _a_thing(list(tokenize(last).norm))


def _a_thing(words: list[str]) -> bool:
    """A few words that name a thing: one noun ("milk"), or words that do not open with a verb."""
    if not 0 < len(words) <= MAX_ITEM_WORDS:
        return False
    if len(words) == 1:
        return "NOUN" in readings(words[0])
    return not opens_with_a_verb(" ".join(words))


def _named(params: list[Param], utterance: Utterance, previous: dict[str, Any]) -> dict[str, Any]:
    """An optional free-text parameter (a label) given by name: "another one *called pasta*"."""
    label = next((p for p in params if p.kind == "str" and not p.required and not _typed(p)), None)
    norm = utterance.tokens.norm
    at = next((i for i, w in enumerate(norm) if w in NAMED), None)
    if label is None or at is None:
        return {}
    end = at + 1
    while end < len(norm) and end - at <= MAX_NAME_WORDS and norm[end] not in NAME_ENDS:
        end += 1
    if end == at + 1 or end - at > MAX_NAME_WORDS:
        return {}
    value = utterance.tokens.text(range(at + 1, end))
    return {} if value == previous.get(label.name) else {label.name: value}


def _asks_about(norm: tuple[str, ...]) -> bool:
    """A yes/no question about the state of things ("is it ten minutes yet?", "did it go two meters?"),
    not a request to change them."""
    start = next((i for i, w in enumerate(norm) if w not in _LEAD), len(norm))
    return start < len(norm) and norm[start] in STATE_QUESTIONS


def _unexplained(utterance: Utterance, fill: Fill, words: ToolWords) -> int:
    """Words that could name something, but that no slot took and the tool's own words do not hold: an
    ellipsis has few ("and you were all a single 12 sighted eye", a misheard "can you roll a single
    twelve sided die", has three, and is no new distance for the robot)."""
    return sum(
        content and label is None and key not in words.triggers
        for content, label, key in zip(utterance.content, fill.labels, utterance.keys, strict=True)
    )


def _changes_what_was_read(tool: Tool, utterance: Utterance) -> bool:
    """Whether the turn asks for a change (`deeds.asks_for_a_change`) where the last call only read
    (`deeds.reads_things`): "Move it to Monday." after the calendar's Friday was read is no reading of
    Monday's."""
    return reads_things(tool) and asks_for_a_change(utterance.text)


def _typed(param: Param) -> bool:
    return param.kind != "str" or param.role in _CARRIED_OVER_ROLES


def carry_over(
    tool: Tool, params: list[Param], words: ToolWords, utterance: Utterance, previous: dict[str, Any]
) -> dict[str, Any] | None:
    """The arguments of `tool` for a turn that continues its call with `previous` (its arguments), or
    None when the turn does not continue it or gives no new typed value."""
    if is_destructive(tool) or tool.options.confirm or _changes_what_was_read(tool, utterance):
        return None
    norm = utterance.tokens.norm
    after = _opening(norm)
    if after is None and (not BACK_REFERENCES.intersection(norm) or _asks_about(norm)):
        return None
    fill = fill_slots(utterance, params, words)
    if _unexplained(utterance, fill, words) > MAX_UNEXPLAINED:
        return None
    new = {
        p.name: fill.arguments[p.name]
        for p in params
        if _typed(p) and p.name in fill.arguments and fill.arguments[p.name] != previous.get(p.name)
    }
    if after is not None:
        new.update(_bare_value(params, utterance, after, previous, new))
    if not new:
        return None
    kept = {p.name: previous[p.name] for p in params if _typed(p) and p.name in previous}
    return {**kept, **new, **_named(params, utterance, previous)}
