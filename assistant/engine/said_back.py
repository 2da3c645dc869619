"""What a reply says back: how its sentences are compared with what was said before them.

A sentence is compared as words in lower case, numbers as digits (text2num, so that "10" matches the
"ten" Whisper heard) and "your" as "my", so that the guard (`guard.py`) finds an echo of the user ("My
name is Priya." -> "My name is Priya."), a command read back ("Go forward ten meters." -> "Go forward 10
meters."; or with another verb on the same things, `_object_words`), and a long sentence of the
assistant's previous reply said again (`REPEAT_WORDS`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from text_to_num import alpha2digit

from assistant.tools.intent.gate import FUNCTION_WORDS
from assistant.tools.intent.speech_act import COMMAND_LEAD, is_question, is_statement, opens_with_a_verb
from assistant.tools.intent.text import spelled_out

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_USER_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
"""A thousands separator ("450,000"): text2num writes "four hundred fifty thousand" without one."""
REPEAT_WORDS = 6
"""A sentence of the previous reply this long is not said again; shorter ones may be ("1/4 cup olive
oil." in a shopping list for the recipe just given)."""
_OWNER = {"your": "my", "yours": "mine", "yourself": "myself"}
"""A command read back to its speaker swaps the possessive: "Charge my phone." -> "Charge your phone."."""
ECHO_ANY_WORDS = 4
"""A user sentence this long is an echo when said back whatever its kind ("Go forward ten meters.");
shorter ones only when they ask, tell or command ("Mute the television."): a short fragment said back
("Seven of clubs.") is an answer of a kind."""


def _echo_words(text: str) -> tuple[str, ...]:
    """Words to compare for an echo: lower case, numbers as digits (text2num), so that the model writing
    "10" for the "ten" Whisper heard still matches ("450,000" as "450000"), contractions spelled out
    ("What's playing?" said back as "What is playing?"), and "your" is "my"."""
    digits = _THOUSANDS.sub("", alpha2digit(spelled_out(text), "en"))
    return tuple(_OWNER.get(w, w) for w in (w.lower() for w in _WORD.findall(digits)))


EARLIER_TURNS = 50
"""How many of the user's earlier turns a reply is compared with (~35 µs each here, on the event loop)."""
_ASKS_TO_TELL = re.compile(r"\b(?:remind|tell|say|repeat|recall|remember)\b", re.IGNORECASE)


def user_sentences(heard: str, said_before: Sequence[str] = ()) -> set[tuple[str, ...]]:
    """The user's sentences a reply may not say back, as `_echo_words`: their questions, statements,
    commands and any of `ECHO_ANY_WORDS` words or more, of this turn (`heard`) and, when it asks no
    question, of their earlier turns (`said_before`). Qwen2.5-Coder 0.5B, after "The conference is now
    unmuted." (answered "I see."), said that sentence to four later turns that asked nothing (unseen
    Asterisk prompts through `assistant mic`, 2026-12-06), and "The number you have dialed is not in
    service." to four of eight (greedy probe). Asked ("What's my name?", "Remind me where I parked."), it
    may say what it was told."""
    asked = is_question(heard) or _ASKS_TO_TELL.search(heard)
    texts = [heard] if asked else [heard, *said_before[-EARLIER_TURNS:]]
    return {
        words
        for text in texts
        for s in _USER_SENTENCE.split(text)
        if len(words := _echo_words(s)) >= ECHO_ANY_WORDS
        or is_question(s)
        or is_statement(s)
        or opens_with_a_verb(s)
    }


def _long_sentences(text: str) -> set[tuple[str, ...]]:
    """The sentences of `text` of `REPEAT_WORDS` words or more, as `_echo_words`."""
    return {w for s in _USER_SENTENCE.split(text) if len(w := _echo_words(s)) >= REPEAT_WORDS}


def _object_words(sentence: str) -> frozenset[str] | None:
    """What an imperative acts on: its words after the verb (the first word after `COMMAND_LEAD`, as
    `opens_with_a_verb` finds it), less function words, as `_echo_words` ("Switch the television to
    channel five." -> television, channel, 5); None for a sentence that does not open with a verb."""
    if not opens_with_a_verb(sentence):
        return None
    words = list(_echo_words(sentence))
    while words and words[0] in COMMAND_LEAD:
        words.pop(0)
    return frozenset(words[1:]) - FUNCTION_WORDS - COMMAND_LEAD


_NUMBER = re.compile(
    r"\W{0,4}(?:\d+(?:[,.]\d+)*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\W{0,4}",
    re.IGNORECASE,
)
"""A bare number: digits (with separators) or a small one in words, in at most a little punctuation."""
_NUMBER_ASKED = re.compile(r"\bnumbers?\b", re.IGNORECASE)


def unasked_number(said: str, heard: str) -> bool:
    """Whether `said` is only a number that `heard` (the user's words) did not ask for: they ask no
    question and name no number to pick, or the number is one of theirs said back ("Press 1 to enter a
    number." -> "1")."""
    if len(said) > 40 or not _NUMBER.fullmatch(said) or is_question(heard):
        return False
    return not _NUMBER_ASKED.search(heard) or set(_echo_words(said)) <= set(_echo_words(heard))


RESULT_OPENING = 2
"""The words a copied result opens with, as the tool's result did."""
RESULT_WORDS = 6
"""A result shorter than this is a phrase anyone may say ("The answer is 42." and "The answer is
Paris."); a longer one is the tool's own form."""
RESULT_SHARE = 0.6
"""The share of a result's words a copy keeps (the rest: the values it changed)."""


def copies_result(sentence: tuple[str, ...], told: set[tuple[str, ...]]) -> bool:
    """Whether `sentence` (as `_echo_words`) is one of `told` (earlier sentences that said what a tool
    did, as words) with some words changed: the same opening, most of its words, not all. Said in a turn
    that called no tool, it makes up the tool's answer: Qwen2.5-Coder 0.5B answered "Put it on high." with
    "The thermostat is on off, 21 degrees, fan high." after `get_thermostat` had said "... fan auto." (a
    newcomer's thermostat, probe of 2026-12-07); "It is 12 degrees and cloudy in London." after a weather
    tool said "It is 15 degrees and sunny in Paris." is made up the same way."""
    for result in told:
        if len(result) < RESULT_WORDS or sentence == result:
            continue
        if sentence[:RESULT_OPENING] != result[:RESULT_OPENING]:
            continue
        kept = sum((Counter(sentence) & Counter(result)).values())
        if kept >= RESULT_SHARE * len(result):
            return True
    return False
