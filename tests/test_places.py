""" "There" for a place: the place the user named last, found in passing ("moved to Toronto")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.tools.intent.places import named_places, refers_to_a_place


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("My sister Olivia just moved to Toronto for a new job.", ["Toronto"]),
        ("We're flying from New York to Los Angeles on Friday.", ["New York", "Los Angeles"]),
        ("I live in London, near Hyde Park.", ["London", "Hyde Park"]),
        ("I went to the shops.", []),
        ("I told Anna about it.", []),
        ("In the morning I went to I think Paris.", []),
    ],
)
def test_places_named_in_passing(text: str, places: list[str]) -> None:
    assert named_places(text) == places


@pytest.mark.parametrize(
    ("text", "locative"),
    [
        ("What's the time over there right now?", True),
        ("Is it raining there?", True),
        ("How far is it from here to there?", True),
        ("There are two timers running.", False),
        ("Are there any notes?", False),
        ("There's a cat in the garden.", False),
        ("What time is it?", False),
    ],
)
def test_there_for_a_place_not_existential_there(text: str, locative: bool) -> None:
    assert refers_to_a_place(text) is locative


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_read_without_error(text: str) -> None:
    """A place is only ever capitalised words of the text itself, at most three."""
    for place in named_places(text):
        words = place.split()
        assert 1 <= len(words) <= 3 and all(w[:1].isupper() and w in text for w in words), place
    assert isinstance(refers_to_a_place(text), bool)
