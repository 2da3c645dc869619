"""Amounts said as a change: "dim the lights by 20 percent", "take 10 minutes off the timer", "five more
minutes", "10 percent brighter".

Such an amount is a difference from a value the tool does not hear, not the value itself: read as one, "dim
the kitchen lights by 20 percent" sets them to 20 percent and "take 10 minutes off the timer" starts a new
10-minute timer. So the fast path calls a tool with an amount said this way only when the tool's own
examples say amounts this way too (a `change_timer`, a robot moved "by" a distance); otherwise the LLM
answers, and can say what it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.tools.intent.filling import Fill, Utterance
from assistant.tools.intent.numbers import MEASURES, is_number
from assistant.tools.intent.strings import ARTICLES
from assistant.tools.intent.text import stem

BEFORE = frozenset("by add another extra additional remove subtract".split())
"""A word right before an amount that makes it a change: "by 20 percent", "another 2 minutes"."""
LOCATING = frozenset("in after within".split())
_SETTING = frozenset("to for at".split())
"""A word right before an amount in a tool's example that makes the amount the value to set: "dim the
lights to 30 percent", "a timer for 5 minutes". Such a tool takes no amount "by" which to change."""
AFTER = frozenset(
    """more less fewer extra off longer shorter brighter dimmer darker lighter warmer cooler
    hotter colder louder quieter softer higher lower faster slower further farther bigger smaller"""
    .split()
)  # fmt: skip
"""A word right after an amount (or after its unit) that makes it a change: "5 more minutes", "10 minutes
off", "10 percent brighter"."""
_AMOUNTS = frozenset({"<dur>", "<num>"})
_DESTINATIONS = frozenset("to onto on off from in".split())
_DETERMINERS = ARTICLES | {"your"}
_ONTO = frozenset("to onto from".split())
"""After an amount and before the tool's own thing, a change: "5 minutes to the timer", "2 from it"."""
_LABEL_WORDS = 4
"""Free text this short is a label (a timer's name), not a sentence that may hold its own amounts."""
_UNIT_GAP = 1
"""Tokens allowed between an amount and the word after it: its unit ("10 percent brighter")."""


@dataclass(frozen=True)
class AmountHabits:
    """How a tool's examples say their amounts."""

    changes: bool = False
    """Some example says one as a change ("add 5 minutes to the timer"): any change word is its own."""
    only_changes: bool = False
    """Every example with an amount says it as a change: an amount said as a value is not for it ("put
    10 minutes on the timer" starts one, it adds to none)."""
    sets: bool = False
    """Some example says one as the value to reach ("to 30 percent", "for 5 minutes")."""
    nouns: frozenset[str] = frozenset()
    """The tool's own nouns (`nouns`): an amount "to the timer" is added to it."""
    located: bool = False
    """Some example says an amount after "in", "after" or "within" ("how many inches in 30 centimeters").
    For a tool whose examples never do, such an amount says where or when, not how much: "turn right in
    300 meters" moves no robot 300 meters."""


def _amounts(fill: Fill, utterance: Utterance | None = None) -> list[tuple[int, int]]:
    """The (start, end) token spans that the slot filler took as a duration or a number, and with an
    `utterance` also its durations taken as a short label ("remove 3 minutes from the timer" read as
    `cancel_timer`'s label "3 minutes"). Durations inside a sentence-long text are that text's own."""
    out, i, labels = [], 0, fill.labels
    while i < len(labels):
        end = i + 1
        while end < len(labels) and labels[end] == labels[i]:
            end += 1
        if labels[i] in _AMOUNTS:
            out.append((i, end))
        i = end
    if utterance is not None:
        short = [v for v in fill.text_values.values() if len(v.split()) <= _LABEL_WORDS]
        out += [
            (span.start, span.end)
            for span in utterance.durations
            if short and all(labels[k] == "<text>" for k in range(span.start, span.end))
        ]
    return sorted(set(out))


def change_word(utterance: Utterance, fill: Fill, nouns: frozenset[str] = frozenset()) -> str | None:
    """The word that makes an amount of `fill` a change ("by", "off", "brighter", or "to" before one of
    `nouns`: "5 minutes to the timer"), or None when every amount is said as a value. Looks only at the
    tokens the slot filler took as a duration or a number."""
    norm, labels = utterance.tokens.norm, fill.labels
    for start, end in _amounts(fill, utterance):
        if _onto(utterance, end, nouns):
            return norm[end]
        if start > 0 and norm[start - 1] in BEFORE and _measured(utterance, fill, start, end):
            return norm[start - 1]
        if inside := next((t for t in norm[start:end] if t in AFTER), None):
            return inside
        for k in range(end, min(len(norm), end + 1 + _UNIT_GAP)):
            if norm[k] in AFTER:
                return norm[k]
            if labels[k] is not None:
                break
    return None


