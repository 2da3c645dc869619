"""A reply that lists the choices of a tool the turn may not call was read off the prompt, not said.

Qwen2.5-Coder 0.5B sees every tool's schema on every turn (the cached prompt prefix); with
examples/home_tools.py loaded it answered "7 of clubs" in README's `simulate` with "Markets, living rooms,
bedrooms, office." (set_lights' rooms, 2026-12-07).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.config import load_config
from assistant.engine.guard import ReplyGuard
from assistant.engine.guard_context import unasked_choices
from assistant.engine.leaks import choice_words, lists_choices
from assistant.engine.notices import CLARIFY
from assistant.engine.tooling import ToolHost, toolbox_for
from assistant.llm import Message

HOME = load_config(None, ["tools.load=[examples/home_tools.py]"])
ROOMS = ["kitchen", "living room", "bedroom", "office"]


def host() -> ToolHost:
    return ToolHost(HOME.tools, toolbox_for(HOME.tools), "t", lambda _: None, lambda c, n: None, True)  # type: ignore[arg-type,return-value]


def admitted(said: str, clauses: list[str]) -> tuple[str, str | None]:
    guard = ReplyGuard(heard=said, choices=unasked_choices([Message("user", said)], host()))
    out = [guard.admit(c, last=i == len(clauses) - 1).text for i, c in enumerate(clauses)]
    return " ".join(t for t in out if t), guard.stopped


def test_the_choices_of_the_tools_a_turn_may_not_call() -> None:
    assert set(unasked_choices([Message("user", "7 of clubs")], host())) == {
        *ROOMS,
        "forward",
        "back",
        "left",
        "right",
    }
    assert set(unasked_choices([Message("user", "Turn on the kitchen lights.")], host())) >= {
        "forward",
        "left",
    }
    assert not set(unasked_choices([Message("user", "Turn on the kitchen lights.")], host())) & set(ROOMS)


def test_a_list_of_a_tools_choices_is_cut_where_nothing_asked_for_them() -> None:
    assert admitted("7 of clubs", ["Markets, living rooms,", "bedrooms, office."]) == ("", "leak")
    assert admitted("How do I get to the station?", ["Left, right,", "forward."]) == ("", "leak")


def test_choices_said_in_a_sentence_or_asked_for_are_said() -> None:
    said = "Turn left, then right at the station."
    assert admitted("How do I get to the station?", ["Turn left,", "then right at the station."]) == (
        said,
        None,
    )
    asked = "Which room: the kitchen, the living room, the bedroom or the office?"
    assert admitted("Turn on the lights.", [asked]) == (asked, None)  # set_lights may be called
    heard = "Kitchen or office."
    assert admitted("Is the kitchen or the office warmer?", [heard]) == (heard, None)  # the user's own words


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["the", "robot", "turned", "at", "noon", "and", "then", "it", "rained"]),
        min_size=2,
        max_size=12,
    ),
    st.sampled_from(ROOMS),
)
def test_one_choice_in_a_sentence_never_cuts_it(words: list[str], room: str) -> None:
    """Generated sentences of ordinary words and one room: naming one choice is never a list of them."""
    sentence = [*words[:1], *room.split(), *words[1:]]
    assert lists_choices(sentence, choice_words(ROOMS)) <= 1


async def test_the_reply_asks_what_the_words_are_for_instead(cfg) -> None:  # type: ignore[no-untyped-def]
    messages = [Message("system", "You are a helpful assistant."), Message("user", "7 of clubs")]
    llm = ScriptedLLM("Markets, living rooms, bedrooms, office.", delay_s=0.001)
    reply, heard = await lone_reply(cfg, messages, llm, tools=host())
    assert (reply.cut, heard) == ("leak", CLARIFY)
