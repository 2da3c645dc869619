"""Short commands to the assistant itself: "stop", "wait", "be quiet", "never mind".

Said while the assistant speaks, such a command is an interruption that cuts the reply (history keeps what
was heard) and asks for nothing more: no new reply answers "stop", the assistant falls silent and listens.
Said when nothing plays, it gets no reply either, unless a question is pending ("Should I delete all your
notes?"), which it then declines.

A stop command asks for nothing (no word of it names a thing or gives a value: tools/intent/gate.py) and
holds a word or phrase that stops, holds, silences or drops: "stop", "wait", "hold on", "quiet", "enough",
"cancel", "forget it", "never mind", "shut up". "Stop the timer" is a request; "no thanks" and "okay" are
answers, not commands.

A request that ends by taking itself back ("Set a timer for ten minutes, no wait, cancel that.") is one
too (`gate.retracted`, re-exported here): the repair cancels what came before it. A repair that says
something else ("..., no wait, the kitchen lights") is a request.
"""

from __future__ import annotations

import re

from assistant.tools.intent.gate import ACKNOWLEDGEMENTS, HOLDS, asks, retracted
from assistant.tools.intent.text import tokenize

__all__ = ["STOP_WORDS", "is_stop_command", "retracted"]

STOP_WORDS = frozenset(
    """stop wait cancel pause halt hold hang quiet silence hush shush enough forget skip scratch mute
    nevermind quit""".split()
)
_HOLD = re.compile(rf"\b(?:{HOLDS})\b")
_ACKNOWLEDGED = re.compile(rf"\b(?:{ACKNOWLEDGEMENTS})\b")
_HUSH = re.compile(r"s+h+")
"""Whisper's "Shh.", "Shhh!", "Sshh"."""


def is_stop_command(text: str) -> bool:
    """ "Stop.", "Wait, stop!", "No, wait.", "Okay, that's enough.", "Never mind.", "Shh": True.
    "Stop the timer.", "Wait, what time is it?", "Okay.", "No thanks.", "": False."""
    norm = tokenize(text).norm
    if not norm or asks(norm):
        return False
    phrase = " ".join(norm)
    if _HOLD.search(phrase):
        return True
    words = _ACKNOWLEDGED.sub(" ", phrase).split()  # "fair enough" stops nothing
    return any(w in STOP_WORDS or _HUSH.fullmatch(w) for w in words)
