"""Spoken numbers to digits, so that every later step (slots, similarity) sees one spelling.

Whisper writes most numbers as digits already, but not all ("twenty five", "three point five", "a hundred"),
and people typing test phrasings do not either. This works on tokens, is small and has no dependencies.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
SOUNDS_LIKE = {"to": 2, "too": 2, "for": 4}
"""Whisper writes a spoken "two meters" as "to meters" and "four minutes" as "for minutes"."""
MEASURES = frozenset(
    """seconds minutes hours days weeks meters metres feet inches miles kilometers kilometres centimeters
    centimetres yards cups ounces grams kilograms pounds liters litres gallons degrees dice sides""".split()
)
"""Plural measures: right after one of SOUNDS_LIKE, the word can only have been the number."""
_NOT_BEFORE_A_MISHEARD_NUMBER = frozenset({*UNITS, *TENS, *SCALES, *MEASURES})


def is_number(token: str) -> bool:
    return NUMBER_RE.fullmatch(token) is not None


def fmt(value: float) -> str:
    """12.0 -> "12", 3.5 -> "3.5"."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _read_integer(tokens: list[str], i: int, implicit_one: bool = False) -> tuple[float, int] | None:
    """An integer spelt out from tokens[i]: its value and the index after it (None if none starts here).

    `implicit_one`: the caller saw "a" before a scale word ("a hundred")."""
    total, current = 0.0, 1.0 if implicit_one else 0.0
    last = "unit" if implicit_one else None
    j = i
    while j < len(tokens):
        tok = tokens[j]
        if tok in UNITS and tok != "oh" and (last in (None, "scale") or (last == "tens" and UNITS[tok] < 10)):
            current, last = current + UNITS[tok], "unit"
        elif tok in TENS and last in (None, "scale"):
            current, last = current + TENS[tok], "tens"
        elif tok in SCALES and last is not None and (last != "scale" or SCALES[tok] > 100):
            if SCALES[tok] == 100:
                current *= 100
            else:
                total, current = total + current * SCALES[tok], 0.0
            last = "scale"
        elif tok == "and" and last == "scale" and j + 1 < len(tokens) and tokens[j + 1] in {*UNITS, *TENS}:
            pass
        else:
            break
        j += 1
    return None if last is None else (total + current, j)


def words_to_digits(tokens: list[str]) -> list[tuple[str, int, int]]:
    """Spelt-out numbers become digits: ["twenty", "five", "minutes"] -> [("25", 0, 2), ("minutes", 2, 3)].

    Also "three point five", "two and a half", "a hundred", "a pair of", "half a meter" (0.5 before a
    measure), digits followed by "and a half", and "minus ten" or "negative forty" where no number comes
    before ("five minus three" stays a sum).
    Each output token carries the range of input tokens it came from, so callers can keep the original
    spelling (and case) of everything that is not a number.
    """
    out: list[tuple[str, int, int]] = []
    i = 0
    signed: int | None = None
    """Where "minus" or "negative" opened the number being read ("minus ten degrees")."""
    while i < len(tokens):
        tok = tokens[i]
        if _is_sign(tokens, i) and not (out and is_number(out[-1][0])):
            signed, i = i, i + 1  # not "five minus three": a sign, where no number comes before it
            continue
        if tok == "a" and tokens[i + 1 : i + 3] in (["pair", "of"], ["couple", "of"]):
            out.append(("2", i, i + 3))
            i += 3
            continue
        if tok == "half" and tokens[i + 1 : i + 2] in (["a"], ["an"]) and _is_measure(tokens[i + 2 : i + 3]):
            out.append(("0.5", i, i + 2))
            i += 2
            continue
        if tok == "a" and i + 1 < len(tokens) and tokens[i + 1] in ("hundred", "thousand"):
            read = _read_integer(tokens, i + 1, implicit_one=True)
        else:
            read = None if is_number(tok) else _read_integer(tokens, i)
        if read is None and _misheard_number(tokens, i):
            read = SOUNDS_LIKE[tok], i + 1
        if is_number(tok):
            value, j = float(tok), i + 1
            if j < len(tokens) and tokens[j] in SCALES:
                value, j = value * SCALES[tokens[j]], j + 1
            elif "." in tok:  # keep "7.30" as written: it may be a time of day
                out.append((f"-{tok}" if signed is not None else tok, i if signed is None else signed, j))
                i, signed = j, None
                continue
        elif read is not None:
            value, j = read
        else:
            out.append((tok, i, i + 1))
            i += 1
            continue
        if (
            j + 1 < len(tokens)
            and tokens[j] == "point"
            and (tokens[j + 1] in UNITS or tokens[j + 1].isdecimal())
        ):
            digits = ""
            k = j + 1
            while k < len(tokens) and (
                (tokens[k] in UNITS and UNITS[tokens[k]] < 10) or tokens[k].isdecimal()
            ):
                digits += str(UNITS.get(tokens[k], tokens[k]))
                k += 1
            value, j = float(f"{fmt(value)}.{digits}"), k
        if tokens[j : j + 3] == ["and", "a", "half"]:
            value, j = value + 0.5, j + 3
        if signed is not None:
            value, i, signed = -value, signed, None
        out.append((fmt(value), i, j))
        i = j
    return out


def _is_sign(tokens: list[str], i: int) -> bool:
    """tokens[i] is "minus" or "negative" and a number follows it."""
    if tokens[i] not in ("minus", "negative") or i + 1 >= len(tokens):
        return False
    return is_number(tokens[i + 1]) or _read_integer(tokens, i + 1) is not None


def _is_measure(word: list[str]) -> bool:
    """One word that is a measure, singular or plural ("meter", "hours", "foot")."""
    return bool(word) and (word[0] in MEASURES or f"{word[0]}s" in MEASURES or word[0] in ("foot", "inch"))


def _misheard_number(tokens: list[str], i: int) -> bool:
    """Is tokens[i] a misheard number: "back to meters", not "feet to meters" or "15 to 20 minutes"."""
    if tokens[i] not in SOUNDS_LIKE or i + 1 >= len(tokens) or tokens[i + 1] not in MEASURES:
        return False
    before = tokens[i - 1] if i else ""
    return not (is_number(before) or before in _NOT_BEFORE_A_MISHEARD_NUMBER or _is_measure([before]))
