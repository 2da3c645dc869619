"""The in-process llama.cpp backend on the bundled Gemma: streaming, and backpressure towards its reader."""

from __future__ import annotations

import asyncio
import time

from assistant.llm import Message
from assistant.llm.llamacpp import LlamaCppLLM


def question(cfg, text: str) -> list[Message]:
    return [Message("system", cfg.llm.system_prompt), Message("user", text)]


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


async def test_abandoned_stream_frees_the_model(cfg):
    llm = LlamaCppLLM(cfg.llm)
    stream = llm.stream(question(cfg, "Tell me a long story about a dragon."))
    await anext(stream)
    await stream.aclose()
    answer = "".join([piece async for piece in llm.stream(question(cfg, "What colour is the sky?"))])
    assert answer.strip()
