"""Taking back the last deed: "cancel that", "scratch that", "undo" said soon after a tool acted.

A timer set by mistake is often noticed only when its confirmation plays: "Set a timer for fifteen
minutes." - "Timer set for fifteen..." - "No wait, cancel that." As a stop command that cut the reply and
left the timer running, unheard. People repair their requests this way across turns as well as within one
(Schegloff, Jefferson and Sacks, "The preference for self-correction in the organization of repair in
conversation", Language 53, 1977: "third-turn repair"), and the big assistants take "cancel that" after an
action to undo it.

A tool says how its deed is taken back with `ToolContext.undoable` (timers, reminders and notes do); the
conversation's `ToolHost` keeps the last call's undo for `FOLLOW_UP_WINDOW_S`, and a turn that `takes_back`
runs it and says its words. Any other tool call in between, or a turn's undo once run, ends it. A bare
"cancel", "stop" or "never mind" still only stops the speech: the words must point back at the deed
("that", "it", "this") or say "undo".
"""

from __future__ import annotations

from assistant.tools.intent.text import tokenize

_OPENERS = frozenset("no nope wait actually oh oops sorry um uh hmm hold on okay ok please".split())
"""Words a repair opens with, before what it does ("no wait, ...", "oh, actually, ...")."""
_POINTING = frozenset("that it this".split())
_TAKE_BACK = (
    ("undo",),
    ("undo", "*"),
    ("cancel", "*"),
    ("scratch", "*"),
    ("forget", "*"),
    ("delete", "*"),
    ("remove", "*"),
    ("reverse", "*"),
    ("take", "*", "back"),
    ("never", "mind", "*"),
)
"""The phrases, "*" standing for a word of `_POINTING`: "cancel that", "take it back", "undo"."""


def takes_back(text: str) -> bool:
    """Whether a turn only asks to take back what was just done: "Cancel that.", "No wait, undo it.",
    "Oh, scratch that, please.", "Take that back." True; "Cancel.", "Stop.", "Never mind.", "Cancel the
    timer." (a request of its own), "Forget it, what time is it?" False."""
    words = list(tokenize(text).norm)
    while words and words[0] in _OPENERS:
        words.pop(0)
    while words and words[-1] in ("please", "now"):
        words.pop()
    for phrase in _TAKE_BACK:
        if len(words) == len(phrase) and all(
            w in _POINTING if p == "*" else w == p for w, p in zip(words, phrase, strict=True)
        ):
            return True
    return False
