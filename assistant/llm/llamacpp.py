"""llama.cpp in process (llama-cpp-python): any GGUF, generation in a worker thread.

One Llama object is shared by all conversations; its one worker thread (assistant.workers) serialises
them because a llama.cpp context is not thread-safe. llama-cpp-python reuses the longest common token
prefix with the previous call, which is why prompts only grow at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.config import LlmConfig
from assistant.llm import kv_swap
from assistant.llm.base import LlmError, Message, ToolRequest
from assistant.llm.context_shift import shift_cache
from assistant.llm.prompt import STOP, CallDetector, fewshot_prompt, parse_tool_json, uses_fewshot
from assistant.llm.template import HERMES_OPEN, ChatTemplate, tools_schema
from assistant.llm.window import ContextWindow
from assistant.models import HUB
from assistant.workers import IDLE, NORMAL, run_on, thread_for

if TYPE_CHECKING:
    from assistant.tools import Tool

log = logging.getLogger(__name__)
_DONE = object()
_call_ids = itertools.count(1)
_LAST_USER: weakref.WeakValueDictionary[int, LlamaCppLLM] = weakref.WeakValueDictionary()
"""Per shared Llama object, the conversation whose prompt its KV cache holds: only that one's cache is
shifted (another conversation's cached entries are never carried into this one's prompt)."""
_TOKENS_AHEAD = 1
"""Generation stays at most this many tokens ahead of the consumer: a consumer that stops reading (while
the first clause is synthesised) hands the two cores to the synthesiser instead of competing with it.
Unless another conversation is waiting for the model: then the reply is generated to its end at once."""
_CALL_MAX_TOKENS = 160
_NAMED = re.compile(r'"name"\s*:\s*"(\w+)"')
"""A call's tool name, complete once its closing quote is written."""


