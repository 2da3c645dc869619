"""What every slot filler works on: the utterance, parsed once, the words that ask for the tool, and the
fill being built, in which each token is either taken by a slot or left free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.tools.intent.gate import content_mask, discourse_mask, tag_mask
from assistant.tools.intent.spans import Span, find_durations, find_times
from assistant.tools.intent.text import Tokens, polite, stem, tokenize


@dataclass(frozen=True)
class Utterance:
    """One transcript, tokenised once, with the tool-independent spans found once."""

    text: str
    tokens: Tokens
    durations: list[Span]
    times: list[Span]
    polite: list[bool]
    keys: tuple[str, ...]
    """Each token's stem, or the known word it was probably misheard for ("gansel" -> "cancel")."""
    discourse: list[bool]
    """Interjections, answers, thanks, idioms ("never mind", "hold on"): never part of a value."""
    tags: list[bool]
    """The discourse tokens that may also end a sentence ("..., okay?", "thanks")."""
    content: list[bool]
    """Tokens that can name a thing or give a value (gate.content_mask)."""

    @classmethod
    def parse(cls, text: str, correct: Callable[[str], str] | None = None) -> Utterance:
        tokens = tokenize(text)
        keys = tuple(stem(t) for t in tokens.norm)
        if correct is not None:
            keys = tuple(correct(k) for k in keys)
        norm = tokens.norm
        return cls(
            text, tokens, find_durations(norm), find_times(norm), polite(norm), keys,
            discourse_mask(norm), tag_mask(norm), content_mask(norm),
        )  # fmt: skip


@dataclass
class Fill:
    """The arguments found for one tool, and each token's slot label (None: carrier word)."""

    arguments: dict[str, Any] = field(default_factory=dict)
    labels: list[str | None] = field(default_factory=list)
    text_values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolWords:
    """The words that ask for one tool (from its name, description and examples), to cut free text."""

    triggers: frozenset[str]
    name_words: frozenset[str]
    needs_digit: frozenset[str] = frozenset()
    """str parameters whose example values all hold a number (an expression): a value without one is wrong."""
    max_words: dict[str, int] = field(default_factory=dict)
    """Optional str parameters (labels): longer values are not this parameter ("a reminder to ...")."""


class Filler:
    """The tokens of one utterance being taken, one slot at a time, for one tool's parameters."""

    def __init__(self, utterance: Utterance, words: ToolWords) -> None:
        self.u = utterance
        self.norm = utterance.tokens.norm
        self.words = words
        self.fill = Fill(labels=[None] * len(self.norm))

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.norm) and self.fill.labels[i] is None

    def take(self, start: int, end: int, label: str) -> None:
        for i in range(start, end):
            self.fill.labels[i] = label

    def span_free(self, span: Span) -> bool:
        return all(self.free(i) for i in range(span.start, span.end))
