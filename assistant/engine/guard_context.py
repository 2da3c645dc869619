"""What the reply guard is told of the conversation besides the reply itself.

The leak rule needs what the model was told rather than asked (`instructions`) and the choices of the
tools this turn may not call (`unasked_choices`); the repeat rule needs the assistant's previous reply and
the user's turn it answered (`previous_exchange`).
"""

from __future__ import annotations

import re

from assistant.engine.tooling import ToolHost
from assistant.llm import LanguageModel, Message

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


def previous_exchange(messages: list[Message]) -> tuple[str, str]:
    """The assistant's last spoken reply before the current turn and the user's turn it answered ('' where
    there is none), for the guard's repeat rule."""
    earlier = messages[:-1]
    for i in range(len(earlier) - 1, -1, -1):
        if earlier[i].role == "assistant" and earlier[i].content.strip():
            asked = next((m.content for m in reversed(earlier[:i]) if m.role == "user"), "")
            return earlier[i].content, asked
    return "", ""
