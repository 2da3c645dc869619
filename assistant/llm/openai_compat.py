"""Any OpenAI-compatible streaming server (vLLM, llama.cpp's server, Ollama) through the `openai` client."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Collection, Sequence
from typing import TYPE_CHECKING, Any

import openai

from assistant.config import LlmConfig
from assistant.llm.base import LlmBadAnswer, LlmError, LlmTimeout, Message, ToolRequest
from assistant.llm.prompt import (
    STOP,
    CallDetector,
    chat_messages,
    fewshot_prompt,
    parse_tool_json,
    uses_fewshot,
)
from assistant.llm.window import ContextWindow, estimate_tokens

if TYPE_CHECKING:
    from assistant.tools import Tool

log = logging.getLogger(__name__)


class OpenAICompatibleLLM:
    def __init__(self, cfg: LlmConfig) -> None:
        self._cfg = cfg
        self._client = openai.AsyncOpenAI(
            base_url=cfg.base_url, api_key=cfg.api_key, timeout=cfg.request_timeout_s, max_retries=0
        )
        self._fewshot = uses_fewshot(cfg.prompt, cfg.model)
        self.name = f"openai:{cfg.base_url}:{cfg.model}"
        self._window = ContextWindow(max(1, cfg.n_ctx - cfg.max_tokens))
        """The server's context is the server's business, but a conversation that outgrew it would get
        only errors: the oldest exchanges go, in blocks (a server's prefix cache keeps working)."""

    def _fit(self, messages: list[Message], tools: Sequence[Tool]) -> list[Message]:
        """The messages that fit this conversation's share of the server's context (oldest dropped)."""
        schemas = sum(len(json.dumps(t.openai_schema())) for t in tools)
        return self._window.fit(messages, lambda kept: estimate_tokens(kept, extra_chars=schemas))

    async def stream(
        self,
        messages: list[Message],
        tools: Sequence[Tool] = (),
        allowed: Collection[str] | None = None,
        required: str | None = None,
    ) -> AsyncIterator[str | ToolRequest]:
        """Chat models get the OpenAI tools API: the server's tool parser streams calls as `tool_calls`
        deltas; a server that parses none (llama-cpp-python's server on a GGUF's own template) streams
        the model's call as text, recognised here like in process ("<tool_call>" or "{" at the start).
        Base models on a completions endpoint may write a tool call as a JSON line, parsed here too."""
        stream = None
        events, finished = 0, False
        messages = self._fit(messages, tools)
        try:
            if self._fewshot:
                stream = await self._client.completions.create(
                    model=self._cfg.model,
                    prompt=fewshot_prompt(messages, tools),
                    max_tokens=self._cfg.max_tokens,
                    temperature=self._cfg.temperature,
                    stop=STOP[:2],
                    stream=True,
                )
                detector = CallDetector(bool(tools))
                async for chunk in stream:
                    events += 1
                    finished = finished or bool(chunk.choices and chunk.choices[0].finish_reason)
                    if chunk.choices and (text := detector.feed(chunk.choices[0].text)):
                        yield text
                if detector.call is not None:
                    yield parse_tool_json(detector.call, "call_0")
            else:
                extra: dict[str, Any] = {}
                if tools:
                    extra["tools"] = [t.openai_schema() for t in tools]
                    first_round = messages[-1].role == "user"
                    extra["tool_choice"] = (
                        _tool_choice(self._cfg.tool_choice, first_round) if allowed != set() else "none"
                    )
                    if required is not None and (allowed is None or required in allowed):
                        # also after a refused call: the one it is made to write instead
                        extra["tool_choice"] = {"type": "function", "function": {"name": required}}
                stream = await self._client.chat.completions.create(
                    model=self._cfg.model,
                    messages=chat_messages(messages, bool(tools)),  # type: ignore[arg-type]
                    max_tokens=self._cfg.max_tokens,
                    temperature=self._cfg.temperature,
                    stream=True,
                    **extra,
                )
                calls: dict[int, dict[str, str]] = {}
                detector = CallDetector(bool(tools) and allowed != set(), ("<", "{"))
                async for chunk in stream:
                    events += 1
                    if not chunk.choices:
                        continue
                    finished = finished or bool(chunk.choices[0].finish_reason)
                    delta = chunk.choices[0].delta
                    if delta.content and (text := detector.feed(delta.content)):
                        yield text
                    for part in delta.tool_calls or []:
                        entry = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        entry["id"] = part.id or entry["id"]
                        if part.function is not None:
                            name = part.function.name or ""
                            if name and name != entry["name"]:  # llama.cpp's server repeats the name
                                entry["name"] += name
                            entry["arguments"] += part.function.arguments or ""
                for index, entry in sorted(calls.items()):
                    yield ToolRequest(entry["id"] or f"call_{index}", entry["name"], entry["arguments"])
                if detector.call is not None and not calls:
                    yield parse_tool_json(detector.call, "call_text_0")
            # Every OpenAI-compatible server ends a stream with a finish_reason; a stream that just stops
            # was cut off (a proxy or a server that died between events closes the body cleanly).
            if not events:
                raise LlmBadAnswer(f"LLM server at {self._cfg.base_url} answered with no completion event")
            if not finished:
                raise LlmError(f"LLM server at {self._cfg.base_url} dropped the answer before its end")
        except openai.APITimeoutError:
            raise LlmTimeout(
                f"LLM server at {self._cfg.base_url} sent nothing for {self._cfg.request_timeout_s:g} s"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LlmBadAnswer(
                f"LLM server at {self._cfg.base_url} answered with something that is not a completion "
                f"stream ({exc})"
            ) from None
        except (openai.APIConnectionError, OSError) as exc:
            raise LlmError(
                f"LLM server at {self._cfg.base_url} is unreachable or dropped the answer ({exc})"
            ) from None
        except openai.APIStatusError as exc:
            raise LlmError(
                f"LLM server at {self._cfg.base_url} answered {exc.status_code}: {exc.message}"
            ) from None
        except openai.OpenAIError as exc:
            raise LlmError(f"LLM server at {self._cfg.base_url} failed: {exc}") from None
        except Exception as exc:  # the HTTP layer's own errors when a stream breaks off mid-answer
            if type(exc).__module__.split(".")[0] not in {"httpx", "httpx2", "httpcore", "httpcore2", "h11"}:
                raise
            raise LlmError(f"LLM server at {self._cfg.base_url} dropped the answer ({exc})") from None
        finally:
            if stream is not None:
                await stream.close()

    async def warm_up(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        """Prime the server's prefix cache; failures surface on the first real turn instead."""
        try:
            if self._fewshot:
                await self._client.completions.create(
                    model=self._cfg.model, prompt=fewshot_prompt(messages, tools), max_tokens=1
                )
            else:
                extra: dict[str, Any] = {"tools": [t.openai_schema() for t in tools]} if tools else {}
                await self._client.chat.completions.create(
                    model=self._cfg.model,
                    messages=chat_messages(messages, bool(tools)),  # type: ignore[arg-type]
                    max_tokens=1,
                    **extra,
                )
        except openai.OpenAIError:
            pass

    def release(self) -> None:
        """Nothing is kept here per conversation: the server's prefix cache is its own."""

    async def prefill(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        """Ask for one token of a reply to the words heard so far: a server with a prefix cache (llama.cpp's
        `cache_prompt`, vLLM's automatic prefix caching) keeps their evaluation, and the reply to the
        final words reuses it up to where they differ. Failures surface on the reply instead."""
        try:
            await self.warm_up(self._fit(messages, tools), tools)
        except Exception as exc:  # a dropped connection: the reply's own request reports it
            log.debug("prefill failed: %r", exc)


def _tool_choice(setting: str, first_round: bool) -> str | dict[str, Any]:
    """A forced choice holds for the first round; after the results come back the model answers."""
    if setting in ("auto", "none"):
        return setting
    if not first_round:
        return "none"
    return setting if setting == "required" else {"type": "function", "function": {"name": setting}}
