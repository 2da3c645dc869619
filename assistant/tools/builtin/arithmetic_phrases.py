"""Spoken arithmetic into expression text: "what's twelve times seven?" becomes "12 * 7".

Number words become digits (text2num) and operator phrases become symbols, so the parser that follows
only ever sees numbers, operators and a fixed list of names.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

_PREFIXES = re.compile(
    r"^(?:(?:hey|ok|okay|so|um|uh|please|can you|could you|tell me|and)\s+)*"
    r"(?:what(?:'s| is| are| does)|how much (?:is|are|does)|calculate|compute|work out|figure out|evaluate"
    r"|solve)?\s*",
)
# "add 3 and 4", "subtract 5 from 20": the operands are rewritten first, in parentheses.
_VERBS: list[tuple[str, str]] = [
    (r"^add (.+?) (?:and|to) (.+)$", r"(\1) + (\2)"),
    (r"^(?:the )?sum of (.+?) and (.+)$", r"(\1) + (\2)"),
    (r"^subtract (.+?) from (.+)$", r"(\2) - (\1)"),
    (r"^multiply (.+?) (?:by|and|with) (.+)$", r"(\1) * (\2)"),
    (r"^(?:the )?product of (.+?) and (.+)$", r"(\1) * (\2)"),
    (r"^divide (.+?) by (.+)$", r"(\1) / (\2)"),
]
# Longest phrases first; applied to lowercase text with single spaces.
_PHRASES: list[tuple[str, str]] = [
    (r"\bmultiplied by\b", " * "),
    (r"\btimes\b", " * "),
    (r"\bdivided by\b", " / "),
    (r"\bover\b", " / "),
    (r"\b(?:raised )?to the power of\b", " ^ "),
    (r"\braised to(?: the)?\b", " ^ "),
    (r"\bto the\b", " ^ "),
    (r"\bsquared\b", " ^ 2 "),
    (r"\bcubed\b", " ^ 3 "),
    (r"\bsquare root(?: of)?\b", " sqrt "),
    (r"\bcube root(?: of)?\b", " cbrt "),
    (r"\bnatural log(?:arithm)?(?: of)?\b", " ln "),
    (r"\blog(?:arithm)?(?: of)?\b", " log "),
    (r"\bsine(?: of)?\b", " sin "),
    (r"\bcosine(?: of)?\b", " cos "),
    (r"\btangent(?: of)?\b", " tan "),
    (r"\babsolute value(?: of)?\b", " abs "),
    (r"\b(sqrt|cbrt|sin|cos|tan|abs|round|ln|log) of\b", r" \1 "),
    (r"\bper ?cent of\b", " % * "),
    (r"\bper ?cent\b", " % "),
    (r"%\s*of\b", " % * "),
    (r"\bmod(?:ulo)?\b", " mod "),
    (r"\bplus\b", " + "),
    (r"\b(?:minus|negative|take away)\b", " - "),
    (r"\b(?:degrees?|deg)\b", " ° "),
    (r"\bpie?\b", " pi "),
    (r"\bopen (?:paren(?:thesis)?|bracket)\b", " ( "),
    (r"\bclose (?:paren(?:thesis)?|bracket)\b", " ) "),
    (r"(?<=\d)\s*x\s*(?=[\d(.])", " * "),
    (r"[×·]", " * "),
    (r"[÷]", " / "),
    (r"[−–]", " - "),
    (r"\*\*", " ^ "),
    (r"\b(?:equals?|equal to|is equal to|is)\s*$", ""),
    (r"^\s*(?:the|a)\s+", ""),
    (r"\b(?:the|a)\s+(?=\d|sqrt|cbrt|pi\b|ln\b|log\b|sin\b|cos\b|tan\b|abs\b)", ""),
]


def normalise(text: str) -> str:
    """Rewrite a transcript ("what's twelve times seven?") into expression text ("12 * 7")."""
    text = " ".join(text.strip().lower().split())
    text = re.sub(r"[?!]+$|\.$", "", text).strip()
    text = text.replace("what's", "what is").replace("’", "'")
    text = _PREFIXES.sub("", text, count=1)
    text = re.sub(r"\b\d{1,3}(?:,\d{3})+\b", lambda m: m.group().replace(",", ""), text)  # "1,000"
    text = re.sub(r"\ba (?=hundred|thousand|million|billion)", "one ", text)
    if re.search(r"[a-z]", text):
        text = alpha2digit(text, "en", threshold=0)
    text = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", text)  # "to the 10th"
    for pattern, replacement in _VERBS:
        text = re.sub(pattern, replacement, text)
    for pattern, replacement in _PHRASES:
        text = re.sub(pattern, replacement, text)
    return " ".join(text.split())
