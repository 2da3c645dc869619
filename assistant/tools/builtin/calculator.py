"""Arithmetic from speech: "what's twelve times seven", "15 percent of 80", "square root of 81".

A transcript is untrusted text, so it is never evaluated as Python: a normaliser rewrites spoken forms into
a tiny expression language, a tokenizer accepts only numbers, operators and a fixed list of names, and a
Pratt parser builds a tree that is computed with limits on exponents and magnitudes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from text_to_num import alpha2digit

from assistant.tools.builtin.speech import spoken_number
from assistant.tools.declare import NotUnderstood, tool

MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e100
MAX_LENGTH = 300
MAX_DEPTH = 60

Number = int | float


# ---------------------------------------------------------------- spoken forms -> expression text

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


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)|(?P<name>[a-z]+)|(?P<op>\^|[-+*/%(),°]))",
)
_FUNCTIONS: dict[str, tuple[Callable[..., Number], int, int]] = {
    # name: (function, fewest arguments, most arguments)
    "sqrt": (lambda x: _sqrt(x), 1, 1),
    "cbrt": (lambda x: math.copysign(abs(x) ** (1 / 3), x), 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "log": (lambda x, base=10: _log(x, base), 1, 2),
    "ln": (lambda x: _log(x, math.e), 1, 1),
    "abs": (abs, 1, 1),
    "round": (lambda x, digits=0: _round(x, digits), 1, 2),
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}
_NAMES = {"mod"} | set(_FUNCTIONS) | set(_CONSTANTS)


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise NotUnderstood("I couldn't understand that as a calculation.")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "name" and value not in _NAMES:
            raise NotUnderstood(f"I don't know how to calculate with {value}.")
        tokens.append(Token(kind, value))
        pos = match.end()
    tokens.append(Token("end", ""))
    return tokens


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Num:
    value: Number


@dataclass(frozen=True)
class Const:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+", "%" (percent), "°" (degrees to radians)
    arg: Node


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "^", "mod"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Num | Const | Unary | Binary | Call

# Binding powers: higher binds tighter. Power is right-associative and binds tighter than unary minus.
_INFIX = {"+": 10, "-": 10, "*": 20, "/": 20, "mod": 20, "%": 20, "^": 40}
_PREFIX_POWER = 30
_POSTFIX_POWER = 50


class Parser:
    """A Pratt parser over the tokens; it only builds a tree, it never computes."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise NotUnderstood("I couldn't understand that as a calculation.")

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek().kind != "end":
            raise NotUnderstood("I couldn't understand that as a calculation.")
        return node

    def starts_operand(self, token: Token) -> bool:
        return (token.kind in ("num", "name") and token.text != "mod") or token.text == "("

    def expression(self, min_power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError("That calculation is too deeply nested for me.")
        left = self.prefix()
        while True:
            token = self.peek()
            # "%" before an operand is modulo ("10 % 3"); otherwise it means percent ("50% of 80").
            is_modulo = token.text == "%" and self.starts_operand(self.peek(1))
            if token.text in ("%", "°") and not is_modulo and _POSTFIX_POWER >= min_power:
                self.take()
                left = Unary(token.text, left)
                continue
            if (token.kind == "op" and token.text in _INFIX) or token.text == "mod":
                op = "mod" if token.text == "%" else token.text
                power = _INFIX[token.text]
                if power < min_power or (power == min_power and op != "^"):
                    break
                self.take()
                right = self.expression(power if op == "^" else power + 1)
                left = Binary(op, left, right)
            elif self.starts_operand(token) and token.kind != "num" and _INFIX["*"] > min_power:
                # Implicit multiplication: "2 pi", "3 (4 + 5)", "2 sqrt 9".
                right = self.expression(_INFIX["*"] + 1)
                left = Binary("*", left, right)
            else:
                break
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        token = self.take()
        if token.kind == "num":
            text = token.text
            value: Number = int(text) if text.isdecimal() else float(text)
            return Num(value)
        if token.text in ("-", "+"):
            return Unary(token.text, self.expression(_PREFIX_POWER))
        if token.text == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        if token.kind == "name" and token.text in _CONSTANTS:
            return Const(token.text)
        if token.kind == "name" and token.text in _FUNCTIONS:
            if self.peek().text == "(":
                self.take()
                args = [self.expression(0)]
                while self.peek().text == ",":
                    self.take()
                    args.append(self.expression(0))
                self.expect(")")
            else:
                # "sqrt 81", "sin 30 degrees": the argument binds like a power's base.
                args = [self.expression(_PREFIX_POWER)]
            _, fewest, most = _FUNCTIONS[token.text]
            if not fewest <= len(args) <= most:
                raise ValueError(
                    f"{token.text} takes {fewest if fewest == most else f'{fewest} or {most}'} "
                    f"number{'s' if most > 1 else ''}."
                )
            return Call(token.text, tuple(args))
        if token.kind == "end":
            raise NotUnderstood("The calculation seems to be missing a number.")
        raise NotUnderstood("I couldn't understand that as a calculation.")


# ---------------------------------------------------------------- evaluation


def _sqrt(x: Number) -> Number:
    if x < 0:
        raise ValueError("I can't take the square root of a negative number.")
    if isinstance(x, int):
        root = math.isqrt(x)
        if root * root == x:
            return root
    return math.sqrt(x)


def _log(x: Number, base: Number) -> float:
    if x <= 0 or base <= 0 or base == 1:
        raise ValueError("Logarithms are only defined for positive numbers.")
    return math.log(x) if base == math.e else math.log(x, base)


def _round(x: Number, digits: Number) -> Number:
    """Half away from zero, as people round (Python's round(2.5) is 2)."""
    if digits != int(digits) or abs(digits) > 15:
        raise ValueError("I can round to at most 15 digits.")
    rounded = Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)


