"""The opening of a reply sentence that is about the prompt or the question, not an answer: left unsaid.

Two kinds, both from Qwen2.5-Coder 0.5B with the tools offered:

- A source that is the model's own prompt: "According to the information provided in the XML tags, there
  are 5 continents." (the tools' header of Qwen's chat template; three answers of one dialogue in the
  spoken pass of 2026-12-04), "Based on the given context, ...". A real source is said ("According to
  NASA, Mars is red.").
- The question restated: 'To answer the question "How old will she be?", ...'. The model then goes on
  with tool talk or stops, and once such a sentence is in the history it opens turn after turn with it
  (five turns of one dialogue in a row, held-out text pass of 2026-12-04, temperature 0.3); to a statement
  it quotes the statement ('To answer the question "My daughter Sofia turns nine on Saturday," you can
  use ...'). "To answer your question, a spider has eight legs." is said from "A spider".

A sentence that opens so (`LEAD_IN`) is held clause by clause until its opening can be judged: up to a
comma or other stop (the chunker may have cut "To answer the question" alone), and a quoted question is
left out up to its closing quote or the end of its sentence, which may come clauses later.
"""

from __future__ import annotations

import re

LEAD_IN = re.compile(
    r"\s*(?:according|based|as (?:per|given in|stated in|shown in)|to answer|in answer to)\b", re.I
)
"""A sentence that opens on a source or on answering: held until the opening ends."""
_PROMPT_SOURCE = re.compile(
    r"\s*(?:according to|based on|as (?:per|given in|stated in|shown in))\b[^,.;:!?]*?\b(?:"
    r"xml|tags?|tools?|functions?|context|prompts?|instructions?"
    r"|(?:information|data|details) (?:provided|given)|(?:provided|given) (?:information|data|details)"
    r")\b[^,.;:!?]*,\s*",
    re.I,
)
_RESTATED = re.compile(
    r"\s*(?:to answer|in answer to)\s+(?:(?:the|this|that|your|my|a)\s+)?(?:(?:user['’]?s?|following)\s+)?"
    r"(?:question|query)\b\s*(?:(?:of|about|on)\s+)?[:,]?\s*"
    r"(?:(?P<quote>[\"“][^\"”.?!]*(?P<ended>[.?!]+)?(?P<closed>[\"”])?)|(?=[,.;:!?])|$)[\s,.;:!?]*",
    re.I,
)
SOURCE_CHARS = 300
"""Only a sentence's first characters are searched for an opening (the source pattern's time grows with the
square of the text it reads: 4 s for a crafted 120,000-character clause)."""
_HELD_WORDS = 20
"""An opening not ended by this many words is said as it is."""
_AFTER_QUOTE = re.compile(r"^[^\"”.?!]*(?:[.?!]+[\"”]?|[\"”])[\s,.;:!?]*")
"""The rest of a quoted question: up to its closing quote or the end of its sentence."""
_LEADING = re.compile(r"^[\s\"”,;:.]+")
_OPENING_ENDS = re.compile(r"[,.;:!?\"“]")
"""A mark that lets a held opening be judged: a stop, or the quote that starts a restated question."""


class Preamble:
    """Takes each clause of a reply before the guard's other checks and gives back what of it to judge."""

    def __init__(self) -> None:
        self._held = ""
        """The opening so far, not yet judged."""
        self._in_quote = False
        """A restated question's quote is still open: what follows up to its closing quote is left out."""
        self._capital = False
        """The next words open the sentence: its opening was left out."""
        self.dropped = False
        """Some opening was left out."""

    def take(self, clause: str, opens_sentence: bool, last: bool = False) -> str | None:
        """`clause`: the next clause; `opens_sentence`: it starts a sentence; `last`: the reply ends with
        it. Returns what to judge of it ('' when all of it was the opening), or None while it is held."""
        if self._in_quote:
            end = _AFTER_QUOTE.match(clause)
            if end is None:
                return ""
            self._in_quote, clause = False, clause[end.end() :]
        elif self._held or (opens_sentence and LEAD_IN.match(clause)):
            text = f"{self._held} {clause}".strip()
            self._held = ""
            if not last and not _OPENING_ENDS.search(text) and len(text.split()) < _HELD_WORDS:
                self._held = text
                return None
            clause = self._without_opening(text)
        if self._capital:
            rest = _LEADING.sub("", clause)
            if rest:
                self._capital, clause = False, rest[:1].upper() + rest[1:]
            else:
                clause = ""
        return clause

    @property
    def holding(self) -> bool:
        """An opening is held, not yet judged: at the reply's end, `take("", ..., last=True)` judges it."""
        return bool(self._held)

    def _without_opening(self, text: str) -> str:
        head = text[:SOURCE_CHARS]
        restated = _RESTATED.match(head)
        if restated and restated.group("quote") and not (restated.group("closed") or restated.group("ended")):
            self._in_quote = True  # the quoted question goes on in the next clause
        opening = restated or _PROMPT_SOURCE.match(head)
        if opening is None:
            return text
        self.dropped = self._capital = True
        return text[opening.end() :]
