"""Cuts a token stream into speakable clauses, the first one short so that speech starts early.

The text is what a model writes, markdown and all: a clause is cut at a sentence end, at a line end
(a heading, a list item, a table row), at a comma or colon once it has a few words, or at a word limit,
but never inside "$49.95", "8:00", "e.g.", "Dr. Smith", "U.S.", a web address, a number and its unit, or
an open "**bold**", "`code`" or "[link](address)". A fenced code block is one clause of its own, cut when
it closes (assistant.tts.markup says it is skipped). Each clause is then rendered to its written form
(assistant.tts.markup) and its spoken form (assistant.tts.normalise).
"""

from __future__ import annotations

import re

from assistant.tts.markup import FENCE, open_markup

_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]*_`~]*\s|\n")
_CLAUSE_END = re.compile(r"[,;:—–][*_]*\s")
_WEAK_ENDINGS = {"a", "an", "the", "of", "to", "in", "on", "at", "for", "and", "or", "but", "with", "my"}
"""A clause cut at the word limit never ends on one of these: "He was a" / "very young man" sounds broken."""
_ABBREVIATIONS = {
    "mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "e.g.", "i.e.", "etc.", "no.", "approx.", "prof.", "mt.",
    "jr.", "sr.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.",
    "dec.", "fig.", "ca.",
}  # fmt: skip
_INITIALS = re.compile(r"(?:[a-z]\.){2,}")
"""U.S., a.m., p.m.: a full stop inside an abbreviation, not the end of a sentence."""
_LIST_NUMBER = re.compile(r"\d{1,9}[.)]")
_NUMERIC = re.compile(r"[\d$€£¥%°#@&+=/~]")
_MARKUP_CHARS = "*_`~\"')]"
_FENCE_CLOSE = re.compile(r"\n[ \t]*(```|~~~)[^\n]*(\n|$)")


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
        return [rest] if _speakable(rest) or FENCE.match(rest) else []

    def clear(self) -> None:
        """Forget what is buffered (the reply was cut: what follows is never said)."""
        self._buffer = ""

    def _next_clause(self) -> str | None:
        if FENCE.match(self._buffer):
            close = _FENCE_CLOSE.search(self._buffer)
            return self._take(close.end()) if close else None
        cut = self._sentence_end()
        if cut is None:
            cut = self._clause_end()
        if cut is None:
            cut = self._word_limit()
        return None if cut is None else self._take(cut)

    def _take(self, cut: int) -> str | None:
        clause, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
        if not _speakable(clause) and not FENCE.match(clause):
            return self._next_clause() if self._buffer else None
        self._first = False
        return clause

    def _sentence_end(self) -> int | None:
        for match in _SENTENCE_END.finditer(self._buffer):
            if match.group() == "\n":
                return match.end()
            candidate = self._buffer[: match.end()]
            words = candidate.split()
            if len(words) == 1 and _LIST_NUMBER.fullmatch(words[0]):
                continue  # "1. Preheat the oven": a numbered list item, not a sentence "1."
            last_word = words[-1].lower().strip(_MARKUP_CHARS) if words else ""
            if last_word in _ABBREVIATIONS or _INITIALS.fullmatch(last_word):
                continue
            if not self._markup_closed(candidate):
                continue
            return match.end()
        return None

    def _clause_end(self) -> int | None:
        min_words = self._first_min if self._first else self._min
        for match in _CLAUSE_END.finditer(self._buffer):
            candidate = self._buffer[: match.end()]
            if _NUMERIC.search(candidate.split()[-1]):  # "5th, 2025", "3, 4 and 5": see the next word
                following = self._buffer[match.end() :].split(" ", 1)[0]
                if not following:
                    return None
                if _NUMERIC.search(following):
                    continue
            if len(candidate.split()) >= min_words and self._markup_closed(candidate):
                return match.end()
        return None

    def _word_limit(self) -> int | None:
        """Cut after `limit` words as soon as the next word has begun (words[:limit] are then whole),
        moving on past a weak word, a number and its neighbours, and open markup."""
        limit = self._first_max if self._first else self._max
        words = self._buffer.split(" ")
        while limit < len(words) - 1 and not self._can_cut(words, limit):
            limit += 1
        if len(words) > limit and self._can_cut(words, limit):
            return len(" ".join(words[:limit])) + 1
        return None

    def _can_cut(self, words: list[str], i: int) -> bool:
        before, after = words[i - 1], words[i]
        word = before.lower().strip(",")
        if word in _WEAK_ENDINGS or word in _ABBREVIATIONS or _INITIALS.fullmatch(word) or not word:
            return False  # never "He was a" / "very young man", nor "Dr." / "Patel"
        if _NUMERIC.search(before) or _NUMERIC.search(after):
            return len(words[:i]) > 2 * self._max  # a run of numbers that never ends: cut after 48 words
        return self._markup_closed(" ".join(words[:i]))

    def _markup_closed(self, text: str) -> bool:
        """No inline markup open at the end of `text`, or one held open too long to be real (a model's
        stray "**" or "`"): more than 12 words in a first clause, 48 in a later one."""
        start = open_markup(text)
        limit = 3 * self._first_max if self._first else 2 * self._max
        return start is None or len(text[start:].split()) > limit


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
