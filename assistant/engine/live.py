"""Live information that no tool gives is not made up: asked for it, the assistant says it cannot check.

A language model knows nothing of today. Qwen2.5-Coder 0.5B, the offline default, with no tool for them
answered requests for live information from nothing (probe of 2026-12-04, greedy text): "The dollar to
euro exchange rate today is 1.25.", "The football match last night was won by the New York Yankees.",
train times to Leeds at 9, 10 and 11, "The weather in Paris is sunny."; asked about rain tomorrow or the
latest news it called `current_time` and read out the time. Telling it in the system prompt that it
cannot see live information changed none of these replies. So the engine decides before the model is
asked, once the fast path has found no tool: a request in one of `LIVE`'s categories, which no tool of
the conversation covers (no tool's name or description has the category's words, `Live.covered_by`), is
answered with that category's sentence, and the exchange leaves the model's history
(assistant.engine.replies.remembered).

The categories are what people ask a voice assistant for live data about (the weather, news, traffic,
markets, sports results, timetables, opening hours, their own messages and accounts), not any
benchmark's wording. Each pattern asks for the live state: "What is the weather usually like in Spain in
July?" (climate), "Why does it rain?" and "What is an exchange rate?" are knowledge and go to the model.
A developer who adds a weather tool gets the tool: its description names the weather.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.tools import Tool
from assistant.tools.intent.speech_act import asks_for_knowledge, is_statement

_NOW = (
    r"(?:now|right now|today|tonight|tomorrow|this (?:morning|afternoon|evening|week|weekend)|"
    r"at the moment|currently|yesterday|last night|latest|current)"
)


_TO_KEEP = re.compile(
    r"\b(?:remind(?: me)?|reminder|note|notes|write (?:down|this|that|it)|jot|add \w+ to|put \w+ on)\b",
    re.IGNORECASE,
)
"""A request to be reminded of, or to note, something live is the reminder's or the note's, whether the
fast path took it or the model will: "Remind me to take an umbrella tomorrow." (a newcomer's probe of
2026-12-04 found it refused with the weather sentence)."""
MAX_CHARS = 300
"""Only the first characters are read: an utterance is far shorter, and some patterns ("... now") cost
time that grows with the square of the text (31 s for 44,000 characters of "is it open")."""


@dataclass(frozen=True)
class Live:
    """A category of live information: what asks for it, which tool words cover it, what is said."""

    asks: re.Pattern[str]
    covered_by: re.Pattern[str]
    sentence: str


def _live(asks: str, covered_by: str, sentence: str) -> Live:
    flags = re.IGNORECASE
    return Live(re.compile(asks, flags), re.compile(rf"\b(?:{covered_by})", flags), sentence)


LIVE = {
    "weather": _live(
        r"^(?!.*\b(?:usually|typically|normally|generally|on average|average|climate|in (?:the )?(?:winter|"
        r"summer|spring|autumn|fall|january|february|march|april|may|june|july|august|september|october|"
        r"november|december))\b)"
        r".*(?:\b(?:weather|forecast)\b|\b(?:will it|is it (?:going to|gonna)) (?:be )?"
        r"(?:rain|snow|sunny|cold|hot|warm|windy|cloudy|wet|freezing|storm)|\bis it (?:still )?(?:raining|"
        r"snowing)\b|\bhow (?:hot|cold|warm) is it\b|\btemperature (?:outside|out there)\b"
        rf"|\b(?:umbrella|raincoat|sunscreen|sun cream)\b.*\b{_NOW}\b"
        rf"|\b(?:rain|snow|sunny|cold|hot|warm|temperature|wind)\b.*\b(?:outside|{_NOW})\b)",
        r"weather|forecast",
        "Sorry, I can't check the weather from here.",
    ),
    "news": _live(
        r"\b(?:what(?:'s| is| are)(?: in)?|read(?: me)?|tell me|give me|check|play|catch me up on|any)"
        r" (?:the |today's |latest |top )*(?:news|headlines)\b(?! (?:industry|anchor|reader|paper|podcast))"
        rf"|\b(?:latest|today's|top) (?:news|headlines)\b|\b(?:news|headlines)\b.*\b{_NOW}\b",
        r"news|headline",
        "Sorry, I can't check the news from here.",
    ),
    "traffic": _live(
        r"\btraffic\b(?! lights?\b| signs?\b| laws?\b| rules?\b| cones?\b| jams? (?:form|happen))",
        r"traffic",
        "Sorry, I can't check the traffic from here.",
    ),
    "markets": _live(
        r"\b(?:the|today's|current) (?:[\w-]+ ){0,3}(?:exchange rates?|stock price|share price|"
        r"price of (?:a share|bitcoin|gold|oil|shares|stocks))\b"
        rf"|\b(?:stock|share|bitcoin|gold|oil) prices?\b.*\b{_NOW}\b"
        rf"|\b(?:a share|shares|stock) (?:of|in) \w+.*\b{_NOW}\b"
        r"|\bhow (?:are|is) the (?:markets?|stocks?|stock market|dow|nasdaq|ftse)\b"
        r"|\btrading at\b|\bhow many (?:dollars|euros|pounds|yen|yuan|francs|pesos|rupees|krona|kroner|rand)"
        r" (?:do|would|will|can) (?:i|you|we) get\b",
        r"stock|share|exchange rate|market|currenc",
        "Sorry, I can't check prices or markets from here.",
    ),
    "results": _live(
        rf"\bwho (?:won|is winning|scored)\b.*\b{_NOW}\b|\bwhat(?: was| is|'s) the score\b(?! of \w+ \d)"
        r"|\b(?:score|result) of (?:the |last night's |today's |tonight's )?(?:game|match|race|final)\b"
        rf"|\bdid (?:the )?\w+ win\b.*\b{_NOW}\b",
        r"scores?\b|sports?\b",
        "Sorry, I can't check scores or results from here.",
    ),
    "timetables": _live(
        r"\b(?:train|bus|flight|ferry|tram|coach)s? (?:times|timetables?|schedules?|departures|arrivals)\b"
        r"|\bnext (?:train|bus|flight|ferry|tram|coach)\b"
        r"|\b(?:train|bus|flight|ferry|tram|coach) status\b(?! means?\b)(?!.*\bmean\b)"
        r"|\bstatus of (?:my|the|our) (?:[\w']+ ){0,2}(?:train|bus|flight|ferry)\b"
        r"|\b(?:my|the) (?:[\w']+ ){0,3}(?:train|bus|flight|ferry)\b"
        r".*\b(?:on time|delayed|late|cancelled|canceled)\b",
        r"train|bus|flight|timetable|transit|departure",
        "Sorry, I can't check timetables from here.",
    ),
    "opening hours": _live(
        rf"\b(?:is|are) (?:the )?[\w' ]{{1,30}}? (?:open|closed|closing)\b.*\b{_NOW}\b"
        r"|\bopening (?:hours|times)\b|\bwhen does (?:the )?[\w' ]{1,30}? (?:open|close)\b"
        r"|\b(?:is|are) (?:the )?[\w' ]{1,30}? (?:still|yet) (?:open|closed)\b",
        r"opening",
        "Sorry, I can't check opening hours from here.",
    ),
    "accounts": _live(
        r"\b(?:check|read(?: me)?|open|what(?:'s| is| are) (?:in|on)|what(?:'s| is| are)|"
        r"where(?:'s| is| are)|any(?: new)?|do i have|how much(?: money)? is(?: in)?|has|have|did)\b "
        r"(?:(?:my|our|any|new|unread|the) )+(?:[\w-]+ )?(?:e-?mails?|inbox|messages|texts|voicemails?|"
        r"calendar|diary|bank balance|balance|(?:bank |savings |current |checking )?accounts?|"
        r"account balance|orders?|deliver(?:y|ies)|parcels?|packages?)\b",
        r"e-?mails?\b|inbox|messages?\b|calendar|diary|bank|balance|accounts?\b|orders?\b|deliver|parcel|"
        r"package",
        "Sorry, I can't see your accounts or messages from here.",
    ),
}
"""The categories, in the order they are tried; each sentence says what cannot be checked."""


def cannot_check(text: str, tools: Iterable[Tool] = ()) -> str | None:
    """What to say to `text` (what the user said) when it asks for live information of a category no
    tool covers (a tool covers it when its name or description has the category's words), else None."""
    text = text[:MAX_CHARS].replace("’", "'")
    if is_statement(text) or asks_for_knowledge(text) or _TO_KEEP.search(text):
        return None  # it tells ("I read the news this morning."), asks for knowledge, or for a note
    described = " ".join(f"{t.name.replace('_', ' ')} {t.description}" for t in tools)
    for live in LIVE.values():
        if live.asks.search(text) and not live.covered_by.search(described):
            return live.sentence
    return None


_CLOCK = r"\d{1,2}(?::\d{2})?\s*(?:[ap]\.?\s?m\b\.?|o'clock)|\d{1,2}:\d{2}"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_TELLS_NOW = re.compile(
    rf"\b(?:the )?(?:current|local) (?:time|date)\b|\b(?:it(?:'s| is)|the time is)(?: now| currently)?"
    rf" (?:about |around |exactly )?(?:{_CLOCK})|\btoday(?:'s| is)(?: date is)? (?:{_DAYS}|{_MONTHS}|the \d)",
    re.IGNORECASE,
)
_PLACES_ITSELF = re.compile(
    r"\b(?:[Ii]|[Yy]ou)(?:'m| am|'re| are) (?:currently |now |right now )?(?:in|at) (?:[A-Z]|\d)"
)


def tells_now(sentence: str) -> bool:
    """Whether a reply sentence tells the time or the date of now ("The current time is 20:48.", "It's 5
    PM.", "Today is Monday.") or places the assistant somewhere ("I'm currently in Tokyo."). Said in a
    reply that called no tool, it is made up: Qwen2.5-Coder 0.5B answered "How are you today?" with "The
    current time is 20:48 AM, Tokyo." and, offered no tool, "I'm currently in Tokyo, Japan." (Tokyo from
    the clock tool's description; newcomer's trial and probe of 2026-12-07). Telling it in the system
    prompt that it has no place or day of its own changed neither."""
    sentence = sentence[:MAX_CHARS].replace("’", "'")
    return bool(_TELLS_NOW.search(sentence) or _PLACES_ITSELF.search(sentence))
