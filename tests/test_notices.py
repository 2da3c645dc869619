"""The engine's own notices kept out of the model's history (`assistant/engine/notices.py`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine.notices import NOTICES, UNABLE, model_words


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
