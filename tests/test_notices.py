"""What the model's history keeps of a reply: not the engine's own notices (`assistant/engine/notices.py`),
nor the short sentence a reply was cut in (`replies.without_a_short_cut`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine.notices import NOTICES, UNABLE, model_words
from assistant.engine.replies import CUT_WORDS, without_a_short_cut


@pytest.mark.parametrize(
    ("heard", "interrupted", "kept"),
    [
        (UNABLE, False, ""),
        ("Sorry,", True, ""),  # "Sorry, I can't do that." cut after its first word
        ("Sorry, I", True, ""),
        ("Sorry,", False, "Sorry,"),  # a whole reply of the model's own is its own
        ("Paris is the capital of France. Sorry,", True, "Paris is the capital of France."),
        ("Sure, I", True, "Sure, I"),  # "I" opens "I see.", but not this sentence
        ("The capital of France is", True, "The capital of France is"),
        (f"One moment. {UNABLE}", False, ""),
    ],
)
def test_notices_stay_out_of_the_history_whole_or_cut(heard: str, interrupted: bool, kept: str) -> None:
    assert model_words(heard, interrupted) == kept


@settings(max_examples=200, deadline=None, database=None)
@given(
    said=st.text(max_size=80),
    notice=st.sampled_from(NOTICES),
    cut=st.integers(1, 12),
)
def test_a_cut_notice_never_reaches_the_model(said: str, notice: str, cut: int) -> None:
    """Whatever was said before it, a last sentence that is a notice cut after some of its words goes,
    and nothing else does."""
    opening = " ".join(notice.split()[: min(cut, len(notice.split()) - 1)])
    before = said.split()
    ended = " ".join(before) + ("." if before and not before[-1].endswith((".", "!", "?")) else "")
    assert model_words(f"{ended} {opening}", interrupted=True) == model_words(ended)


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("Sorry, I", ""),
        ("A good name", ""),
        ("Paris is the capital. It has", "Paris is the capital."),
        ("Paris is the capital. It has a long history of", "Paris is the capital. It has a long history of"),
        ("It is 3.5 km away, and", "It is 3.5 km away, and"),  # "3.5" ends no sentence
        ("Done.", "Done."),
    ],
)
def test_a_reply_cut_early_keeps_what_said_something(heard: str, kept: str) -> None:
    assert without_a_short_cut(heard) == kept


@settings(max_examples=300, deadline=None, database=None)
@given(heard=st.text(alphabet=st.sampled_from("ab .!?,\n3"), max_size=80))
def test_what_a_cut_reply_keeps_is_what_was_heard_up_to_a_sentence_end(heard: str) -> None:
    """Whatever was heard: all of it, or its start up to a sentence end with under `CUT_WORDS` words
    after it; never words of its own."""
    kept = without_a_short_cut(heard)
    assert heard.startswith(kept)
    if kept != heard:
        assert not kept or kept[-1] in ".!?"
        assert len(heard[len(kept) :].split()) < CUT_WORDS
