"""Cuts a token stream into speakable clauses, the first one short so that speech starts early."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s")
_CLAUSE_END = re.compile(r"[,;:—–]\s")
_WEAK_ENDINGS = {"a", "an", "the", "of", "to", "in", "on", "at", "for", "and", "or", "but", "with", "my"}
"""A clause cut at the word limit never ends on one of these: "He was a" / "very young man" sounds broken."""
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "e.g.", "i.e.", "etc.", "no.", "approx."}


class ClauseChunker:
    """feed() returns the clauses completed so far; flush() returns what is left at the end."""

    def __init__(
        self, first_min_words: int = 3, min_words: int = 6, max_words: int = 24, first_max_words: int = 4
    ) -> None:
        self._buffer = ""
        self._first = True
        self._first_min = first_min_words
        self._min = min_words
        self._max = max_words
        self._first_max = first_max_words

    def feed(self, text: str) -> list[str]:
        self._buffer = (self._buffer + text).lstrip()
        out = []
        while (clause := self._next_clause()) is not None:
            out.append(clause)
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if _speakable(rest) else []

    def _next_clause(self) -> str | None:
        min_words = self._first_min if self._first else self._min
        cut = None
        for match in _SENTENCE_END.finditer(self._buffer):
            candidate = self._buffer[: match.end()].strip()
            last_word = candidate.split()[-1].lower() if candidate.split() else ""
            if last_word in _ABBREVIATIONS:
                continue
            cut = match.end()
            break
        if cut is None:
            for match in _CLAUSE_END.finditer(self._buffer):
                if len(self._buffer[: match.end()].split()) >= min_words:
                    cut = match.end()
                    break
        if cut is None:
            limit = self._first_max if self._first else self._max
            words = self._buffer.split(" ")
            while limit < len(words) - 1 and _weak(words[limit - 1]):
                limit += 1
            # The next word has begun, so words[:limit] are whole: cut now, not a token later.
            if len(words) > limit and not _weak(words[limit - 1]):
                cut = len(" ".join(words[:limit])) + 1
        if cut is None:
            return None
        clause, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
        if not _speakable(clause):
            return self._next_clause() if self._buffer else None
        self._first = False
        return clause


def _weak(word: str) -> bool:
    return word.lower().strip(",") in _WEAK_ENDINGS


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
