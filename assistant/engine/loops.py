"""Loops in a reply: a sentence said before, or a run of words repeated back to back.

Small models loop ("I'm glad you're here." six times; "the the the ..."). A loop is a sentence said before
in the same reply (same words, any case and punctuation), or a run of words repeated back to back: one
word four times, or a phrase of 2-12 words three times (`guard.ReplyGuard` keeps the first occurrence).
"""

from __future__ import annotations

LONGEST_PHRASE = 12
"""The longest phrase whose repetition is looked for, in words."""


def loop_start(
    said: list[str],
    sentence: list[str],
    sentences: list[tuple[str, ...]],
    words: list[str],
    ends_sentence: bool,
) -> int | None:
    """Index in `words` (the next clause's, lower case) where a repetition begins, or None. `said`: the
    reply's words so far; `sentence`: those of its sentence so far; `sentences`: its finished sentences;
    `ends_sentence`: the clause ends one (then the whole sentence said before is a loop, from 0)."""
    whole = tuple(sentence + words)
    if ends_sentence and len(whole) >= 2 and whole in sentences:
        return 0  # the whole sentence again: say none of this clause
    history = said + words
    start = len(said)
    for end in range(start + 1, len(history) + 1):
        for n in range(1, LONGEST_PHRASE + 1):
            times = 4 if n == 1 else 3
            first = end - n * times
            if first < 0:
                break
            phrase = history[end - n : end]
            if all(history[first + k * n : first + (k + 1) * n] == phrase for k in range(times - 1)):
                return max(0, first + n - start)  # keep the first occurrence
    return None
