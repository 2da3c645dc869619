"""The calculator's syntax tree and its safe computation: fixed functions, limits on exponents and magnitudes.

The parser only builds the tree; computing it calls nothing but the functions and constants listed here,
and every intermediate result is checked against the limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assistant.tools.declare import NotUnderstood

MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e100

Number = int | float

FUNCTIONS: dict[str, tuple[Callable[..., Number], int, int]] = {
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
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


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
            return CONSTANTS[name]
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
            fn = FUNCTIONS[name][0]
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
