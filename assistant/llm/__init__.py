"""LLM backends: llama.cpp in process, or any OpenAI-compatible streaming server."""

from assistant.llm.base import LanguageModel, LlmError, Message, ToolRequest, make_llm

__all__ = ["LanguageModel", "LlmError", "Message", "ToolRequest", "make_llm"]
