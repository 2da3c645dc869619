"""Prompts that keep a stable prefix, so that llama.cpp's and vLLM's prefix caches are reused every turn.

Base models (the bundled Gemma 3 270M) get a few-shot transcript to complete; chat models get messages.
History is only ever appended to, never rewritten, so each turn's prompt extends the previous one.
"""

from __future__ import annotations

from assistant.llm.base import Message

FEW_SHOT = [
    ("Hello, who are you?", "Hi! I'm your voice assistant. What can I do for you?"),
    ("What is the capital of France?", "The capital of France is Paris."),
    (
        "Tell me something about dogs.",
        "Dogs are loyal animals that have lived alongside people for thousands of years.",
    ),
    ("Ten of clubs.", "The ten of clubs, a nice card. Are you playing a card game?"),
]
STOP = ["\nUser:", "\n", "User:"]


def render_content(message: Message) -> str:
    """An interrupted reply is stored as what was heard, with a trailing ellipsis to show the cut."""
    return message.content + ("..." if message.interrupted and message.content else "")


def fewshot_prompt(messages: list[Message]) -> str:
    system = next((m.content for m in messages if m.role == "system"), "")
    lines = [system.strip(), ""] if system else []
    for user, assistant in FEW_SHOT:
        lines += [f"User: {user}", f"Assistant: {assistant}"]
    for message in messages:
        if message.role == "user":
            lines.append(f"User: {message.content}")
        elif message.role == "assistant":
            lines.append(f"Assistant: {render_content(message)}")
    return "\n".join(lines) + "\nAssistant:"


def chat_messages(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": render_content(m)} for m in messages]


def uses_fewshot(prompt_setting: str, model_ref: str) -> bool:
    if prompt_setting != "auto":
        return prompt_setting == "fewshot"
    return model_ref == "bundled:gemma-3-270m"
