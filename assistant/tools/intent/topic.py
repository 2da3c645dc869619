"""Whether a request is about what a tool acts on, or shares only a verb with it.

"Turn the heating up to twenty two degrees" shares "turn" with `set_lights`, "Move my dentist
appointment to Friday" shares "move" with `move_robot`, and "Could you start the dishwasher?" shares
"start" with `set_timer`; each names something the tool's phrasings never mention. Qwen2.5-Coder 0.5B,
offered such a tool, called it (the lights at 22 %, the robot moved, a timer labelled "start
dishwasher"). A request that names any other word of the tool ("the kitchen lights", "a large pizza"),
or nothing the tool does not know ("set it to fifty", "go back"), is about it.

Verbs are told from nouns by LemmInflect's lexicon ("move", "turn": verbs; "timer": a noun only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from lemminflect import getAllLemmas

from assistant.tools.intent.gate import ACTION_KEYS
from assistant.tools.intent.text import content_words, stem

if TYPE_CHECKING:
    from assistant.tools.declare import Tool
    from assistant.tools.intent.params import Param
    from assistant.tools.intent.slots import Fill, Utterance

TYPED = frozenset("duration time enum int float".split())
"""Parameter kinds whose value, once heard, shows what the request is for (a duration, a number)."""


class Indexed(Protocol):
    """What the matcher knows of a tool that this module reads."""

    anchors: frozenset[str]
    verbs: frozenset[str]
    params: list[Param]


def verbs(tool: Tool, actions: frozenset[str]) -> frozenset[str]:
    """The tool's `actions` (the stems its examples open with, and its name's first word) that can be
    verbs, less the words of its name after the first ("light" of `set_lights`, "note" of `add_note`):
    sharing only these, a request may be about something else."""
    things = {stem(w) for w in tool.name.lower().split("_")[1:]}
    return frozenset(a for a in actions if a not in things and "VERB" in getAllLemmas(a))


def elsewhere(
    entry: Indexed, utterance: Utterance, fill: Fill, heard: set[str], unexplained: list[str]
) -> tuple[str, ...]:
    """What the request names beyond the tool's words (stems, in the request's order), when it shares
    with the tool nothing but verbs (its `verbs`, and those that never say what, `gate.ACTION_KEYS`):
    the content words that none of the tool's phrasings explains (`unexplained`), and, when the request
    gives no typed value, the words taken as an optional label ("start the dishwasher" is no timer
    labelled "dishwasher"; "start ten minutes for the pasta" is). Empty: the request may be for the tool.
    `heard`: the request's stems that are evidence (not free text or small words)."""
    named = {k for k, content in zip(utterance.keys, utterance.content, strict=True) if content}
    if (entry.anchors & heard & named) - ACTION_KEYS - entry.verbs:
        return ()
    out = [w for w in unexplained if w in named]
    if not any(p.kind in TYPED and p.name in fill.arguments for p in entry.params):
        labels = [
            fill.text_values[p.name] for p in entry.params if not p.required and p.name in fill.text_values
        ]
        out += [w for label in labels for w in content_words(label)]
    return tuple(dict.fromkeys(out))
