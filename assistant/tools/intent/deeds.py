"""Deeds in the world: the verbs of them, the tools that do them, and the questions that ask for none.

A question about how things are ("Is the washing machine running?", "Are the kitchen lights on?") asks for
no deed, so no tool that changes things runs for it, by the fast path or the model: Qwen2.5-Coder 0.5B
started a newcomer's washing machine for the first, and the fast path switched the kitchen lights on for
the second, matched on "kitchen lights on" (probes of 2026-12-07). A tool changes things when its
docstring opens with such a verb ("Start the washing machine ...", "Turn the lights in a room on or off",
"Change the thermostat ..."): its name alone misleads (`order_status` looks an order up).

A request for a deed ("Turn the oven on to 180.") is not answered by a tool that only reads: Qwen2.5-Coder
0.5B called a newcomer's `oven_status` for it and said the oven's temperature (probe of 2026-12-08).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.tools.intent.speech_act import COMMAND_LEAD, REQUEST_FRAME, after_lead, is_question
from assistant.tools.intent.text import readings, tokenize

if TYPE_CHECKING:
    from assistant.tools.declare import Tool

ACTION_VERBS = frozenset(
    """book order buy purchase reserve schedule pay transfer send email message call dial ring phone open
    close shut lock unlock turn switch start pause cancel set dim brighten heat cool record save share
    post upload download install print charge arm disarm play mute water feed move drive delete remove
    erase add notify alert wake""".split()
)
"""Verbs of deeds in the world that only a tool can do (lemmas; each one LemmInflect knows as a verb)."""
CHANGE_VERBS = ACTION_VERBS | frozenset("change adjust raise lower increase decrease stop run".split())
"""Verbs of tools that change things (lemmas)."""


READING_VERBS = frozenset("check read get show list look find search fetch query tell report return".split())
"""Verbs of tools that only read (lemmas): a description that opens with one ("Check the oven: ...",
"Return the current time") reads, as does a name that opens with one (`get_thermostat`)."""
READING_NAME_WORDS = frozenset("status state current info".split())
"""Words of a tool's name that say it reads, wherever they stand (`oven_status`, `current_time`)."""


READING_OPENERS = frozenset("what which whether how where who when is are".split())
"""Words that open a description of what a tool tells ("What the speaker is playing, and how loud.")."""


def reads_things(tool: Tool) -> bool:
    """Whether `tool` only reads how things are: it does not change them (`changes_things`), and its name
    opens with a reading verb or holds a word of `READING_NAME_WORDS`, or its description opens with a
    reading verb (`READING_VERBS`) or says what it tells (`READING_OPENERS`: `now_playing`, "What the
    speaker is playing")."""
    if changes_things(tool):
        return False
    name = tool.name.lower().split("_")
    if name[0] in READING_VERBS or READING_NAME_WORDS.intersection(name):
        return True
    words = tokenize(tool.description).norm
    if not words:
        return False
    return words[0] in READING_OPENERS or bool(READING_VERBS.intersection(readings(words[0]).get("VERB", ())))


def changes_things(tool: Tool) -> bool:
    """Whether `tool` changes things: its description opens with a verb of `CHANGE_VERBS`, or, with no
    description, its name does."""
    words = tokenize(tool.description).norm or tokenize(tool.name.replace("_", " ")).norm
    return bool(words) and bool(CHANGE_VERBS.intersection(readings(words[0]).get("VERB", ())))


_STATE_OPENERS = frozenset(
    "is are was were do does did has have should what which who when where how".split()
)
_BE = frozenset("is are was were am".split())
_NOT_ABOUT_STATE = re.compile(
    r"^(?:how|what) about\b|^(?:do|does|did|is|are|have|has) you\b"
    r"|^is (?:it possible|there (?:any |a )?way)\b"
)


def asks_how_things_are(text: str) -> bool:
    """Whether `text` is a question about how things are, not a request: it opens (after "so", "okay",
    ...) with a copula, "do", "have" or "should" ("Should I leave the garage door open overnight?" had
    opened it), or a question word other than "why", and holds no request frame.
    "Is the washing machine running?", "What is the thermostat set to?", "Are the lights on?": True.
    "Can you start a wash?", "Could you turn it up?", "How about some jazz?", "Do you have a timer?",
    "Why don't you play jazz?", "Is it possible to turn on the heating?": False."""
    if not is_question(text):
        return False
    norm = tokenize(text).norm
    if REQUEST_FRAME.search(" ".join(norm)):
        return False
    opening = " ".join(after_lead(list(norm), COMMAND_LEAD, text))
    return bool(opening) and opening.split()[0] in _STATE_OPENERS and not _NOT_ABOUT_STATE.match(opening)


def asks_whether_it_is(text: str) -> bool:
    """Whether `text` asks whether something is so: a question about how things are (`asks_how_things_are`)
    that opens with a form of "be" ("Is it ready?", "Are the lights on?"), whose words name states."""
    if not asks_how_things_are(text):
        return False
    opening = after_lead(list(tokenize(text).norm), COMMAND_LEAD, text)
    return bool(opening) and opening[0] in _BE


def asks_for_a_change(text: str) -> bool:
    """Whether `text` is a command whose verb changes things (`CHANGE_VERBS`): "Move it to Monday.",
    "Okay, turn the oven on."; not a question, nor "Check the oven."."""
    if is_question(text):
        return False
    opening = after_lead(list(tokenize(text).norm), COMMAND_LEAD, text)
    return bool(opening) and bool(CHANGE_VERBS.intersection(readings(opening[0]).get("VERB", ())))


def refused_for_question(tool: Tool, text: str) -> str | None:
    """Why `tool` must not run for `text`, a question about how things are, or None."""
    if changes_things(tool) and asks_how_things_are(text):
        return f"not called: the user asked how things are; {tool.name!r} would change them"
    return None


def refused_for_deed(tool: Tool, asked: frozenset[str]) -> str | None:
    """Why `tool` must not run for a request whose asked-for verbs (lemmas, `claims.requested_verbs`) are
    `asked`, or None: they ask for a change (`CHANGE_VERBS`) and none of them for reading, and the tool
    only reads (`reads_things`)."""
    if asked & CHANGE_VERBS and not asked & READING_VERBS and reads_things(tool):
        verb = sorted(asked & CHANGE_VERBS)[0]
        return f"not called: the user asked to {verb} something; {tool.name!r} only reads it"
    return None
