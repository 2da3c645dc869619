"""A watchdog on any model's stream: a first token, and every next one, must come within a deadline.

A server that accepts the request and then sends nothing (a hung process, a stuck load balancer, a GPU
queue that never drains) would otherwise hold a turn for as long as the HTTP client waits, and the
in-process model has no timeout at all. The deadline counts only the time spent waiting for the model,
not the time the reader spends elsewhere (the reply pauses reading while its first clause is synthesised).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

from assistant.llm.base import LlmTimeout

T = TypeVar("T")


async def within_deadlines(pieces: AsyncIterator[T], timeout_s: float, what: str) -> AsyncIterator[T]:
    """Yield `pieces`; raise LlmTimeout naming `what` when the next one takes more than `timeout_s`.

    The stream is closed on the way out (timeout, error, or a consumer that stops), which cancels the
    request: the HTTP connection is dropped, llama.cpp stops generating.
    """
    iterator = aiter(pieces)
    first = True
    try:
        while True:
            try:
                async with asyncio.timeout(timeout_s):
                    piece = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                waited = "the first token" if first else "the next token"
                raise LlmTimeout(f"{what} sent nothing for {timeout_s:g} s (waiting for {waited})") from None
            first = False
            yield piece
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
