"""Arithmetic from speech: "what's twelve times seven", "15 percent of 80", "square root of 81".

A transcript is untrusted text, so it is never evaluated as Python: a normaliser rewrites spoken forms into
a tiny expression language, a tokenizer accepts only numbers, operators and a fixed list of names, and a
Pratt parser builds a tree that is computed with limits on exponents and magnitudes.
Those stages live in `arithmetic_phrases`, `arithmetic_parser` and `arithmetic`; this module is the tool.
"""

from __future__ import annotations

import re
from typing import Annotated

from assistant.tools.builtin.arithmetic import (
    MAX_EXPONENT,
    MAX_MAGNITUDE,
    Binary,
    Call,
    Const,
    Node,
    Num,
    Number,
    Unary,
    evaluate,
    tidy,
)
from assistant.tools.builtin.arithmetic_parser import MAX_DEPTH, Parser, Token, tokenize
from assistant.tools.builtin.arithmetic_phrases import normalise
from assistant.tools.builtin.speech import spoken_number
from assistant.tools.declare import NotUnderstood, tool

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_MAGNITUDE",
    "Binary",
    "Call",
    "Const",
    "Node",
    "Num",
    "Number",
    "Parser",
    "Token",
    "Unary",
    "calculate",
    "compute",
    "evaluate",
    "normalise",
    "say_question",
    "tidy",
    "tokenize",
]

MAX_LENGTH = 300

# ---------------------------------------------------------------- sums of money

_SYMBOLS = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
_MONEY_WORDS = {
    "dollar": "dollars", "dollars": "dollars", "buck": "dollars", "bucks": "dollars", "euro": "euros",
    "euros": "euros", "pound": "pounds", "pounds": "pounds", "cent": "cents", "cents": "cents", "yen": "yen",
    "rupee": "rupees", "rupees": "rupees",
}  # fmt: skip
_MONEY = re.compile(r"[$€£¥](?=\s?\d)|\b(?:" + "|".join(_MONEY_WORDS) + r")\b", re.IGNORECASE)
_SCALING = re.compile(r"\b(?:times|divided|over|multiplied|by|squared|cubed|power)\b|[*/×÷^]", re.IGNORECASE)


def in_money(expression: str) -> tuple[str, str | None]:
    """The expression without its currency, and the currency the answer is in ("15 percent of 80
    dollars" -> ("15 percent of 80", "dollars"); the calculator had refused "dollars"). One amount of
    money keeps its currency through any sum; several keep it through adding and subtracting only ("80
    dollars divided by 4 dollars" is 20, a ratio). Two currencies raise NotUnderstood."""
    found = {
        _SYMBOLS.get(m.group(), _MONEY_WORDS.get(m.group().lower(), "")) for m in _MONEY.finditer(expression)
    }
    mentions = len(_MONEY.findall(expression))
    if not mentions:
        return expression, None
    if len(found) > 1:
        raise NotUnderstood("I can't do sums across currencies.")
    bare = " ".join(_MONEY.sub(" ", expression).split())
    kept = mentions == 1 or not _SCALING.search(bare)
    return bare, found.pop() if kept else None


def said_in(value: Number, currency: str) -> str:
    """An amount as written for the voice: "$12.50" (said "twelve dollars and fifty cents"), "1 yen"."""
    symbol = next((s for s, name in _SYMBOLS.items() if name == currency and s != "¥"), None)
    if symbol is not None:
        cents = round(float(value) * 100)
        sign = "minus " if cents < 0 else ""
        whole, part = divmod(abs(cents), 100)
        return f"{sign}{symbol}{whole}" + (f".{part:02d}" if part else "")
    amount = spoken_number(value)
    return f"{amount} {currency[:-1] if amount == '1' and currency.endswith('s') else currency}"


# ---------------------------------------------------------------- speaking the question back

_SPOKEN_OPS = {"+": "plus", "-": "minus", "*": "times", "/": "divided by", "mod": "modulo"}
_SPOKEN_FUNCTIONS = {
    "sqrt": "the square root of",
    "cbrt": "the cube root of",
    "sin": "the sine of",
    "cos": "the cosine of",
    "tan": "the tangent of",
    "ln": "the natural log of",
    "log": "the log of",
    "abs": "the absolute value of",
    "round": "rounding",
}


def _leaf(node: Node) -> str | None:
    match node:
        case Num(value):
            return spoken_number(value, significant=12)
        case Const(name):
            return name
        case Unary("-", Num(value)):
            return "minus " + spoken_number(value, significant=12)
        case Unary("°", Num(value)):
            return spoken_number(value, significant=12) + " degrees"
    return None


def say_question(node: Node) -> str | None:
    """ "12 times 7", "15 percent of 80", "the square root of 81"; None when saying it would be ambiguous."""
    match node:
        case Binary("*", Unary("%", Num(pct)), right) if _leaf(right):
            return f"{spoken_number(pct, 12)} percent of {_leaf(right)}"
        case Binary("^", Num(base), Num(2)):
            return f"{spoken_number(base, 12)} squared"
        case Binary("^", Num(base), Num(3)):
            return f"{spoken_number(base, 12)} cubed"
        case Binary("^", Num(base), right) if _leaf(right):
            return f"{spoken_number(base, 12)} to the power of {_leaf(right)}"
        case Binary(op, left, right) if op != "^" and _leaf(left) and _leaf(right):
            return f"{_leaf(left)} {_SPOKEN_OPS[op]} {_leaf(right)}"
        case Call(name, (arg,)) if _leaf(arg) and name != "round":
            return f"{_SPOKEN_FUNCTIONS[name]} {_leaf(arg)}"
        case Unary("%", Num(pct)):
            return f"{spoken_number(pct, 12)} percent"
    return None


def compute(expression: str) -> tuple[Node, Number]:
    """Parse and compute spoken or typed arithmetic; raises ValueError with a sentence to speak."""
    if len(expression) > MAX_LENGTH:
        raise ValueError("That calculation is too long for me.")
    text = normalise(expression)
    if not text:
        raise NotUnderstood("What should I calculate?")
    tree = Parser(tokenize(text)).parse()
    try:
        value = evaluate(tree)
    except OverflowError:
        raise ValueError("That number is too big for me.") from None
    return tree, tidy(value)


@tool(
    timeout_s=2.0,
    examples=[
        "what's 12 times 7",
        "what is twenty five plus seventeen",
        "calculate 2 to the power of 10",
        "what's the square root of 81",
        "what's 15 percent of 80",
        "how much is 144 divided by 12",
        "what is 3.5 times 4 minus 2",
        "what's 7 squared",
    ],
)
def calculate(
    expression: Annotated[str, "arithmetic, e.g. 12 * (3 + 4), 2 ^ 10, square root of 81, 15 percent of 80"],
) -> str:
    """Work out arithmetic exactly, so the answer never depends on the language model doing sums."""
    expression, money = in_money(expression)
    tree, value = compute(expression)
    answer = spoken_number(value) if money is None else said_in(value, money)
    question = say_question(tree)
    if question is None or question == answer:
        return f"The answer is {answer}."
    return f"{question[0].upper()}{question[1:]} is {answer}."
