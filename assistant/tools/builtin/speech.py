"""Wording shared by the built-in tools: numbers, durations and times written the way TTS reads them well.

Piper reads plain digits, "point" decimals and "3:42 PM" naturally, but not "1.2e+20", "-5" or "1,000.5";
everything a tool says goes through these helpers so that the answers can be spoken as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def plural(count: float, word: str, many: str | None = None) -> str:
    """ "1 minute", "2 minutes", "0.5 seconds"."""
    return f"{spoken_number(count)} {word if count == 1 else (many or word + 's')}"


def _digits(x: float, significant: int) -> str:
    """Fixed-point text with at most `significant` significant digits and no trailing zeros."""
    if x == 0:
        return "0"
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def spoken_number(
    x: float, significant: int = 6, exact_below: float = 1e12, scale_words: bool = False
) -> str:
    """A number as TTS should read it: "84", "3.14159", "minus 2.5", "1.61 million", "1.2 times 10 to the 20".

    Integers below `exact_below` keep every digit (a calculator answer must be exact); `scale_words` says
    big inexact values with million/billion/trillion, which is easier to follow than a long digit string.
    """
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "infinity" if x > 0 else "minus infinity" if x < 0 else "not a number"
    if x < 0:
        return "minus " + spoken_number(-x, significant, exact_below, scale_words)
    if x == int(x) and x < exact_below:
        return str(int(x))
    if scale_words:
        for size, word in _SCALES:
            if size <= x < size * 1000:
                return f"{_digits(x / size, min(significant, 3))} {word}"
    if x >= 1e15 or (x != 0 and x < 1e-6):
        exponent = math.floor(math.log10(x))
        mantissa = float(_digits(x / 10**exponent, significant))
        if mantissa >= 10:
            mantissa, exponent = mantissa / 10, exponent + 1
        power = f"minus {-exponent}" if exponent < 0 else str(exponent)
        return f"{_digits(mantissa, significant)} times 10 to the power of {power}"
    return _digits(x, significant)


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def spoken_duration(value: timedelta | float, parts: int = 4, adjective: bool = False) -> str:
    """ "1 hour and 5 minutes", "1 minute and 30 seconds", "0.3 seconds"; with `adjective`, "5 minute".

    `parts` keeps only the largest units (a countdown need not say seconds when hours are left); the
    last unit kept is rounded, never truncated, so 59.6 seconds is "1 minute", not "59 seconds".
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        amount = _digits(seconds, 2)
        return f"{amount} second" if adjective else f"{amount} seconds"
    total = round(seconds)
    used = [(name, size) for name, size in _UNITS if total >= size]
    step = used[min(parts, len(used)) - 1][1]
    total = round(seconds / step) * step
    words = []
    for name, size in _UNITS:
        if size < step:
            break
        count, total = divmod(total, size)
        if count:
            words.append(f"{count} {name}" if adjective else plural(count, name))
    return " ".join(words) if adjective else join_words(words)


def join_words(items: Sequence[str], last: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def spoken_clock(moment: datetime) -> str:
    """ "3:42 PM"."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def spoken_date(moment: datetime) -> str:
    """ "Sunday, November 22"."""
    return f"{moment:%A}, {moment:%B} {moment.day}"


def clean_text(text: str) -> str:
    """What someone said, tidied for repeating it back inside a sentence: no outer spaces or final stop."""
    return " ".join(text.split()).strip().rstrip(".!?;,").strip()
