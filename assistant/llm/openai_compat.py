"""Any OpenAI-compatible streaming server (vLLM, llama.cpp's server, Ollama) through the `openai` client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

from assistant.config import LlmConfig
from assistant.llm.base import LlmError, Message
from assistant.llm.prompt import STOP, chat_messages, fewshot_prompt, uses_fewshot


class OpenAICompatibleLLM:
    def __init__(self, cfg: LlmConfig) -> None:
        self._cfg = cfg
        self._client = openai.AsyncOpenAI(
            base_url=cfg.base_url, api_key=cfg.api_key, timeout=cfg.request_timeout_s, max_retries=0
        )
        self._fewshot = uses_fewshot(cfg.prompt, cfg.model)
        self.name = f"openai:{cfg.base_url}:{cfg.model}"

    async def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        stream = None
        try:
            if self._fewshot:
                stream = await self._client.completions.create(
                    model=self._cfg.model,
                    prompt=fewshot_prompt(messages),
                    max_tokens=self._cfg.max_tokens,
                    temperature=self._cfg.temperature,
                    stop=STOP[:2],
                    stream=True,
                )
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].text:
                        yield chunk.choices[0].text
            else:
                stream = await self._client.chat.completions.create(
                    model=self._cfg.model,
                    messages=chat_messages(messages),  # type: ignore[arg-type]
                    max_tokens=self._cfg.max_tokens,
                    temperature=self._cfg.temperature,
                    stream=True,
                )
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
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

    async def warm_up(self, messages: list[Message]) -> None:
        """Prime the server's prefix cache; failures surface on the first real turn instead."""
        try:
            if self._fewshot:
                await self._client.completions.create(
                    model=self._cfg.model, prompt=fewshot_prompt(messages), max_tokens=1
                )
            else:
                await self._client.chat.completions.create(
                    model=self._cfg.model,
                    messages=chat_messages(messages),
                    max_tokens=1,  # type: ignore[arg-type]
                )
        except openai.OpenAIError:
            pass
