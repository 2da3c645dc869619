"""Deeds in the world: the verbs of them, the tools that do them, and the questions that ask for none.

A question about how things are ("Is the washing machine running?", "Are the kitchen lights on?") asks for
no deed, so no tool that changes things runs for it, by the fast path or the model: Qwen2.5-Coder 0.5B
started a newcomer's washing machine for the first, and the fast path switched the kitchen lights on for
the second, matched on "kitchen lights on" (probes of 2026-12-07). A tool changes things when its
docstring opens with such a verb ("Start the washing machine ...", "Turn the lights in a room on or off",
"Change the thermostat ..."): its name alone misleads (`order_status` looks an order up).
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


def changes_things(tool: Tool) -> bool:
    """Whether `tool` changes things: its description opens with a verb of `CHANGE_VERBS`, or, with no
    description, its name does."""
    words = tokenize(tool.description).norm or tokenize(tool.name.replace("_", " ")).norm
    return bool(words) and bool(CHANGE_VERBS.intersection(readings(words[0]).get("VERB", ())))


_STATE_OPENERS = frozenset(
    "is are was were do does did has have should what which who when where how".split()
)
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


def refused_for_question(tool: Tool, text: str) -> str | None:
    """Why `tool` must not run for `text`, a question about how things are, or None."""
    if changes_things(tool) and asks_how_things_are(text):
        return f"not called: the user asked how things are; {tool.name!r} would change them"
    return None
