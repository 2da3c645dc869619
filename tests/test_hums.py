"""A burst over the reply read again with hums in Whisper's prompt: which bursts are read again, and
which readings are hums (`assistant/engine/hums.py`). The real decode is tested through a conversation in
test_turn_taking.py (`test_a_hum_whisper_writes_as_words_resumes_the_reply`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from wordfreq import top_n_list

from assistant.engine.commands import STOP_WORDS
from assistant.engine.hums import only_hums, worth_a_hum_look

INTERJECTIONS = {"oh", "ah", "uh", "um", "hmm", "mm", "huh", "hm", "mmm", "uhh", "ahh", "ohh", "umm", "mhm"}
"""Common English 'words' that are themselves hums."""
LETTERS = {"m", "n", "h"}
"""The letters the prompted decode spells a hum with ("N M M"); in wordfreq's list as words."""
WORDS = [
    w for w in top_n_list("en", 3000, wordlist="small") if w.isalpha() and w not in INTERJECTIONS | LETTERS
]
HUMS = ["Mm-hmm.", "Uh-huh.", "Mm.", "Hmm?", "N M M", "M-H-M.", "Nm-m.", "Uh.", "Mhm"]


def test_hums_as_the_prompted_decode_writes_them() -> None:
    for reading in ("Mm-hmm.", "Uh-huh. Uh-huh.", "N M M", "M-H-M. M-H-M. M-H", "Mm-hmm. Mm-hmm. Mm-", "M-h"):
        assert only_hums(reading), reading
    for reading in (None, "", "...", "Wait.", "Yes.", "No. No.", "in a moment.", "Uh, what?", "Go."):
        assert not only_hums(reading), reading


def test_which_bursts_are_read_again() -> None:
    for text in ("I have.", "in a month.", "Uh-how...", "and make them.", "N M M", "Go forward."):
        assert worth_a_hum_look(text), text
    # nothing heard (held until the user goes on), a backchannel, no real word, a command to stop
    for text in ("", "...", "Mm-hmm.", "Yeah.", "Okay, okay.", "NMO", "Stop.", "Wait!", "Hold on."):
        assert not worth_a_hum_look(text), text


@given(st.lists(st.sampled_from(HUMS), max_size=3), st.sampled_from(WORDS), st.data())
def test_one_word_among_hums_is_not_a_hum(hums: list[str], word: str, data: st.DataObject) -> None:
    """Any of the 3000 commonest English words, anywhere among hums, makes the reading words: a user who
    said a word over the reply is never taken for a backchannel by this rule."""
    at = data.draw(st.integers(0, len(hums)))
    reading = " ".join([*hums[:at], word.capitalize() + ".", *hums[at:]])
    assert not only_hums(reading), reading


@given(st.sampled_from(sorted(STOP_WORDS)), st.sampled_from(["", ".", "!", "?", ","]))
def test_a_command_to_stop_is_never_read_again(word: str, mark: str) -> None:
    assert not worth_a_hum_look(word.capitalize() + mark)
