"""A scripted language model for orchestration and timing tests (never the only test of a feature)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from assistant.llm import LlmError, Message, ToolRequest


class ScriptedLLM:
    """Streams a fixed reply word by word; can fail after N words like a server dying mid-answer.

    `tool_requests`: asked for in a reply's first round when tools are offered, as a model that wants to
    call them would, in every reply or in the first `tool_replies`.
    """

    name = "scripted"

    def __init__(
        self,
        reply: str,
        delay_s: float = 0.02,
        fail_after: int | None = None,
        tool_requests: Sequence[ToolRequest] = (),
        tool_replies: int | None = None,
        first_token_s: float = 0.0,
    ) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.tool_requests = list(tool_requests)
        self.tool_replies = tool_replies
        """How many replies ask for the tools (None: every one)."""
        self.first_token_s = first_token_s
        """Seconds before a reply's first word, besides `delay_s` (a model slow to start)."""
        self.calls: list[list[Message]] = []
        self.offered: list[list[Any]] = []
        self.allowed: list[Any] = []
        """What each call allowed of the offered tools (None: any; an empty set: no call)."""
        self.required: list[Any] = []
        """The tool each call had to call (None: the model chooses)."""
        self.cancelled = 0
        self.closed = 0
        """Replies whose reader stopped the stream before its end (a guard that cut the reply)."""
        self.completed = 0
        self.prefilled: list[list[str]] = []
        """The messages' texts of each prefill (the user's partial words last)."""
        self.released = 0
        """How many times a conversation that used this model ended."""

    async def stream(
        self, messages: list[Message], tools: Sequence[Any] = (), allowed: Any = None, required: Any = None
    ) -> AsyncIterator[str | ToolRequest]:
        self.required.append(required)
        self.calls.append(list(messages))
        self.offered.append(list(tools))
        self.allowed.append(allowed)
        try:
            await asyncio.sleep(self.first_token_s)
            wants = self.tool_replies is None or self.tool_replies > 0
            if tools and self.tool_requests and messages[-1].role == "user" and wants:
                if self.tool_replies is not None:
                    self.tool_replies -= 1
                await asyncio.sleep(self.delay_s)
                for request in self.tool_requests:
                    yield request
                return
            for i, word in enumerate(self.reply.split(" ")):
                if self.fail_after is not None and i >= self.fail_after:
                    raise LlmError("scripted server died mid-answer")
                await asyncio.sleep(self.delay_s)
                yield word if i == 0 else " " + word
            self.completed += 1
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        except GeneratorExit:
            self.closed += 1
            raise

    async def warm_up(self, messages: list[Message], tools: Sequence[Any] = ()) -> None:
        return None

    def release(self) -> None:
        self.released += 1

    async def prefill(self, messages: list[Message], tools: Sequence[Any] = ()) -> None:
        self.prefilled.append([m.content for m in messages])