def _measured(utterance: Utterance, fill: Fill, start: int, end: int) -> bool:
    """Whether the amount at tokens `start:end` measures something (a duration, "20 percent", "2 degrees",
    "by 3"), not counts things to add: "add three cartons of milk to my shopping list" changes no
    amount; it adds cartons."""
    norm = utterance.tokens.norm
    if norm[start - 1] == "by" or fill.labels[start] == "<dur>" or set(norm[start:end]) & _MEASURES:
        return True
    return end >= len(norm) or norm[end] in _MEASURES or norm[end] in AFTER or fill.labels[end] == "<unit>"


_MEASURES = MEASURES | frozenset(
    "percent per cent percentage degree points point notch notches steps".split()
)


def _onto(utterance: Utterance, end: int, nouns: frozenset[str]) -> bool:
    """ "to the timer", "onto my tea timer", "from the timer" from token `end` on, the noun one of
    `nouns`, maybe after a determiner and one more word (a label)."""
    norm, keys = utterance.tokens.norm, utterance.keys
    if end >= len(norm) or norm[end] not in _ONTO:
        return False
    k = end + 1 + (end + 1 < len(norm) and norm[end + 1] in _DETERMINERS)
    return any(keys[i] in nouns for i in range(k, min(k + 2, len(norm))))


def habits(examples: list[tuple[Utterance, Fill]], nouns: frozenset[str]) -> AmountHabits:
    """What a tool's examples, each parsed by its own slot filler, do with amounts; `nouns`: its own."""
    said = [bool(change_word(u, f, nouns)) for u, f in examples if _amounts(f)]
    sets = any(
        start > 0 and u.tokens.norm[start - 1] in _SETTING for u, f in examples for start, _ in _amounts(f)
    )
    located = any(_located(u, f) for u, f in examples)
    return AmountHabits(any(said), bool(said) and all(said), sets, nouns, located)


def _located(utterance: Utterance, fill: Fill) -> str | None:
    """The word ("in", "after", "within") right before an amount of `fill`, or None."""
    norm = utterance.tokens.norm
    return next((norm[s - 1] for s, _ in _amounts(fill) if s > 0 and norm[s - 1] in LOCATING), None)


def refused(habits: AmountHabits, utterance: Utterance, fill: Fill) -> str | None:
    """The change word that a tool with these habits cannot take ("dim the lights by 20 percent" for a
    tool that sets a brightness), "a value" for an amount said as one to a tool that only changes
    amounts, "in" for an amount said as a place or a time to a tool whose examples never do, or None.
    "by" alone is forgiven a tool that never sets an amount: "move forward by 2 meters" is how a distance
    to go is said."""
    if not habits.located and (where := _located(utterance, fill)):
        return where
    word = change_word(utterance, fill, habits.nouns)
    if habits.only_changes and word is None and _amounts(fill):
        return "a value"
    if habits.changes:
        return None
    if word == "by" and not habits.sets:
        return None
    return word


def nouns(tool_name: str) -> frozenset[str]:
    """The nouns of a tool's name, as keys: `change_timer` -> {"timer"}, `set_lights` -> {"light"}."""
    return frozenset(stem(w) for w in tool_name.lower().split("_")[1:])


def handed_elsewhere(utterance: Utterance, fill: Fill, foreign: frozenset[str]) -> str | None:
    """The noun of another tool that a free text hands an amount to, or None: "add another 5 minutes to
    my timer" taken as a note's text is the timer's 5 minutes. The text holds an amount and ends with
    "to", "on", "off" or "from", maybe "the" or "my" and a word saying which ("my shopping list"), and
    one of `foreign` (other tools' nouns, as keys);
    "remind me to turn off the lights" holds no amount and stays a reminder."""
    norm, keys, labels = utterance.tokens.norm, utterance.keys, fill.labels
    in_durations = {i for span in utterance.durations for i in range(span.start, span.end)}
    end = len(labels)
    while end > 0:
        if labels[end - 1] != "<text>":
            end -= 1
            continue
        start = end
        while start > 0 and labels[start - 1] == "<text>":
            start -= 1
        last = k = end - 1
        if k - 1 >= start and norm[k - 1] not in _DESTINATIONS | _DETERMINERS:
            k -= 1  # a word naming which one: "my shopping list", "the tea timer"
        if k - 1 >= start and norm[k - 1] in _DETERMINERS:
            k -= 1
        if (
            keys[last] in foreign
            and k - 1 >= start
            and norm[k - 1] in _DESTINATIONS
            and any(is_number(norm[i]) or i in in_durations for i in range(start, k - 1))
        ):
            return keys[last]
        end = start
    return None
