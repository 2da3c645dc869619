"""Expression text into a syntax tree: a tokenizer that accepts only numbers, operators and a fixed list of
names, and a Pratt parser that builds the tree without computing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.tools.builtin.arithmetic import (
    CONSTANTS,
    FUNCTIONS,
    Binary,
    Call,
    Const,
    Node,
    Num,
    Number,
    Unary,
)
from assistant.tools.declare import NotUnderstood

MAX_DEPTH = 60

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)|(?P<name>[a-z]+)|(?P<op>\^|[-+*/%(),°]))",
)
_NAMES = {"mod"} | set(FUNCTIONS) | set(CONSTANTS)


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
        if token.kind == "name" and token.text in CONSTANTS:
            return Const(token.text)
        if token.kind == "name" and token.text in FUNCTIONS:
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
            _, fewest, most = FUNCTIONS[token.text]
            if not fewest <= len(args) <= most:
                raise ValueError(
                    f"{token.text} takes {fewest if fewest == most else f'{fewest} or {most}'} "
                    f"number{'s' if most > 1 else ''}."
                )
            return Call(token.text, tuple(args))
        if token.kind == "end":
            raise NotUnderstood("The calculation seems to be missing a number.")
        raise NotUnderstood("I couldn't understand that as a calculation.")
