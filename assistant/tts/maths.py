"""LaTeX a model wrote, said as a person reads maths aloud.

Asked to convert or work something out, the bundled Qwen2.5-Coder 0.5B often writes a formula:
"\\( 5 \\times 0.4536 = 2.268 \\)", "\\[ F = C \\times \\frac{9}{5} + 32 \\]". As code it was skipped
("I'll skip the code."), and the answer with it. Here pylatexenc (LaTeX to Unicode text) parses it, with
words for the macros of school maths: a fraction is "a over b", a root "the square root of x", a power
"squared", "cubed" or "to the power of n", "\\times" is "times", "\\approx" "is about". The operators of the
formula are then said as words ("=" equals, "+" plus), and `assistant.tts.normalise` reads the numbers.

Only a clause that holds LaTeX is converted: one with "\\(", "\\[", "$$" or a backslash command. A dollar
before a digit stays a price ("$5").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pylatexenc.latex2text import LatexNodes2Text

LATEX = re.compile(r"\\[(\[]|\$\$|\\[A-Za-z]{2,}|\$(?=[^\d\s$])[^$]+\$")
"""What only LaTeX writes: math delimiters ("$x^2$", not "$5"), or a command of two letters or more
("\\frac")."""

_WORDS = {
    "times": " times ",
    "cdot": " times ",
    "div": " divided by ",
    "pm": " plus or minus ",
    "approx": " is about ",
    "sim": " is about ",
    "leq": " is at most ",
    "le": " is at most ",
    "geq": " is at least ",
    "ge": " is at least ",
    "neq": " is not ",
    "ne": " is not ",
    "lt": " is less than ",
    "gt": " is more than ",
    "pi": " pi ",
    "infty": " infinity ",
    "circ": " degrees ",
    "degree": " degrees ",
    "%": " percent",
    "cdots": " ",
    "ldots": " ",
    "dots": " ",
    "quad": " ",
    "qquad": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "boxed": "",
    "left": "",
    "right": "",
}
_POWERS = {"2": "squared", "3": "cubed", "\\circ": "degrees"}
_POWER = re.compile(r"\^\s*(?:\{\s*([^{}]*?)\s*\}|(\\circ|\w))")
_INDEX = re.compile(r"_\s*(?:\{\s*([^{}]*?)\s*\}|(\w))")
_PRICE = re.compile(r"(?<!\\)\$(?=\d)")
_SYMBOLS = {
    ":=": "equals",
    "=": "equals",
    "+": "plus",
    "−": "minus",
    "–": "minus",
    "×": "times",
    "·": "times",
    "÷": "divided by",
    "≈": "is about",
    "≤": "is at most",
    "≥": "is at least",
    "≠": "is not",
    "<": "is less than",
    ">": "is more than",
    "±": "plus or minus",
}
_OPERATORS = [
    (
        re.compile(r"\s*(?:" + "|".join(map(re.escape, _SYMBOLS)) + r")\s*"),
        lambda m: f" {_SYMBOLS[m.group().strip()]} ",
    ),
    (re.compile(r"\s+-\s+|(?<=[\d)])-(?=[\d(])"), lambda _: " minus "),
    (re.compile(r"(?<=\w)\s*/\s*(?=\w)"), lambda _: " over "),
]


def has_latex(text: str) -> bool:
    return LATEX.search(text) is not None


def spoken_maths(text: str) -> str:
    """A clause holding LaTeX -> the same clause in words and digits, on one line ("\\( \\frac{9}{5}
    \\times 10 = 18 \\)" -> "9 over 5 times 10 equals 18"). Text without LaTeX comes back unchanged.
    Never raises: LaTeX that does not parse is read as pylatexenc's tolerant parser leaves it."""
    if not has_latex(text):
        return text
    text = _PRICE.sub(r"\\$", text)
    text = _POWER.sub(lambda m: f" {_power(_either(m))} ", text)
    text = _INDEX.sub(lambda m: f" {_either(m)} ", text)
    try:
        plain = _converter().latex_to_text(text)
    except Exception:  # pylatexenc's tolerant parser still raises on some broken input: drop the commands
        plain = re.sub(r"\\[A-Za-z]+|[{}$]|\\[()\[\]]", " ", text)
    for pattern, words in _OPERATORS:
        plain = pattern.sub(words, plain)
    return " ".join(plain.split())


def _either(match: re.Match[str]) -> str:
    """The braced group of a power or an index ("^{10}", "" for "^{}"), or its one character ("^2")."""
    braced = match.group(1)
    return (braced if braced is not None else match.group(2) or "").strip()


def _power(exponent: str) -> str:
    if not exponent:
        return ""
    return _POWERS.get(exponent, f"to the power of {exponent}")


def _fraction(node: Any, l2tobj: LatexNodes2Text) -> str:
    top, bottom = (l2tobj.nodelist_to_text([arg]).strip() for arg in node.nodeargd.argnlist[-2:])
    if len(top.split()) > 1:  # "50 - 32, over 1.8": the pause groups what a bar grouped
        return f" {top}, over {bottom} "
    return f" {top} over {bottom} "


def _root(node: Any, l2tobj: LatexNodes2Text) -> str:
    degree, body = node.nodeargd.argnlist[-2:]
    root = l2tobj.nodelist_to_text([body]).strip()
    n = l2tobj.nodelist_to_text([degree]).strip() if degree is not None else ""
    name = {"": "square", "2": "square", "3": "cube"}.get(n)
    return f" the {name} root of {root} " if name else f" the {n}th root of {root} "


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    """pylatexenc's converter with the words above; built once (its default context takes ~50 ms)."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    macros = [MacroTextSpec(name, simplify_repl=words) for name, words in _WORDS.items()]
    macros += [MacroTextSpec(name, simplify_repl=_fraction) for name in ("frac", "dfrac", "tfrac")]
    macros.append(MacroTextSpec("sqrt", simplify_repl=_root))
    context = get_default_latex_context_db()
    context.add_context_category("spoken-maths", prepend=True, macros=macros)
    return LatexNodes2Text(latex_context=context, math_mode="text")