class LlamaCppLLM:
    def __init__(self, cfg: LlmConfig) -> None:
        self._cfg = cfg
        self._llama = HUB.llama(cfg)
        self._fewshot = uses_fewshot(cfg.prompt, cfg.model)
        self._template = None if self._fewshot else ChatTemplate(self._llama)
        self.name = f"llamacpp:{cfg.model}"
        self._window: ContextWindow | None = None
        self._preamble: tuple[tuple[str, ...], str] | None = None
        self.shifted = 0
        """Tokens moved out of the KV cache by context shifts rather than evaluated again (for tests)."""
        self._stash: kv_swap.Stash | None = None
        """This conversation's KV cache while another conversation uses the model."""
        self.restored = 0
        """Turns whose KV cache was put back after another conversation had the model (for tests)."""
        self._ended = False

    def preamble(self, tools: Sequence[Tool]) -> str:
        """The text the prompt puts around the tools with no conversation in it (the chat template's tool
        header, the call format): instructions the reply must not read out (assistant.engine.guard). Empty
        for a base model's few-shot prompt, whose example replies ("Hi! I'm your voice assistant. What can
        I do for you?") are meant to be imitated."""
        if self._template is None:
            return ""
        key = tuple(t.name for t in tools)
        if self._preamble is None or self._preamble[0] != key:
            self._preamble = (key, self._prompt([Message("system", "")], tools, generation=False))
        return self._preamble[1]

    def _prompt(self, messages: list[Message], tools: Sequence[Tool], generation: bool = True) -> str:
        if self._template is None:
            return fewshot_prompt(messages, tools)
        text = self._template.render(messages, tools, generation)
        # llama.cpp adds BOS itself where the vocabulary asks for it: not twice.
        bos = self._template.bos
        adds_bos = self._llama.metadata.get("tokenizer.ggml.add_bos_token") != "false"
        if bos and adds_bos and text.startswith(bos):
            text = text[len(bos) :]
        return text

    def _fitted(self, messages: list[Message], tools: Sequence[Tool]) -> tuple[str, int]:
        """The prompt and its length in tokens, in this conversation's context window (the oldest
        exchanges dropped in a block when the whole would not leave room for the reply); when this
        conversation was the last to use the model, its KV cache is shifted over what was dropped."""

        rendered: dict[int, tuple[str, list[int]]] = {}  # by how many messages were kept

        def count(kept: list[Message]) -> int:
            prompt = self._prompt(kept, tools)
            rendered[len(kept)] = (prompt, self._llama.tokenize(prompt.encode(), special=True))
            return len(rendered[len(kept)][1])

        if self._window is None:
            self._window = ContextWindow(self._llama.n_ctx() - max(self._cfg.max_tokens, _CALL_MAX_TOKENS))
        kept = self._window.fit(messages, count)
        prompt, ids = rendered[len(kept)]
        if self._take_model(ids):
            self.shifted += shift_cache(self._llama, ids)
        return prompt, len(ids)

    def release(self) -> None:
        """The conversation has ended: its KV cache is no longer kept aside when another takes the model."""
        self._ended = True
        self._stash = None

    def _take_model(self, ids: list[int]) -> bool:
        """This conversation is about to evaluate `ids` on the shared model (on its thread): when another
        conversation used it last, that one's KV cache is stashed, and this one's put back if it covers
        more of `ids` (assistant.llm.kv_swap). True when the cache now holds this conversation's tokens."""
        last = _LAST_USER.get(id(self._llama))
        _LAST_USER[id(self._llama)] = self
        self._ended = False  # used again after `release()`: a conversation again
        if last is self:
            return True
        if not self._cfg.kv_swap:
            return False
        if last is not None and not last._ended:
            last._stash = kv_swap.stash(self._llama)
        saved, self._stash = self._stash, None
        if saved is not None and kv_swap.restore(self._llama, saved, np.asarray(ids, np.intc)):
            self.restored += 1
            return True
        return False

    def _generate(
        self,
        messages: list[Message],
        tools: Sequence[Tool],
        emit: Callable[[object], None],
        proceed: Callable[[], bool],
        allowed: Collection[str] | None = None,
        required: str | None = None,
    ) -> None:
        """Blocking, on the model's own thread; `proceed()` waits for the consumer, False when cancelled.

        The reply streams unconstrained. Offered tools, a reply that opens a call (its first characters are
        a call's opener: "{", or Qwen's "<tool_call>") is written again under a grammar (llama.cpp GBNF
        from the tools' JSON schemas) from the call's start, so even a small model writes one call that
        is valid for a real tool; it is handed over whole as a ToolRequest. Speech pays nothing for the
        grammar, which costs much of a token's time with a 150k-262k token vocabulary.
        """
        prompt, size = self._fitted(messages, tools)
        template = self._template
        openers = template.call_openers if template is not None else ("{",)
        answering = bool(tools) and messages[-1].role == "tool"
        # After a tool result the model answers in words: a small model would rather call the tool again
        # or write the result out as JSON. Tools not allowed stay in the prompt (its prefix is cached).
        callable_ = [] if answering else [t for t in tools if allowed is None or t.name in allowed]
        must = [t for t in tools if t.name == required and (allowed is None or t.name in allowed)]
        if must:  # the call is written under the grammar of that one tool, also after a refused call
            emit(self._write_call(prompt, must, {must[0].name}))
            return
        # Speech never needs markup (code fences, bold, headings, tables) nor, when no call may be made,
        # braces and angle brackets: tokens with them are ruled out while decoding.
        unspeakable = _banning(
            self._llama, _MARKUP + ("" if callable_ else _CALLS), size if answering else None
        )

        pieces = self._llama.create_completion(
            prompt,
            max_tokens=self._cfg.max_tokens,
            temperature=self._cfg.temperature,
            top_p=0.9,
            repeat_penalty=1.1,
            stop=STOP if template is None else template.stop,
            stream=True,
            logits_processor=unspeakable,
        )
        texts: Iterator[str] = (p["choices"][0]["text"] for p in pieces)
        detector = CallDetector(bool(callable_), openers)
        spoken = ""
        calling = False
        try:
            while proceed():
                text = next(texts, None)
                if text is None:
                    break
                speech = detector.feed(text)
                if detector.call is not None:
                    calling = True
                    break
                if callable_ and template is not None and template.hermes and HERMES_OPEN in speech:
                    # A call after a few words ("Sure. <tool_call>..."): say the words, then the call.
                    speech = speech[: speech.index(HERMES_OPEN)]
                    calling = True
                spoken += speech
                emit(speech)  # also when empty: the consumer's read lets generation go on
                if calling:
                    break
        finally:
            pieces.close()
        if not (calling and callable_):
            return
        # The call is written with every tool the prompt lists: the model says which one it means. One
        # the request does not mention is not made, and the model answers in words instead.
        request = self._write_call(prompt + spoken, tools, {t.name for t in callable_})
        if request.name in {t.name for t in callable_}:
            emit(request)
        else:
            emit("")  # gives back the read slot the call's first token took
            self._generate(messages, tools, emit, proceed, allowed=set())

    def _write_call(self, prompt: str, tools: Sequence[Tool], callable_: Collection[str]) -> ToolRequest:
        """The call, from its opener on, under the grammar of the tools' schemas (greedy). The name comes
        first: a tool that may not be called ends the call there, with no arguments, rather than after
        the arguments are written under the grammar (1.2-1.9 s of a spurious call on two cores idle,
        9-19 s under a competing load: "Go forward 10 meters." wrote calculate(...) in full)."""
        prefix = self._template.call_prefix if self._template is not None else ""
        pieces = self._llama.create_completion(
            prompt + prefix,
            max_tokens=_CALL_MAX_TOKENS,
            temperature=0,
            grammar=_grammar(tools_schema(tools), leading_space=self._template is None),
            stream=True,
        )
        text = ""
        try:
            for piece in pieces:
                text += piece["choices"][0]["text"]
                named = _NAMED.search(text)
                if named and named.group(1) not in callable_:
                    return ToolRequest(f"call_{next(_call_ids)}", named.group(1), "{}")
        finally:
            pieces.close()
        return parse_tool_json(text, f"call_{next(_call_ids)}")

    async def stream(
        self,
        messages: list[Message],
        tools: Sequence[Tool] = (),
        allowed: Collection[str] | None = None,
        required: str | None = None,
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
            if running_ahead or unread.acquire(blocking=False):
                return not cancelled.is_set()
            waited_from = time.monotonic()
            try:
                while not running_ahead and not unread.acquire(timeout=0.05):
                    if cancelled.is_set():
                        return False
                    # Another conversation waits for the model: finish this reply without waiting for its
                    # reader (the tokens queue up), so that one's first token does not wait on our speech.
                    running_ahead = model_thread.waiting
                return not cancelled.is_set()
            finally:
                model_thread.paused(time.monotonic() - waited_from)  # waiting for speech is not work

        def run() -> None:
            try:
                self._generate(messages, tools, emit, proceed, allowed, required)
            except Exception as exc:  # handed to the consumer, which reports it
                emit(LlmError(f"llama.cpp failed: {exc}"))
            finally:
                emit(_DONE)

        worker = asyncio.wrap_future(model_thread.submit(NORMAL, run, waited=True))  # a reply: load
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
        """Evaluate the stable prefix (system prompt, tools, few-shot examples): the first turn then only
        evaluates its own words."""
        prompt = self._prompt(messages, tools, generation=False)

        def run() -> None:
            self._take_model([])
            self._llama.create_completion(prompt, max_tokens=1, temperature=0)
            for chars in (_MARKUP, _MARKUP + _CALLS):  # scanned now rather than in the first turn
                _banning(self._llama, chars)

        await run_on(self._llama, "llama", run)

    async def prefill(self, messages: list[Message], tools: Sequence[Tool] = ()) -> None:
        """Evaluate the prompt up to the end of the last message's text (the words heard so far; empty:
        up to where they will start): llama-cpp-python keeps the longest common token prefix, so the
        reply to the final words evaluates only what changed and the chat template's turn end. At idle
        priority, and skipped when another call waits: it uses time nobody else wants. A template that
        rewrites the text (the cut is not found) prefills nothing, and so does a conversation that has
        ended (a prefill still queued when it closed would have its KV cache kept aside again)."""

        def run() -> None:
            if self._ended or thread_for(self._llama, "llama").waiting:
                return
            if prefix := self.prefix(messages, tools):
                self._llama.create_completion(prefix, max_tokens=1, temperature=0)

        try:
            await run_on(self._llama, "llama", run, priority=IDLE)
        except Exception as exc:  # the reply's own call reports a broken model
            log.debug("prefill failed: %r", exc)

    def prefix(self, messages: list[Message], tools: Sequence[Tool] = ()) -> str | None:
        """The prompt for `messages`, fitted to the window, up to the end of the last message's text:
        a prefix of the prompt of any text that starts with it. None when the template rewrote the text
        so that its end cannot be found. Blocking (it tokenizes): call it on the model's thread."""
        last = messages[-1]
        prompt, _ = self._fitted([*messages[:-1], Message(last.role, last.content + _CUT)], tools)
        end = prompt.rfind(_CUT)
        return prompt[:end] if end > 0 else None


_CUT = "\uffff"
"""Marks where the prefilled prompt ends (a noncharacter: no text or template holds one)."""
_MARKUP = "`*#|[]"
_CALLS = "{<"
_BANNED: weakref.WeakKeyDictionary[Any, dict[str | None, Any]] = weakref.WeakKeyDictionary()
"""Per model: the tokens holding each set of characters, and (under None) the end-of-generation tokens.
Held by the model object itself, not its id: a freed model's id is given to the next object, and a
table of another vocabulary would ban the wrong tokens (or index past a smaller one)."""


def _banning(llama: Any, chars: str, say_after: int | None = None) -> Any:
    """A logits processor that rules out every token containing one of `chars` (the vocabulary is scanned
    once per model and set of characters, well under a second); with `say_after` (the prompt's length in
    tokens), also ending the turn before a word is said."""
    import llama_cpp
    import numpy as np

    tables = _BANNED.setdefault(llama, {})
    if chars not in tables:
        texts = (llama.detokenize([i]).decode("utf-8", "ignore") for i in range(llama.n_vocab()))
        tables[chars] = np.array([i for i, t in enumerate(texts) if any(c in t for c in chars)], np.intc)
    if None not in tables:
        vocab = llama._model.vocab  # the public API has token_eos() only; Qwen ends turns with two
        eog = [i for i in range(llama.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, i)]
        tables[None] = np.array(eog, np.intc)
    banned, eog = tables[chars], tables[None]

    def ban(input_ids: Any, scores: Any) -> Any:
        scores[banned] = -np.inf
        if say_after is not None and len(input_ids) <= say_after:
            scores[eog] = -np.inf
        return scores

    return llama_cpp.LogitsProcessorList([ban])


@lru_cache(maxsize=8)
def _grammar_text(schema: str, leading_space: bool) -> str:
    """GBNF for one call {"name": ..., "arguments": ...} matching a tool's schema; a completion prompt
    ("Assistant:") may put a space before it."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    rules = json_schema_to_gbnf(schema, prop_order=["name", "arguments"]).replace("root ::=", "call ::=", 1)
    return ('root ::= " "? call' if leading_space else "root ::= call") + "\n" + rules


def _grammar(schema: str, leading_space: bool) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(_grammar_text(schema, leading_space), verbose=False)
