"""The model's own instructions said back, and talk about the machinery behind the voice.

A leak is a run of `LEAK_WORDS` words of what the model was told (the system prompt, the tools'
descriptions, the chat template's tool header) that the user did not say, or one of the instructions'
snake_case identifiers; tool talk (`TOOL_TALK`) is a clause about the user query, the function, the tool
or JSON; a list of a tool's choices (`choices_named`) in a turn that may not call that tool. The guard
(`guard.py`) stops the model at any of them; its docstring gives the replies that made these rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence

from assistant.engine.said_back import _WORD

_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
"""A snake_case name ("set_timer", "from_unit"): code, never speech."""
TOOL_TALK = re.compile(
    r"\b(?:"
    r"(?:the|a|this|that)\s+(?P<user>user)(?:['’]s|s)?\b(?!\s+(?:manual|guide|interface|name|account|agreement))"
    r"|(?P<user2>user)\s+(?:query|queries|request|input|message|prompt)s?\b"
    r"|(?:tell|ask|inform)\s+the\s+(?P<person>person)\b"
    r"|(?P<function>functions?|tools?)\s+(?:name|names|call|calls|result|results|response|output)\b"
    r"|(?:call|calls|calling|called|use|used|using|invoke|invoked|run|ran|execute|executes|executing|executed)"
    r"\s+(?:the|a|this|that|one|any)\s+"
    r"(?:[\w\"'“”‘’]+\s+)?(?P<function2>functions?|tools?)\b"
    r"|(?:by|from|with|to)\s+the\s+(?P<function3>tool|function)s?\b"
    r"|(?:a|the|this|that|any|one|which|my)\s+(?P<tool>tools?)\b"
    r"|(?P<json>json)\b"
    r"|(?P<xml>xml)\b"
    r"|(?P<tag>tool_(?:call|response))s?\b"  # the chat template's own tags, with or without < >
    r"|(?:the|this|that|an?)\s+(?P<assistant>assistant)(?:['’]s)?\b(?!\s+(?:manager|director|coach|editor))"
    r"|(?:the|this|that)\s+(?P<response>response)\s+(?:above|indicates|suggests|shows|means|implies|confirms)\b"
    r"|here(?:['’]s|\s+is)\s+(?:a|my|the|your)\s+(?P<response2>response)\b"
    r")"
    r"|(?P<call>\{\s*[\"']name[\"']\s*:)",  # a tool call written out as text: {"name": "print_hello", ...
    re.IGNORECASE,
)
"""Talk about the machinery behind the voice; the named group is the word that makes it so, which the
user may have used themselves ("the function of the liver", "which tools do I need"). "Tell the person"
is the system prompt's own way of naming the user: Qwen2.5-Coder 0.5B answered "7 of clubs" in the
README's own `simulate` with "To answer, tell the person that the current time and date is 7 of clubs."
(2026-12-07)."""
LEAK_WORDS = 6
"""Words in a row shared with the instructions that make a leak (5 matched only real leaks in 312
replies; 6 leaves room for a common phrase)."""
LEAK_START = 3
"""A clause that ends with this many words of the start of a leak is held back until the leak is told:
"You may call one" had been said before "or more functions" made it one (`assistant simulate`,
2026-12-03)."""


def _runs(words: list[str], n: int = LEAK_WORDS) -> set[tuple[str, ...]]:
    """Every run of `n` words in a row in `words`."""
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@functools.lru_cache(maxsize=8)
def _instruction_runs(instructions: str) -> frozenset[tuple[str, ...]]:
    """The instructions' runs, made once per prompt rather than once per reply."""
    return frozenset(_runs([w.lower() for w in _WORD.findall(instructions)]))


@functools.lru_cache(maxsize=8)
def _instruction_starts(instructions: str) -> frozenset[tuple[str, ...]]:
    """The first `LEAK_START` to `LEAK_WORDS` - 1 words of each of the instructions' runs."""
    runs = _instruction_runs(instructions)
    return frozenset(run[:n] for run in runs for n in range(LEAK_START, LEAK_WORDS))


@functools.lru_cache(maxsize=8)
def _identifiers(instructions: str) -> frozenset[str]:
    """The instructions' snake_case identifiers, in lower case."""
    return frozenset(m.lower() for m in _IDENTIFIER.findall(instructions))


def choice_words(choices: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """Each choice ("living room") as its words in lower case without a plural "s" ("living", "room")."""
    return frozenset(t for c in choices if (t := tuple(w.lower().rstrip("s") for w in _WORD.findall(c))))


def lists_choices(words: Sequence[str], choices: frozenset[tuple[str, ...]]) -> int:
    """How many of `choices` (from `choice_words`) a sentence's `words` name, plural or not, where they
    take at least half of its words; else 0. Two or more are a leak where `choices` are those of tools
    the turn may not call that the user did not say: Qwen answered "7 of clubs" with "Markets, living
    rooms, bedrooms, office." (examples/home_tools.py's set_lights, README's `simulate`, 2026-12-07):
    it names 3 (4 of its 5 words); "Turn left, then right at the station." none (2 of 7)."""
    if not choices:
        return 0
    stems = [w.lower().rstrip("s") for w in words]
    named, taken = 0, set()
    for choice in choices:
        n = len(choice)
        at = [i for i in range(len(stems) - n + 1) if tuple(stems[i : i + n]) == choice]
        named += bool(at)
        taken.update(j for i in at for j in range(i, i + n))
    return named if 2 * len(taken) >= len(stems) else 0


def may_start_leak(words: Sequence[str], starts: frozenset[tuple[str, ...]]) -> bool:
    """Whether the reply's `words` so far end with the start of a run of the instructions' words
    (`starts`, from `_instruction_starts`)."""
    tail = words[-(LEAK_WORDS - 1) :]
    return any(tuple(tail[-n:]) in starts for n in range(LEAK_START, len(tail) + 1))


_LITERAL = re.compile(r"^\W*(?:NULL|null|undefined|NaN)\W*$")
"""A clause that is nothing but a programming language's empty value: Qwen2.5-Coder 0.5B answered "Is the
washing machine running?" with "NULL" after its call had been refused (probe of 2026-12-07)."""


def talks_of_tools(clause: str, said: Collection[str]) -> bool:
    """Whether `clause` talks about the machinery (`TOOL_TALK`) with a word that the user did not use
    (`said`: their words in lower case, without a plural "s"), or is an empty value alone (`_LITERAL`)."""
    if _LITERAL.match(clause):
        return True
    for match in TOOL_TALK.finditer(clause):
        word = next(w for w in match.groupdict().values() if w)
        if word.lower().rstrip("s") not in said:
            return True
    return False
