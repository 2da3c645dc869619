"""A scripted language model for orchestration and timing tests (never the only test of a feature)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from assistant.llm import LlmError, Message


class ScriptedLLM:
    """Streams a fixed reply word by word; can fail after N words like a server dying mid-answer."""

    name = "scripted"

    def __init__(self, reply: str, delay_s: float = 0.02, fail_after: int | None = None) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.calls: list[list[Message]] = []
        self.cancelled = 0
        self.completed = 0

    async def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        self.calls.append(list(messages))
        try:
            for i, word in enumerate(self.reply.split(" ")):
                if self.fail_after is not None and i >= self.fail_after:
                    raise LlmError("scripted server died mid-answer")
                await asyncio.sleep(self.delay_s)
                yield word if i == 0 else " " + word
            self.completed += 1
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def warm_up(self, messages: list[Message]) -> None:
        return None
