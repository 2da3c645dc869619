"""LLM backends: llama.cpp in process, or any OpenAI-compatible streaming server."""

from assistant.llm.base import (
    LanguageModel,
    LlmBadAnswer,
    LlmError,
    LlmTimeout,
    Message,
    ToolRequest,
    make_llm,
)
from assistant.llm.deadline import within_deadlines

__all__ = [
    "LanguageModel",
    "LlmBadAnswer",
    "LlmError",
    "LlmTimeout",
    "Message",
    "ToolRequest",
    "make_llm",
    "within_deadlines",
]
