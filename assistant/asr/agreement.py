"""LocalAgreement-2: commit the words that two successive hypotheses of a growing clip agree on.

After D. Macháček, R. Dabre and O. Bojar, "Turning Whisper into Real-Time Transcription System"
(IJCNLP-AACL 2023 demo; whisper_streaming's `HypothesisBuffer`). Every partial pass decodes the audio
that is not committed yet; the longest common prefix of its words and the previous pass's words is
committed, because a word that two decodes of different lengths agree on rarely changes again. Words
that start before the committed end, or repeat the committed tail (an n-gram of up to five words
decoded again at the seam, right at it), are dropped before comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One decoded word with its place in the turn's audio, in seconds from the turn's first sample."""

    text: str
    """As Whisper wrote it, with its punctuation and leading space (" Hello,")."""
    start: float
    end: float

    @property
    def key(self) -> str:
        """What two hypotheses must share to agree: the word without case or punctuation."""
        return re.sub(r"[^a-z0-9']+", "", self.text.lower()) or self.text.strip().lower()


def join_words(words: list[Word]) -> str:
    return "".join(w.text for w in words).strip()


class LocalAgreement:
    """The committed words of one turn and the previous pass's uncommitted ones."""

    SEAM_SLACK_S = 0.1
    """A new word that starts this much before the committed end may still be new (timing jitter)."""
    MAX_SEAM_NGRAM = 5
    SEAM_NGRAM_S = 0.0
    """Only a hypothesis that starts before the committed end (plus this) can repeat its tail: a word
    said again after it ("five five") is a new word."""
    SURE_SEAM_WORDS = 4
    """So many words or more that repeat the committed tail are decoded again, whatever their times: in a
    paused sentence Whisper timed the final pass's "there might be prudently in his power ..." after the
    committed "... there might be prudently in his", and the turn was heard with the phrase twice."""
    MAX_REDECODED = 20

    def __init__(self) -> None:
        self.committed: list[Word] = []
        self._previous: list[Word] = []

    @property
    def committed_end(self) -> float:
        """Where the committed words end, in seconds (0 before any commit)."""
        return self.committed[-1].end if self.committed else 0.0

    @property
    def pending(self) -> list[Word]:
        """The last pass's words that are not committed yet."""
        return list(self._previous)

    def insert(self, words: list[Word]) -> list[Word]:
        """Take a new hypothesis of the uncommitted audio; returns the words it commits."""
        fresh = self.after_seam(words)
        agreed: list[Word] = []
        for new, old in zip(fresh, self._previous, strict=False):
            if new.key != old.key:
                break
            agreed.append(new)
        self.committed.extend(agreed)
        self._previous = fresh[len(agreed) :]
        return agreed

    def commit_all(self, words: list[Word]) -> None:
        """Commit words unconditionally (the turn's audio ran too long without agreement)."""
        fresh = self.after_seam(words)
        self.committed.extend(fresh)
        self._previous = []

    def after_seam(self, words: list[Word]) -> list[Word]:
        """Drop the words of a hypothesis that the committed words already hold."""
        limit = self.committed_end - self.SEAM_SLACK_S
        fresh = [w for w in words if w.start > limit] if self.committed else list(words)
        if not self.committed or not fresh:
            return fresh
        near = fresh[0].start - self.committed_end <= self.SEAM_NGRAM_S
        tail = [w.key for w in self.committed[-self.MAX_REDECODED :]]
        keys = [w.key for w in fresh]
        for n in range(min(len(tail), len(fresh), self.MAX_REDECODED), 0, -1):
            if (n >= self.SURE_SEAM_WORDS or (near and n <= self.MAX_SEAM_NGRAM)) and tail[-n:] == keys[:n]:
                return fresh[n:]
        return fresh
