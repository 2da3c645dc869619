"""llama.cpp in process (llama-cpp-python): any GGUF, generation in a worker thread.

One Llama object is shared by all conversations; its one worker thread (assistant.workers) serialises
them because a llama.cpp context is not thread-safe. llama-cpp-python reuses the longest common token
prefix with the previous call, which is why prompts only grow at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from assistant.config import LlmConfig
from assistant.llm.base import LlmError, Message, ToolRequest
from assistant.llm.prompt import (
    STOP,
    TOOLS_HEADER,
    CallDetector,
    chat_messages,
    fewshot_prompt,
    parse_tool_json,
    render_content,
    tool_call_json,
    uses_fewshot,
)
from assistant.models import HUB
from assistant.workers import NORMAL, run_on, thread_for

if TYPE_CHECKING:
    from assistant.tools import Tool

_DONE = object()
_call_ids = itertools.count(1)
_TOKENS_AHEAD = 1
"""Generation stays at most this many tokens ahead of the consumer: a consumer that stops reading (while
the first clause is synthesised) hands the two cores to the synthesiser instead of competing with it.
Unless another conversation is waiting for the model: then the reply is generated to its end at once."""


class LlamaCppLLM:
    def __init__(self, cfg: LlmConfig) -> None:
        self._cfg = cfg
        self._llama = HUB.llama(cfg)
        self._fewshot = uses_fewshot(cfg.prompt, cfg.model)
        self.name = f"llamacpp:{cfg.model}"

    def _generate(
        self,
        messages: list[Message],
        tools: Sequence[Tool],
        emit: Callable[[object], None],
        proceed: Callable[[], bool],
    ) -> None:
        """Blocking, on the model's own thread; `proceed()` waits for the consumer, False when cancelled.

        With tools, a grammar lets the model either speak or write one tool call as JSON that matches a
        tool's schema; the call is collected whole and handed over as a ToolRequest.
        """
        grammar = _grammar(_tools_schema(tools)) if tools else None
        if self._fewshot:
            pieces = self._llama.create_completion(
                fewshot_prompt(messages, tools),
                max_tokens=self._cfg.max_tokens if not tools else max(self._cfg.max_tokens, 160),
                temperature=self._cfg.temperature,
                top_p=0.9,
                repeat_penalty=1.1,
                stop=STOP,
                stream=True,
                grammar=grammar,
            )
            texts: Iterator[str] = (p["choices"][0]["text"] for p in pieces)
        else:
            pieces = self._llama.create_chat_completion(
                _plain_chat(messages, tools),
                max_tokens=self._cfg.max_tokens,
                temperature=self._cfg.temperature,
                stream=True,
                grammar=grammar,
            )
            texts = (p["choices"][0]["delta"].get("content") or "" for p in pieces)
        detector = CallDetector(bool(tools))
        try:
            while proceed():
                text = next(texts, None)
                if text is None:
                    break
                emit(detector.feed(text))  # also when empty: the consumer's read lets generation go on
        finally:
            pieces.close()
        if detector.call is not None:
            emit(parse_tool_json(detector.call, f"call_{next(_call_ids)}"))

    async def stream(
        self, messages: list[Message], tools: Sequence[Tool] = ()
    ) -> AsyncIterator[str | ToolRequest]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()
        unread = threading.Semaphore(_TOKENS_AHEAD)
        model_thread = thread_for(self._llama, "llama")
        running_ahead = False

        def emit(item: object) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def proceed() -> bool:
            nonlocal running_ahead
            while not running_ahead and not unread.acquire(timeout=0.05):
                if cancelled.is_set():
                    return False
                # Another conversation waits for the model: finish this reply without waiting for its
                # reader (the tokens queue up), so that one's first token does not wait on our speech.
                running_ahead = model_thread.waiting
            return not cancelled.is_set()

        def run() -> None:
            try:
                self._generate(messages, tools, emit, proceed)
            except Exception as exc:  # handed to the consumer, which reports it
                emit(LlmError(f"llama.cpp failed: {exc}"))
            finally:
                emit(_DONE)

        worker = asyncio.wrap_future(model_thread.submit(NORMAL, run))
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, LlmError):
                    raise item
                if isinstance(item, ToolRequest):
                    yield item
                    continue
                unread.release()
                if item:
                    yield item  # type: ignore[misc]
        finally:
            cancelled.set()
            if not worker.done():
                worker.add_done_callback(lambda f: f.exception())

    async def warm_up(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        if not self._fewshot:
            return

        def run() -> None:
            self._llama.create_completion(fewshot_prompt(messages, tools), max_tokens=1, temperature=0)

        await run_on(self._llama, "llama", run)


def _tools_schema(tools: Sequence[Tool]) -> str:
    """One JSON schema accepting {"name": <a tool>, "arguments": <its arguments>} for any of the tools."""
    defs: dict[str, Any] = {}
    options = []
    for t in tools:
        params = t.parameters_schema()
        defs.update(params.pop("$defs", {}))
        options.append(
            {
                "type": "object",
                "properties": {"name": {"const": t.name}, "arguments": params},
                "required": ["name", "arguments"],
            }
        )
    return json.dumps({"anyOf": options, "$defs": defs})


@lru_cache(maxsize=8)
def _grammar_text(schema: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    rules = json_schema_to_gbnf(schema, prop_order=["name", "arguments"]).replace("root ::=", "call ::=", 1)
    # Speech may not start with "{", so "{" commits the model to a well-formed call; after its first
    # character speech is free, and the usual stop sequences end it.
    return r'root ::= " "? call | speech' + "\n" + r'speech ::= " "? [^{\n ] [^\x00]*' + "\n" + rules


def _grammar(schema: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(_grammar_text(schema), verbose=False)


def _plain_chat(messages: list[Message], tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """Chat templates in GGUF files rarely know tool roles: tools go in the system text, calls and results
    become ordinary turns."""
    if not tools:
        return chat_messages(messages)
    header = "\n".join([TOOLS_HEADER, *(f"- {t.signature_text()}" for t in tools)])
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            out.append({"role": "system", "content": f"{m.content}\n\n{header}"})
        elif m.role == "tool":
            out.append({"role": "user", "content": f"Tool: {m.content}"})
        elif m.tool_calls:
            calls = "\n".join(tool_call_json(c.name, c.arguments) for c in m.tool_calls)
            out.append({"role": "assistant", "content": calls})
        else:
            out.append({"role": m.role, "content": render_content(m)})
    return out
