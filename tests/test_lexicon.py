"""A burst during a reply that Whisper wrote as no real word is a sound; one real word makes it words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assistant.engine.commands import STOP_WORDS
from assistant.engine.lexicon import holds_no_word, known

COMMON = ["stop", "wait", "no", "what", "yes", "milk", "thirty", "sorry", "hey", "the", "in", "tokyo", "5"]
INVENTED = ["NMO", "Culp", "Mmhmm", "Grmbl", "Xqz"]


def test_words_nobody_says_are_not_words_and_stop_misheard_still_is() -> None:
    for text in ("NMO", "Culp.", "Mmhmm.", "Xqz, grmbl!"):
        assert holds_no_word(text), text
    for text in (
        "in the month.",
        "Stop.",
        "Stap!",
        "Stahp",
        "Wiat.",
        "Kwiet!",
        "Juno?",
        "Anna.",
        "42",
        "5 5",
    ):
        assert not holds_no_word(text), text
    assert not holds_no_word("") and not holds_no_word("...")  # nothing heard: other rules decide


@given(st.lists(st.sampled_from(INVENTED), min_size=0, max_size=3), st.sampled_from(COMMON), st.data())
def test_one_real_word_makes_a_burst_words(invented: list[str], word: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(invented)))
    text = " ".join([*invented[:at], word.capitalize() + ".", *invented[at:]])
    assert not holds_no_word(text)


@given(
    st.sampled_from(sorted(w for w in STOP_WORDS if len(w) > 3)),
    st.integers(0, 10),
    st.sampled_from("aeiouxz"),
)
def test_a_stop_word_with_one_letter_wrong_is_still_a_word(stop: str, at: int, letter: str) -> None:
    """Whisper's slips on "stop" said over a reply ("Stap") must cut the reply, not be let go."""
    at %= len(stop)
    assert known(stop[:at] + letter + stop[at + 1 :])


@given(st.text(max_size=120))
def test_any_transcript_is_judged_without_error(text: str) -> None:
    assert isinstance(holds_no_word(text), bool)
