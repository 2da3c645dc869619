"""Elliptical follow-ups of the last tool call (assistant/tools/intent/follow_up.py), on text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.tools import load_spec, make_tool
from assistant.tools.builtin import BUILTIN_TOOLS
from assistant.tools.intent import IntentMatcher

HOME_TOOLS = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return IntentMatcher([make_tool(fn) for fn in BUILTIN_TOOLS] + load_spec(str(HOME_TOOLS)))


@pytest.mark.parametrize(
    ("first", "then", "arguments"),
    [
        ("What time is it in Sydney?", "How about Berlin?", {"timezone": "Berlin"}),
        (
            "Convert ten miles to kilometers.",
            "And what about twenty six miles?",
            {"value": 26, "from_unit": "miles", "to_unit": "kilometers"},
        ),
        (
            "Convert ten miles to kilometers.",
            "And in yards?",
            {"value": 10, "from_unit": "miles", "to_unit": "yards"},
        ),
        (
            "Turn on the kitchen lights.",
            "That's too dim. Bring them up to eighty percent.",
            {"room": "kitchen", "on": True, "brightness": 80},
        ),
        # ("Now right by half a meter." is a whole request for the robot by itself, direction and distance.)
        (
            "Drive the robot forward three meters.",
            "Now the same to the left.",
            {"direction": "left", "distance": 3.0},
        ),
        ("Roll three dice.", "Okay, now four.", {"count": 4}),
        # A label is not carried into a new timer, nor taken from the words around the ellipsis.
        (
            "Set a timer for five minutes called eggs.",
            "And another one for ten minutes.",
            {"duration": "PT10M", "label": None},
        ),
        # ... unless the turn names it.
        (
            "Set a timer for five minutes called eggs.",
            "Now start another one called pasta, for eleven minutes.",
            {"duration": "PT11M", "label": "pasta"},
        ),
    ],
)
def test_a_follow_up_keeps_what_it_does_not_change(matcher, first, then, arguments) -> None:  # type: ignore[no-untyped-def]
    before = matcher.match(first)
    assert before is not None and matcher.match(then) is None  # the follow-up names no tool by itself
    found = matcher.follow_up(then, before.tool.name, before.arguments)
    assert found is not None and found.tool.name == before.tool.name
    assert {k: found.arguments.get(k) for k in arguments} == arguments, found.arguments


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("What time is it in Sydney?", "And what about dinner?"),  # lower case: no place
        ("What time is it in Sydney?", "And how are you doing today?"),
        ("Convert ten miles to kilometers.", "And who wrote Hamlet?"),
        ("Convert ten miles to kilometers.", "Is it far?"),  # refers back, changes nothing
        ("Add a note to call the plumber.", "And the electrician."),  # free text is never carried over
        ("Set a timer for five minutes.", "Thanks, that was quick."),  # no continuation
        ("Delete all my notes.", "And now the timers."),  # destructive: never by carry-over
        ("Set a timer for five minutes.", "Is it ten minutes yet?"),  # asks about it, changes nothing
        # A misheard request for something else: a number, but too many words the robot does not know.
        ("Drive the robot left half a meter.", "And you were all a single 12 sighted eye."),
        ("Turn on the kitchen lights.", "And my sister bought forty new garden chairs."),
    ],
)
def test_a_turn_that_changes_no_typed_value_is_no_follow_up(matcher, first, then) -> None:  # type: ignore[no-untyped-def]
    before = matcher.best(first)
    assert before is not None
    assert matcher.follow_up(then, before.tool.name, before.arguments) is None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["current_time", "convert_units", "set_timer", "delete_notes", "set_lights", "move_robot"]
    ),
    st.lists(
        st.sampled_from(
            "and what how about now then it them in to Paris ten half a meter minutes percent okay pounds "
            "the delete notes , ? . yards".split()
        )
        | st.text(max_size=12),
        max_size=12,
    ),
)
def test_any_words_after_any_call(matcher, name: str, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Whatever is said: no exception, a destructive tool is never continued, and a follow-up keeps the
    tool and changes at least one argument of the call before."""
    previous = (
        {"value": 10.0, "from_unit": "miles", "to_unit": "kilometers"} if name == "convert_units" else {}
    )
    found = matcher.follow_up(" ".join(words), name, previous)
    if found is not None:
        assert name != "delete_notes" and found.tool.name == name
        assert found.arguments != previous and previous.items() - found.arguments.items() <= {
            (k, v) for k, v in previous.items() if k in found.arguments
        }
