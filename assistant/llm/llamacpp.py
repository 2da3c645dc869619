"""llama.cpp in process (llama-cpp-python): any GGUF, generation in a worker thread.

One Llama object is shared by all conversations; its one worker thread (assistant.workers) serialises
them because a llama.cpp context is not thread-safe. llama-cpp-python reuses the longest common token
prefix with the previous call, which is why prompts only grow at the end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

from assistant.config import LlmConfig
from assistant.llm.base import LlmError, Message
from assistant.llm.prompt import STOP, chat_messages, fewshot_prompt, uses_fewshot
from assistant.models import HUB
from assistant.workers import NORMAL, run_on, thread_for

_DONE = object()
_TOKENS_AHEAD = 1
"""Generation stays at most this many tokens ahead of the consumer: a consumer that stops reading (while
the first clause is synthesised) hands the two cores to the synthesiser instead of competing with it."""


class LlamaCppLLM:
    def __init__(self, cfg: LlmConfig) -> None:
        self._cfg = cfg
        self._llama = HUB.llama(cfg)
        self._fewshot = uses_fewshot(cfg.prompt, cfg.model)
        self.name = f"llamacpp:{cfg.model}"

    def _generate(
        self, messages: list[Message], emit: Callable[[str], None], proceed: Callable[[], bool]
    ) -> None:
        """Blocking, on the model's own thread; `proceed()` waits for the consumer, False when cancelled."""
        if self._fewshot:
            pieces = self._llama.create_completion(
                fewshot_prompt(messages),
                max_tokens=self._cfg.max_tokens,
                temperature=self._cfg.temperature,
                top_p=0.9,
                repeat_penalty=1.1,
                stop=STOP,
                stream=True,
            )
            texts = (p["choices"][0]["text"] for p in pieces)
        else:
            pieces = self._llama.create_chat_completion(
                chat_messages(messages),
                max_tokens=self._cfg.max_tokens,
                temperature=self._cfg.temperature,
                stream=True,
            )
            texts = (p["choices"][0]["delta"].get("content") or "" for p in pieces)
        try:
            while proceed():
                text = next(texts, None)
                if text is None:
                    break
                emit(text)  # also when empty: the consumer's read is what lets generation go on
        finally:
            pieces.close()

    async def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()
        unread = threading.Semaphore(_TOKENS_AHEAD)

        def emit(item: object) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def proceed() -> bool:
            while not unread.acquire(timeout=0.05):
                if cancelled.is_set():
                    return False
            return not cancelled.is_set()

        def run() -> None:
            try:
                self._generate(messages, emit, proceed)
            except Exception as exc:  # handed to the consumer, which reports it
                emit(LlmError(f"llama.cpp failed: {exc}"))
            finally:
                emit(_DONE)

        worker = asyncio.wrap_future(thread_for(self._llama, "llama").submit(NORMAL, run))
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, LlmError):
                    raise item
                unread.release()
                if item:
                    yield item  # type: ignore[misc]
        finally:
            cancelled.set()
            if not worker.done():
                worker.add_done_callback(lambda f: f.exception())

    async def warm_up(self, messages: list[Message]) -> None:
        if not self._fewshot:
            return

        def run() -> None:
            self._llama.create_completion(fewshot_prompt(messages), max_tokens=1, temperature=0)

        await run_on(self._llama, "llama", run)
