"""What the reply guard is told of the conversation besides the reply itself.

The leak rule needs what the model was told rather than asked (`instructions`) and the choices of the
tools this turn may not call (`unasked_choices`); the repeat rule needs the assistant's previous reply and
the user's turn it answered (`previous_exchange`); the reading rule, the things a question asks about that
a tool may read (`asked_about`).
"""

from __future__ import annotations

import re

from assistant.engine.claims import asks_for_deeds
from assistant.engine.referent import noun_lemmas, phrases
from assistant.engine.tooling import ToolHost
from assistant.engine.unsaid import takes_what_was_said
from assistant.llm import LanguageModel, Message
from assistant.tools import Tool
from assistant.tools.intent.deeds import asks_how_things_are, reads_things
from assistant.tools.intent.speech_act import asks_for_knowledge, is_question
from assistant.tools.intent.text import readings, word_forms

_IDENTITY = re.compile(r"(?:^|(?<=[.!?]))\s*You are [^.!?]*[.!?]")


def instructions(messages: list[Message], llm: LanguageModel, tools: ToolHost | None) -> str:
    """What the model was told rather than asked, for the guard's leak rule: the system prompt's rules (not
    who it is: "You are Juno, a friendly, helpful voice assistant." may be said back as "I'm Juno, a
    friendly, helpful voice assistant."), the tools' descriptions and, from a model that renders its own
    prompt, the chat template's text around the tools."""
    offered = tools.llm_tools() if tools is not None else []
    parts = [_IDENTITY.sub(" ", m.content) for m in messages if m.role == "system"]
    parts += [f"{t.name}: {t.description}" for t in offered]
    preamble = getattr(llm, "preamble", None)
    if callable(preamble):
        parts.append(preamble(offered))
    return "\n".join(parts)


def unasked_choices(messages: list[Message], tools: ToolHost | None) -> list[str]:
    """The choices (string enum values, as "living room") of the tools in the model's prompt that the
    user's last turn may not call (`ToolHost.callable`): a reply that lists them was read off the prompt."""
    offered = tools.llm_tools() if tools is not None else []
    may = tools.callable(messages[-1].content) if tools is not None and offered else None
    if may is None:
        return []
    return [c for t in offered if t.name not in may for c in t.choices]


def asked_about(meant: str, tools: ToolHost | None, may: set[str] | None) -> frozenset[str]:
    """The thing (noun lemmas) the user's turn (`meant`: `Reply.meant`) asks about, when a tool it may call
    (`may`: `ToolHost.callable` of `meant`, worked out once by the reply) acts on it by name, parameter
    or choice, and the turn is a question that does not ask for knowledge, about a thing named
    definitely ("the", "my"), first: "Is the heating on?" and a
    thermostat whose mode may be "heat": {heating}. A reply that tells its state with no tool called made
    it up (`claims.reports_reading`). A question about how things are that names no such thing but gives
    the one tool it may call that reads a value it takes ("What do I have on Monday?" and a calendar's
    `list_events(day)`) asks about that tool's things: Qwen 0.5B had answered it "The dentist's
    appointment is on Monday at 10:00.", nothing read (probe of 2026-12-08). Not "How many kilometres is
    a marathon?" (a marathon is no tool's),
    "What is a thermostat?" (knowledge), nor "... is it fine to use my barbecue inside the living room?"
    (a barbecue, not the room of `set_lights`)."""
    deeds = asks_for_deeds(meant) and not asks_how_things_are(meant)  # "Do I have anything on Sunday?"
    if tools is None or not is_question(meant) or deeds or asks_for_knowledge(meant):
        return frozenset()
    named = phrases(meant, definite=True)
    if not may:
        return frozenset()
    own = {f for name in may for word in _own_words(tools, name) for f in word_forms(word)}
    asked = frozenset(lemma for lemma in noun_lemmas(named[0]) if word_forms(lemma) & own) if named else None
    if asked or not asks_how_things_are(meant):
        return asked or frozenset()
    readers = [t for name in sorted(may) if (t := tools.registry.get(name)) and reads_things(t)]
    readers = [t for t in readers if takes_what_was_said(t, meant)]
    if len(readers) != 1:
        return frozenset()
    words = _own_words(tools, readers[0].name)
    return noun_lemmas(words) | {w.lower() for w in words if not readings(w)}  # "monday": no lemma


def acted_on(meant: str, tools: ToolHost | None, may: set[str] | None) -> frozenset[str]:
    """The things (noun lemmas) the tools that the user's request (`meant`) may call (`may`) act on, by name,
    parameter or choice, when it asks for a deed: a reply that gives one of them the value the user asked
    for, with no tool called, claims the deed (`claims.reports_state`). Qwen2.5-Coder 0.5B answered "Okay,
    turn it off then." (the heating) with "The thermostat is off.", no tool called (2026-12-07)."""
    if tools is None or not asks_for_deeds(meant) or not may:
        return frozenset()
    return noun_lemmas(w for name in sorted(may) for w in _own_words(tools, name))


def _own_words(tools: ToolHost, name: str) -> list[str]:
    """The words of the tool `name`'s name, parameters and choices (`tool_words`); [] for no such tool."""
    tool = tools.registry.get(name)
    return [] if tool is None else tool_words(tool)


def tool_words(tool: Tool) -> list[str]:
    """The words of a tool's name, parameters and choices: what it acts on."""
    words = [*tool.name.split("_"), *tool.parameters_schema().get("properties", {}), *tool.choices]
    return [w for word in words for w in word.replace("_", " ").split()]


def previous_exchange(messages: list[Message]) -> tuple[str, str]:
    """The assistant's last spoken reply before the current turn and the user's turn it answered ('' where
    there is none), for the guard's repeat rule."""
    earlier = messages[:-1]
    for i in range(len(earlier) - 1, -1, -1):
        if earlier[i].role == "assistant" and earlier[i].content.strip():
            asked = next((m.content for m in reversed(earlier[:i]) if m.role == "user"), "")
            return earlier[i].content, asked
    return "", ""
