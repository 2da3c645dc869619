"""Conversations that take turns on the one in-process model keep their own KV cache (assistant.llm.kv_swap):
with the real default model, a turn after another conversation's evaluates only its own new words, and the
cache it is put back into is its own (the next token's logits match a full evaluation of its prompt)."""

from __future__ import annotations

import numpy as np

from assistant.llm import Message
from assistant.llm.llamacpp import LlamaCppLLM
from assistant.llm.prompt import system_prompt
from assistant.workers import run_on


async def say(llm: LlamaCppLLM, history: list[Message], text: str) -> str:
    """One turn of `llm`'s conversation: the reply, and the exchange added to `history`."""
    user = Message("user", text)
    reply = "".join([p async for p in llm.stream([*history, user])])
    history += [user, Message("assistant", reply or "OK.")]
    return reply


async def test_two_conversations_taking_turns_evaluate_only_their_new_words(cfg) -> None:
    cfg.llm.temperature = 0
    cfg.llm.max_tokens = 24
    ada, bo = LlamaCppLLM(cfg.llm), LlamaCppLLM(cfg.llm)
    llama = ada._llama
    assert bo._llama is llama  # one model, shared as by a server's conversations
    evaluated: list[int] = []
    real_eval = llama.eval

    def counting_eval(tokens):  # type: ignore[no-untyped-def]
        evaluated.append(len(tokens))
        return real_eval(tokens)

    system = Message("system", system_prompt(cfg.llm))
    ada_history, bo_history = [system], [system]
    ada_says = ["My name is Ada and I live in Lisbon.", "I have a dog called Rex.", "I work as a nurse."]
    bo_says = ["Hi, I'm Bo. I'm planning a trip.", "I want to see mountains.", "How about in spring?"]
    llama.eval = counting_eval
    try:
        spent: list[tuple[str, int, int]] = []  # what was said, tokens evaluated, tokens that were new
        for mine, theirs in zip(ada_says, bo_says, strict=True):
            for llm, history, text in ((ada, ada_history, mine), (bo, bo_history, theirs)):
                before = len(
                    llama.tokenize(llm._prompt(history, [], generation=False).encode(), special=True)
                )
                evaluated.clear()
                await say(llm, history, text)
                prompt = len(llama.tokenize(llm._prompt(history[:-1], []).encode(), special=True))
                spent.append((text, sum(evaluated), prompt - before))
        # Every turn after the first two found its conversation's cache put back: it evaluated its own
        # new words and template, and its reply (at most max_tokens), not its history again (which,
        # without the swap, the other conversation's turn would have evicted).
        assert (ada.restored, bo.restored) == (2, 2), spent
        for _, tokens, new in spent[2:]:
            assert tokens <= new + cfg.llm.max_tokens + 3, spent

        # The cache put back is Ada's own: the next token's logits match those of her whole prompt
        # evaluated from nothing.
        question = [*ada_history, Message("user", "What is my name?")]
        await say(bo, bo_history, "Thanks, that helps.")

        def next_logits(fresh: bool) -> tuple[np.ndarray, int]:
            prompt, _ = ada._fitted(question, [])
            tokens = llama.tokenize(prompt.encode(), special=True)
            if fresh:
                llama.reset()
                llama._ctx.kv_cache_clear()
            held = llama.input_ids[: llama.n_tokens]
            common = 0
            while common < min(len(held), len(tokens) - 1) and held[common] == tokens[common]:
                common += 1
            llama._ctx.kv_cache_seq_rm(-1, common, -1)
            llama.n_tokens = common
            real_eval(tokens[common:])
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
            return logits.copy(), common

        swapped, common = await run_on(llama, "llama", next_logits, False)
        assert ada.restored == 3 and common > 150, (ada.restored, common)
        full, _ = await run_on(llama, "llama", next_logits, True)
        assert int(np.argmax(swapped)) == int(np.argmax(full))
        assert np.corrcoef(swapped, full)[0, 1] > 0.999, np.abs(swapped - full).max()
        # A conversation that has ended is not kept aside when another takes the model.
        ada.release()
        before = bo.restored
        await say(bo, bo_history, "One more thing.")
        assert ada._stash is None and bo.restored == before + 1
        # Nor after a prefill of hers that was still queued when she left: it does nothing.
        await ada.prefill([*ada_history, Message("user", "And one")])
        await say(bo, bo_history, "Bye now.")
        assert ada._stash is None and bo.restored == before + 1
        print(f"\ntokens evaluated per turn (who said what, evaluated, prompt): {spent}")
    finally:
        llama.eval = real_eval