def _check(value: Number) -> Number:
    if isinstance(value, complex):
        raise ValueError("The answer isn't a real number.")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("The answer isn't a real number.")
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError("That number is too big for me.")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError("That exponent is too big for me.")
    if base == 0 and exponent < 0:
        raise ValueError("I can't divide by zero.")
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        if base not in (-1, 0, 1) and exponent * math.log10(abs(base)) > 101:
            raise ValueError("That number is too big for me.")
        return base**exponent
    try:
        result = float(base) ** float(exponent)
    except OverflowError:
        raise ValueError("That number is too big for me.") from None
    if isinstance(result, complex):
        raise ValueError("The answer isn't a real number.")
    return result


def _divide(a: Number, b: Number) -> Number:
    if b == 0:
        raise ValueError("I can't divide by zero.")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def evaluate(node: Node) -> Number:
    """Compute the tree; every intermediate result is checked against the limits."""
    match node:
        case Num(value):
            return _check(value)
        case Const(name):
            return _CONSTANTS[name]
        case Unary("-", arg):
            return -evaluate(arg)
        case Unary("+", arg):
            return evaluate(arg)
        case Unary("%", arg):
            return _divide(evaluate(arg), 100)
        case Unary("°", arg):
            return evaluate(arg) * math.pi / 180
        case Binary(op, left, right):
            a, b = evaluate(left), evaluate(right)
            if op == "+":
                return _check(a + b)
            if op == "-":
                return _check(a - b)
            if op == "*":
                return _check(a * b)
            if op == "/":
                return _check(_divide(a, b))
            if op == "mod":
                if b == 0:
                    raise ValueError("I can't divide by zero.")
                return _check(a % b)
            return _check(_power(a, b))
        case Call(name, args):
            fn = _FUNCTIONS[name][0]
            values = [evaluate(arg) for arg in args]
            if name in ("sin", "cos", "tan") and not abs(values[0]) < 1e15:
                raise ValueError("That angle is too big for me.")
            try:
                return _check(fn(*values))
            except ArithmeticError:
                raise ValueError("I can't calculate that.") from None
    raise NotUnderstood("I couldn't understand that as a calculation.")


def tidy(value: Number) -> Number:
    """Floats that are whole become ints; float noise around zero (sin pi) becomes zero."""
    if isinstance(value, float):
        if abs(value) < 1e-12:
            return 0
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        rounded = float(f"{value:.12g}")
        return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded
    return value


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
    tree, value = compute(expression)
    answer = spoken_number(value)
    question = say_question(tree)
    if question is None or question == answer:
        return f"The answer is {answer}."
    return f"{question[0].upper()}{question[1:]} is {answer}."
