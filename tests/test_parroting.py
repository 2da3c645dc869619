"""Parroting: a reply that only repeats the user's words is caught while it streams and generated again.

The watch's rules on generated streams, then the real default model, primed by a history in which it
already parroted twice (the way it drifts into parroting in the dialogue set), answering a third question.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.llm import Message
from assistant.llm.llamacpp import LlamaCppLLM
from assistant.llm.parroting import ParrotWatch, words
from assistant.llm.prompt import system_prompt


def pieces_of(text: str, cuts: list[int]) -> list[str]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


def watched(user: str, pieces: list[str]) -> tuple[str, bool]:
    watch = ParrotWatch(user)
    out = ""
    for piece in [*pieces, None]:
        out += watch.feed(piece or "", final=piece is None)
        if watch.parroted:
            return out, True
    return out, False


def test_a_parrot_is_caught_before_any_of_it_is_passed_on() -> None:
    user = "We've got two cats and a dog at home."
    pieces = ["We", "'ve", " got", " two", " cats", " and", " a", " dog", " at", " home", "."]
    out, parroted = watched(user, pieces)
    assert parroted and out == ""


def test_replies_that_are_not_parrots_pass_whole() -> None:
    cases = [
        ("What is the capital of France?", "The capital of France is Paris."),
        ("We've got two cats and a dog at home.", "We've got two cats too, and they love naps."),
        ("Yes.", "Yes, I'll do that."),  # a short turn is not watched
        ("So how many pets is that altogether?", "So how many"),  # the reply ended: what was held is said
    ]
    for user, reply in cases:
        out, parroted = watched(user, pieces_of(reply, [3, 7, 12, 20]))
        assert (out, parroted) == (reply, False), user


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(user=st.text(min_size=1, max_size=80), reply=st.text(max_size=80), cuts=st.lists(st.integers(0, 80)))
def test_generated_streams_lose_nothing_unless_they_parrot(user: str, reply: str, cuts: list[int]) -> None:
    """Any split of any reply: either all of it comes out, or it repeated most of the user's words, in
    order, from its start."""
    out, parroted = watched(user, pieces_of(reply, cuts))
    if parroted:
        said, heard = words(reply), words(user)
        assert len(heard) >= 4 and said[: int(0.8 * len(heard))] == heard[: int(0.8 * len(heard))]
    else:
        assert out == reply


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    user=st.lists(st.sampled_from(["we", "got", "two", "cats", "at", "home", "I"]), min_size=4, max_size=12),
    cuts=st.lists(st.integers(0, 80)),
    end=st.sampled_from([".", "?", "!", ""]),
)
def test_a_word_for_word_repeat_is_always_caught(user: list[str], cuts: list[int], end: str) -> None:
    text = " ".join(user).capitalize() + end
    assert watched(text, pieces_of(text, cuts))[1]


async def test_the_real_model_primed_to_parrot_answers_instead(cfg) -> None:
    cfg.llm.temperature = 0
    llm = LlamaCppLLM(cfg.llm)
    history = [Message("system", system_prompt(cfg.llm))]
    for said in ["We've got two cats and a dog at home.", "So how many pets is that altogether?"]:
        history += [Message("user", said), Message("assistant", said)]  # it parroted twice already
    question = "Any ideas for what to call a goldfish?"
    reply = "".join([p async for p in llm.stream([*history, Message("user", question)])])
    assert reply.strip() and words(reply)[:4] != words(question)[:4], reply
