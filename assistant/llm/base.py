"""What the engine needs from a language model: stream the reply's text for a conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from assistant.config import LlmConfig


class LlmError(RuntimeError):
    """The model or its server failed; the message says which and how, for the user and the log."""


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str
    interrupted: bool = False


class LanguageModel(Protocol):
    name: str

    def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        """Yield text pieces as they are generated; cancelling the consumer stops generation."""
        ...

    async def warm_up(self, messages: list[Message]) -> None:
        """Evaluate the stable prompt prefix so that the first real turn hits the cache."""
        ...


def make_llm(cfg: LlmConfig) -> LanguageModel:
    if cfg.backend == "openai":
        from assistant.llm.openai_compat import OpenAICompatibleLLM

        return OpenAICompatibleLLM(cfg)
    from assistant.llm.llamacpp import LlamaCppLLM

    return LlamaCppLLM(cfg)
