"""The in-process llama.cpp backend: streaming, backpressure towards its reader, grammar-held calls."""

from __future__ import annotations

import asyncio
import time

from assistant.llm import Message
from assistant.llm.llamacpp import LlamaCppLLM
from assistant.llm.prompt import system_prompt


def question(cfg, text: str) -> list[Message]:
    return [Message("system", system_prompt(cfg.llm)), Message("user", text)]


async def test_generation_pauses_while_the_reader_does(cfg):
    """A reply that stops reading (its first clause is being synthesised) must free the cores."""
    cfg.llm.max_tokens = 48
    llm = LlamaCppLLM(cfg.llm)
    # About 20 tokens at temperature 0, some 0.5 s of work on two threads.
    ask = "List ten animals that live in the ocean, one after the other, and explain."
    stream = llm.stream(question(cfg, ask))
    first = await anext(stream)
    await asyncio.sleep(0.1)  # at most one more token is computed, then the worker waits
    cpu = time.process_time()
    await asyncio.sleep(0.4)
    paused_cpu_s = time.process_time() - cpu
    rest = [piece async for piece in stream]
    text = first + "".join(rest)
    # Generating through the pause would burn about 0.6 s of CPU.
    assert paused_cpu_s < 0.15, f"generation kept running while nobody read it: {paused_cpu_s:.2f} s CPU"
    assert len(text.split()) >= 8, text


async def test_a_paused_reply_does_not_hold_another_conversation_up(cfg):
    """Two conversations share the model: while one's reader pauses (synthesising its first clause), the
    other's question still gets an answer, because the paused reply is then generated to its end."""
    cfg.llm.max_tokens = 48
    llm = LlamaCppLLM(cfg.llm)
    paused = llm.stream(question(cfg, "List ten animals that live in the ocean, one after the other."))
    first = await anext(paused)  # and then nothing is read from it for a while

    async def other() -> str:
        return "".join([piece async for piece in llm.stream(question(cfg, "What colour is the sky?"))])

    answer = await asyncio.wait_for(other(), timeout=20)
    assert answer.strip()
    rest = "".join([piece async for piece in paused])  # the paused reply goes on where it stopped
    assert rest.strip() and (first + rest).rstrip()[-1] in ".!?", first + rest


async def test_abandoned_stream_frees_the_model(cfg):
    llm = LlamaCppLLM(cfg.llm)
    stream = llm.stream(question(cfg, "Tell me a long story about a dragon."))
    await anext(stream)
    await stream.aclose()
    answer = "".join([piece async for piece in llm.stream(question(cfg, "What colour is the sky?"))])
    assert answer.strip()


async def test_grammar_constrained_tool_calls_in_process(cfg):
    """Offered tools, the default model (its own chat template and call format) either speaks or writes a
    call that is valid JSON for a real tool's schema (the grammar guarantees it); its result goes back as
    a tool message and it answers from it."""
    import json

    from assistant.engine.tooling import toolbox_for
    from assistant.llm import ToolRequest

    by_name = {t.name: t for t in toolbox_for(cfg.tools).registry}
    tools = [by_name["current_time"], by_name["set_timer"]]
    llm = LlamaCppLLM(cfg.llm)
    requests, texts = [], []
    for ask in ("Set a timer for five minutes.", "What is the capital of Spain?"):
        pieces = [piece async for piece in llm.stream(question(cfg, ask), tools)]
        requests += [p for p in pieces if isinstance(p, ToolRequest)]
        texts.append("".join(p for p in pieces if isinstance(p, str)))
    assert requests, "no tool call at all"
    for request in requests:
        by_name[request.name].validate(json.loads(request.arguments))  # raises if the JSON were wrong
    assert any(r.name == "set_timer" for r in requests)
    assert "Madrid" in texts[1]
    # The second round: the result is data in a tool message, and the model answers from it.
    call = next(r for r in requests if r.name == "set_timer")
    follow_up = [
        *question(cfg, "Set a timer for five minutes."),
        Message("assistant", "", tool_calls=(call,)),
        Message(
            "tool", json.dumps({"result": "Timer set for 5 minutes, ends at 4:20 PM."}), tool_call_id=call.id
        ),
    ]
    answer = "".join([p async for p in llm.stream(follow_up, tools) if isinstance(p, str)])
    assert any(w in answer.lower() for w in ("5", "five", "4:20", "four twenty")), answer


def test_a_models_banned_tokens_are_its_own_and_go_with_it():
    """The tokens a reply may not use were kept by `id(model)`, which Python hands to the next object once
    a model is freed: another model at that address would have had the first one's token numbers banned
    (Qwen's 151,936-token vocabulary against SmolLM2's 49,152). The tables are held by the model now."""
    import gc
    import weakref

    from llama_cpp import Llama

    from assistant.llm import llamacpp
    from assistant.models import resolve_gguf

    sizes = []
    for name in ("bundled:smollm2-135m", "bundled:qwen2.5-0.5b"):
        before = len(llamacpp._BANNED)
        llama = Llama(model_path=str(resolve_gguf(name)), vocab_only=True, verbose=False)
        llamacpp._banning(llama, "`*")
        banned = llamacpp._BANNED[llama]["`*"]
        assert len(llamacpp._BANNED) == before + 1 and 0 < len(banned) and banned.max() < llama.n_vocab()
        spelled = [llama.detokenize([int(i)]).decode("utf-8", "ignore") for i in banned[:50]]
        assert all("`" in t or "*" in t for t in spelled), name
        sizes.append(len(banned))
        gone = weakref.ref(llama)
        del llama, banned
        gc.collect()
        assert gone() is None and len(llamacpp._BANNED) == before  # the table went with its model
    assert sizes[0] != sizes[1]
