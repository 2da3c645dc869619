"""The context window of a long conversation: cut in blocks, the cut kept, the KV cache shifted over it.

Rules on a counted history (generated cases), then the real default model in process: a conversation past
its context evaluates only its new turn after a cut, not the whole conversation again.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_server import llama_server

from assistant.llm import LlmError, Message, ToolRequest, make_llm
from assistant.llm.llamacpp import LlamaCppLLM
from assistant.llm.prompt import system_prompt
from assistant.llm.window import ContextWindow, estimate_tokens

SYSTEM = Message("system", "You are a voice assistant.")


def chars(messages: list[Message]) -> int:
    return sum(len(m.content) for m in messages)


def exchange(i: int, size: int = 40) -> list[Message]:
    return [Message("user", f"question {i} ".ljust(size, "q")), Message("assistant", "a" * size)]


def test_a_long_conversation_is_cut_in_one_block_and_the_cut_is_kept() -> None:
    window = ContextWindow(budget=1000, low_water=0.5)
    history = [SYSTEM]
    kept_sizes, cuts = [], []
    for i in range(60):
        turn = Message("user", f"turn {i} ".ljust(40, "x"))
        kept = window.fit([*history, turn], chars)
        assert kept[0] == SYSTEM and kept[-1] == turn and chars(kept) <= 1000
        kept_sizes.append(chars(kept))
        cuts.append(window.cuts)
        history += [turn, Message("assistant", "a" * 40)]
    # 80 characters a turn: a cut every ~6 turns (down to half of 1,000), not one every turn past the budget.
    assert 5 <= window.cuts <= 8, cuts
    assert min(kept_sizes[20:]) <= 520
    # Between two cuts each prompt extends the last one: what the cache holds stays a prefix.
    for i in range(1, 60):
        if cuts[i] == cuts[i - 1]:
            assert kept_sizes[i] == kept_sizes[i - 1] + 80


def test_the_current_turn_and_its_tool_rounds_always_stay() -> None:
    window = ContextWindow(budget=200)
    old = [m for i in range(5) for m in exchange(i)]
    call = ToolRequest("c1", "order_status", '{"order_id": 42}')
    current = [
        Message("user", "Where is my order?"),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", '{"status": "shipped"}' * 20, tool_call_id="c1"),
    ]
    kept = window.fit([SYSTEM, *old, *current], chars)
    assert kept == [SYSTEM, *current]  # over the budget even alone: nothing of the turn is dropped


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=60),
    budget=st.integers(50, 2000),
    low_water=st.floats(0.2, 1.0),
    system=st.booleans(),
)
def test_generated_conversations_keep_the_windows_rules(sizes, budget, low_water, system) -> None:
    """Whatever the lengths: the system prompt first, the current turn whole, within the budget whenever
    the system prompt and the current turn alone fit, and only user messages start the kept history."""
    window = ContextWindow(budget, low_water)
    history = [SYSTEM] if system else []
    for i, size in enumerate(sizes):
        turn = Message("user", "u" * size)
        kept = window.fit([*history, turn], chars)
        assert kept[-1] == turn
        if system:
            assert kept[0] == SYSTEM
        body = kept[1:] if system else kept
        assert body[0].role == "user"
        if chars([*([SYSTEM] if system else []), turn]) <= budget * low_water:
            assert chars(kept) <= budget
        history += [turn, Message("assistant", "a" * (i % 50))]


def test_server_prompts_are_estimated_on_the_high_side() -> None:
    english = [Message("user", "What is the tallest mountain on Earth, and how high is it?")]
    # Qwen's tokenizer: 14 tokens for the words, ~5 of chat markup.
    assert estimate_tokens(english) >= 19


async def test_a_conversation_past_its_context_evaluates_only_its_new_turn(cfg) -> None:
    """The real default model with a small context: the turn that cuts evaluates its own words (the cache
    shifted over the cut), and a conversation that used the model in between is never shifted into."""
    cfg.llm.n_ctx = 1536
    cfg.llm.max_tokens = 24
    cfg.llm.temperature = 0
    llm, other = LlamaCppLLM(cfg.llm), LlamaCppLLM(cfg.llm)
    llama = llm._llama
    evaluated: list[int] = []
    real_eval = llama.eval

    def counting_eval(tokens):  # type: ignore[no-untyped-def]
        evaluated.append(len(tokens))
        return real_eval(tokens)

    llama.eval = counting_eval
    history = [Message("system", system_prompt(cfg.llm))]
    facts = ["My name is Ada.", "I live in Lisbon.", "I have a dog called Rex.", "I work as a nurse."]
    rows = []
    try:
        for i in range(40):
            user = Message("user", f"{facts[i % 4]} Please remember that, it is fact number {i}.")
            evaluated.clear()
            reply = "".join([p async for p in llm.stream([*history, user])])
            rows.append((llm._window.cuts, llm.shifted, sum(evaluated), reply))
            history += [user, Message("assistant", reply or "OK.")]
            if llm._window.cuts >= 2:
                break
        first_cut = next(i for i, row in enumerate(rows) if row[0] == 1)
        _, shifted, spent, reply = rows[first_cut]
        print(
            f"\ncut at turn {first_cut + 1}: {shifted} tokens shifted, {spent} evaluated (turn before: "
            f"{rows[first_cut - 1][2]})"
        )
        assert shifted > 200, rows[first_cut - 1 : first_cut + 1]
        # The new turn (~25 tokens) and the reply's tokens; without the shift, ~500 tokens again.
        assert spent < 120, rows[first_cut - 1 : first_cut + 1]
        assert reply.strip(), rows[first_cut]
        # Another conversation in between: this one's cache is put back (assistant.llm.kv_swap), and the
        # other's entries are never shifted into this prompt.
        before = llm.shifted
        "".join([p async for p in other.stream([history[0], Message("user", "What colour is the sky?")])])
        user = Message("user", "What is my name?")
        answer = "".join([p async for p in llm.stream([*history, user])])
        assert llm.shifted == before and answer.strip()
    finally:
        llama.eval = real_eval


async def test_a_long_conversation_through_a_server_stays_within_its_context(cfg) -> None:
    """A real llama.cpp server with a 1,024-token context: 60 exchanges sent whole are refused; through
    the window (llm.n_ctx = the server's) the same conversation is answered."""
    history = [Message("system", system_prompt(cfg.llm))]
    for i in range(60):
        history += [Message("user", f"Note number {i} is about the garden."), Message("assistant", "Noted.")]
    question = Message("user", "What colour is the sky?")
    with llama_server(n_threads=2, n_ctx=1024) as (base, _):
        served = {"backend": "openai", "base_url": base, "model": "gemma", "max_tokens": 16}
        unbounded = cfg.llm.model_copy(update={**served, "n_ctx": 100_000})  # as if there were no window
        with pytest.raises(LlmError):
            "".join([p async for p in make_llm(unbounded).stream([*history, question])])
        within = cfg.llm.model_copy(update={**served, "n_ctx": 1024})
        answer = "".join([p async for p in make_llm(within).stream([*history, question])])
        assert answer.strip()
