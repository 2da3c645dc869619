"""What the engine needs from a language model: stream the reply's text for a conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from assistant.tools import Tool

from assistant.config import LlmConfig


class LlmError(RuntimeError):
    """The model or its server failed; the message says which and how, for the user and the log."""


class LlmTimeout(LlmError):
    """Nothing came for `llm.request_timeout_s`: before the first token, or between two."""


class LlmBadAnswer(LlmError):
    """The server answered, but not with a completion stream (garbage, an HTML page, broken JSON)."""


@dataclass(frozen=True)
class ToolRequest:
    """The model asks for a tool; `arguments` is the model's raw JSON text, validated before any call."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    interrupted: bool = False
    tool_calls: tuple[ToolRequest, ...] = ()
    """An assistant message that asked for tools."""
    tool_call_id: str | None = None
    """A tool message: the result of that request."""
    from_tools: bool = False
    """An assistant message that said what tools did this turn (their results, as spoken)."""


class LanguageModel(Protocol):
    name: str

    def stream(
        self,
        messages: list[Message],
        tools: Sequence[Tool] = (),
        allowed: Collection[str] | None = None,
        required: str | None = None,
    ) -> AsyncIterator[str | ToolRequest]:
        """Yield text pieces as they are generated, or the tool requests the model made instead of text;
        cancelling the consumer stops generation. `allowed`: the names of the tools this reply may call
        (None: any); all `tools` stay in the prompt (its cached prefix), and with none allowed the reply
        is speech. `required`: the name of one of `tools` that the model must call now, writing only
        its arguments (OpenAI's named `tool_choice`); None: the model chooses."""
        ...

    async def warm_up(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        """Evaluate the stable prompt prefix (system prompt, tools, few-shot examples) so that the first
        real turn hits the cache."""
        ...

    async def prefill(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        """Evaluate the prompt up to the end of the last message's words, which are still being said
        (the user's partial transcript; empty: up to where they will start), so that the reply to the
        final transcript evaluates only what differs. Best effort: it may do nothing, and never raises
        for a model that failed."""
        ...

    def release(self) -> None:
        """The conversation has ended: what was kept for it alone (an in-process model's KV cache, set
        aside while other conversations use the model) may go. A model used again is a conversation
        again."""
        ...


def make_llm(cfg: LlmConfig) -> LanguageModel:
    if cfg.backend == "openai":
        from assistant.llm.openai_compat import OpenAICompatibleLLM

        return OpenAICompatibleLLM(cfg)
    from assistant.llm.llamacpp import LlamaCppLLM

    return LlamaCppLLM(cfg)
