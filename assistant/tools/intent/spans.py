"""Durations and times of day found in tokens: the typed values that any tool may ask for.

They are looked for once per utterance (they do not depend on the tool), as spans of token indices, so that
a tool's slot filler can take them and leave the rest of the utterance for free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.text import readings

DURATION_UNITS = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
    "day": 86400, "days": 86400, "week": 604800, "weeks": 604800,
}  # fmt: skip
DURATION_PREPOSITIONS = ("in", "for", "after", "within")
TIME_PREPOSITIONS = ("at", "by", "for")
_DAY_PARTS = {
    ("in", "the", "morning"): "am", ("this", "morning"): "am",
    ("in", "the", "afternoon"): "pm", ("this", "afternoon"): "pm",
    ("in", "the", "evening"): "pm", ("this", "evening"): "pm",
    ("at", "night"): "pm", ("tonight",): "pm",
}  # fmt: skip


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) hold `value` (a timedelta or a time)."""

    start: int
    end: int
    value: object


def _quantity(tokens: tuple[str, ...], j: int) -> float | None:
    tok = tokens[j] if j < len(tokens) else ""
    if tok in ("a", "an", "one"):
        return 1.0
    return float(tok) if is_number(tok) and not tok.startswith("-") else None


def _duration_part(tokens: tuple[str, ...], j: int) -> tuple[float, int] | None:
    """Seconds of one "<n> <unit> [and a half]" (or "half an hour", "a quarter of an hour") from j."""
    at = tokens[j:]
    if len(at) >= 3 and at[0] == "half" and at[1] in ("a", "an") and at[2] in DURATION_UNITS:
        return 0.5 * DURATION_UNITS[at[2]], j + 3
    if len(at) >= 3 and at[0] in ("a", "an") and at[1] == "half" and at[2] in DURATION_UNITS:
        return 0.5 * DURATION_UNITS[at[2]], j + 3
    if len(at) >= 2 and at[0] in ("a", "quarter"):
        k = 1 if at[0] == "a" else 0
        if at[k : k + 1] == ("quarter",):
            rest = at[k + 1 :]
            if rest[:3] in (("of", "an", "hour"), ("of", "a", "hour")):
                return 900.0, j + k + 4
            if rest[:1] == ("hour",):
                return 900.0, j + k + 2
    qty = _quantity(tokens, j)
    gap = int(tokens[j + 1 : j + 2] in (("more",), ("extra",), ("less",), ("fewer",)))  # "5 more minutes"
    if qty is None or j + 1 + gap >= len(tokens) or tokens[j + 1 + gap] not in DURATION_UNITS:
        return None
    unit = DURATION_UNITS[tokens[j + 1 + gap]]
    seconds, end = qty * unit, j + 2 + gap
    if tokens[end : end + 3] == ("and", "a", "half"):
        seconds, end = seconds + 0.5 * unit, end + 3
    return seconds, end


def find_durations(tokens: tuple[str, ...]) -> list[Span]:
    """ "in 10 minutes", "for an hour and a half", "1 hour 30 minutes", "90 seconds" -> timedelta spans."""
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        part = _duration_part(tokens, i)
        if part is None:
            i += 1
            continue
        total, end = part
        last_unit = total
        while True:
            # "1 minute in 30 seconds" is Whisper's "1 minute and 30 seconds" (a smaller unit follows)
            k = end + 1 if end < len(tokens) and tokens[end] in ("and", "in", "an") else end
            more = _duration_part(tokens, k) if k < len(tokens) else None
            if more is None or (tokens[end] != "and" and k > end and more[0] >= last_unit):
                break
            total, end, last_unit = total + more[0], more[1], more[0]
        before = tokens[i - 1] if i > 0 else ""
        # "and 20 minutes remind me": Whisper's "in" at the start of a turn
        start = i - 1 if before in DURATION_PREPOSITIONS or (before == "and" and i == 1) else i
        spans.append(Span(start, end, timedelta(seconds=total)))
        i = end
    return spans


def _clock(tok: str, dotted: bool) -> tuple[int, int] | None:
    """ "7:30" (or "7.30" when `dotted` is allowed) -> (7, 30)."""
    for sep in (":", "."):
        if sep in tok and (sep == ":" or dotted):
            h, _, m = tok.partition(sep)
            if h.isdecimal() and m.isdecimal() and len(m) == 2:
                return int(h), int(m)
    return None


def _time_at(tokens: tuple[str, ...], i: int, after_at: bool) -> tuple[int, int, int, bool] | None:
    """(hour, minute, end, explicit) of a time of day starting at i; `explicit`: am/pm, a colon or a word."""
    at = tokens[i:]
    if not at:
        return None
    if at[0] in ("noon", "midday"):
        return 12, 0, i + 1, True
    if at[0] == "midnight":
        return 0, 0, i + 1, True
    if at[0] == "12" and at[1:2] in (("noon",), ("midnight",)):
        return (12 if at[1] == "noon" else 0), 0, i + 2, True
    if len(at) >= 3 and at[0] in ("half", "quarter") and at[1] in ("past", "to") and at[2].isdecimal():
        minutes = 30 if at[0] == "half" else 15
        hour = int(at[2])
        if at[1] == "to":
            hour, minutes = (hour - 1) % 24, 60 - minutes
        return hour, minutes, i + 3, True
    nxt = at[1] if len(at) > 1 else ""
    clock = _clock(at[0], dotted=after_at or nxt in ("am", "pm"))
    if clock is not None:
        return clock[0], clock[1], i + 1, True
    if not at[0].isdecimal():
        return None
    hour = int(at[0])
    if nxt.isdecimal() and len(nxt) == 2 and int(nxt) < 60 and (after_at or at[2:3] in (("am",), ("pm",))):
        return hour, int(nxt), i + 2, True
    if nxt in ("am", "pm", "oclock"):
        return hour, 0, i + 1, True
    if after_at and nxt not in DURATION_UNITS and not _counted(nxt):
        return hour, 0, i + 1, False
    return None


def _counted(word: str) -> bool:
    """Whether a bare number before `word` counts things rather than telling the hour: a noun that is
    not also an adverb ("for 4 people", "at 3 tables"; not "at 7 tonight", "at 5 sharp"). "Set the table
    for four people." had set a reminder for 4 AM (probe of 2026-12-03)."""
    parts = readings(word)
    return "NOUN" in parts and "ADV" not in parts


def find_times(tokens: tuple[str, ...]) -> list[Span]:
    """ "at 3 pm", "at 7:30", "at noon", "half past six", "at 9 in the morning" -> time-of-day spans."""
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        after_at = i > 0 and tokens[i - 1] in TIME_PREPOSITIONS
        found = _time_at(tokens, i, after_at)
        if found is None:
            i += 1
            continue
        hour, minute, end, _ = found
        meridiem = None
        if end < len(tokens) and tokens[end] in ("am", "pm"):
            meridiem, end = tokens[end], end + 1
        if end < len(tokens) and tokens[end] == "oclock":
            end += 1
        for words, part in _DAY_PARTS.items():
            if tokens[end : end + len(words)] == words:
                meridiem, end = meridiem or part, end + len(words)
                break
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            spans.append(Span(i - 1 if after_at else i, end, time(hour, minute)))
            i = end
        else:
            i += 1
    return spans
