"""One reply as a cancellable unit: (tools) -> LLM tokens -> clauses -> Piper audio -> the output buffer.

Every piece of audio carries the reply's id; once a reply is cancelled, nothing it still produces can
reach the speaker, because the output buffer drops segments of replies it no longer knows.

A reply first tries the tools' fast path (a clear request resolved from the transcript, or the answer to
a pending confirmation); otherwise it streams the LLM, which may ask for tools in between. Calls with side
effects wait until the endpoint releases the reply, so a speculative reply never acts.

Faults are said, never silence: a model that has said nothing `notice_after_s` after the turn ended gets
"One moment." (it may be slow, not dead); one that sends nothing for `timeout_s` is given up with an
apology, as is a server that refuses, drops or garbles the answer; a clause Piper cannot synthesise is
replaced by "Sorry, I couldn't say that." These sentences are synthesised when the conversation starts
(`NOTICES`), so they play at once even when synthesis is what fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

import numpy as np

from assistant.engine.guard import ReplyGuard
from assistant.engine.guard_context import (
    acted_on,
    asked_about,
    instructions,
    previous_exchange,
    unasked_choices,
)
from assistant.engine.instead import SAID_NOTHING_RIGHT, after_cut, after_nothing
from assistant.engine.notices import (
    ACKNOWLEDGED,
    FALLBACK_BROKEN,
    NOTICES,
    TTS_FAILED,
    _apology,
)
from assistant.engine.output import OutputBuffer
from assistant.engine.referent import resolved
from assistant.engine.safety import risky_question
from assistant.engine.tool_turn import FILLER, ToolTurn
from assistant.engine.tooling import ToolHost, a_sentence, spoken_result
from assistant.engine.unsaid import Said
from assistant.llm import LanguageModel, LlmError, Message, ToolRequest, within_deadlines
from assistant.tools import Tool, ToolCall
from assistant.tts import ClauseChunker, Synthesizer
from assistant.tts.markup import CODE_SKIPPED, written

ENDS = (".", "!", "?")
"""How a finished sentence ends."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patience:
    """How long a reply waits for its model before saying so (`llm.notice_after_s`) and before giving
    up (`llm.request_timeout_s`)."""

    notice_after_s: float = 1.5
    timeout_s: float = 30.0


class Reply(ToolTurn):
    def __init__(
        self,
        reply_id: int,
        messages: list[Message],
        llm: LanguageModel,
        tts: Synthesizer,
        output: OutputBuffer,
        on_error: Callable[[str, str], None],
        clock: Callable[[], float] = time.monotonic,
        tools: ToolHost | None = None,
        script: str | None = None,
        alternatives: tuple[str, ...] = (),
        patience: Patience = Patience(),
        rehear: Callable[[], Awaitable[tuple[str, ...]]] | None = None,
        earlier: Sequence[str] | None = None,
    ) -> None:
        """`script`: say exactly this (an announcement) instead of asking the LLM. `alternatives`: other
        hypotheses of what the user said, which only the tools' fast path tries; `rehear`: those found
        on demand, for a call the tool could not read (`Transcript.rehear`); `earlier`: the user's earlier
        turns, oldest first, also those the history left out (default: the history's)."""
        self.id = reply_id
        self.messages = messages
        self._llm, self._tts, self._output = llm, tts, output
        self._on_error = on_error
        self._clock = clock
        self._tools = tools
        self._script = script
        self._alternatives = alternatives
        self.required: str | None = None
        self._rehear = rehear
        self._patience = patience
        if earlier is None:
            earlier = [m.content for m in messages[:-1] if m.role == "user"]
        kinds = tools.kinds if tools is not None else None
        self.meant = resolved(self.user_text, earlier, kinds) if messages else ""
        """The user's words with "it" read as the thing they named before (`referent.resolved`): what the
        tools the model may call, a claimed deed's tool and a question's things are judged on."""
        self._allowed = tools.callable(self.meant) if tools is not None and messages else set()
        """The tools this request may call (None: any), worked out once (`ToolHost.callable`)."""
        self.text = ""
        self.error: str | None = None
        self.tool_calls: list[ToolCall] = []
        self.aside = False
        """The engine answered the turn itself, in words the model must not see (`live.cannot_check`)."""
        self.answered = False
        """A clause other than a notice went to the voice (the model's words, a tool's result)."""
        self.notices: list[str] = []
        """The engine's notices this reply said (`notices.NOTICES`), in order."""
        self.t_started = clock()
        self.t_first_token: float | None = None
        self.t_first_audio: float | None = None
        self.released = False
        self.t_released: float | None = None
        self._released = asyncio.Event()
        self._said_last = False
        self._tts_failed = False
        self._clauses: asyncio.Queue[str | None] = asyncio.Queue()
        self._first_synthesised = asyncio.Event()
        self._chunker = ClauseChunker()
        self._guard = ReplyGuard(
            tts.cfg.max_sentences,
            tts.cfg.max_words,
            risky_question(self.user_text),
            self.user_text,
            instructions(messages, llm, tools),
            *previous_exchange(messages),
            results=[m.content for m in messages[:-1] if m.from_tools],
            sources=[m.content for m in messages[:-1] if m.role in ("user", "tool")],
            said_before=[m.content for m in messages[:-1] if m.role == "user"],
            choices=unasked_choices(messages, tools),
            asked_about=(about := asked_about(self.meant, tools, self._allowed)),
            meant=self.meant,
            acted_on=acted_on(self.meant, tools, self._allowed),
        )
        self._asked = about
        self._asks_about_tools = bool(about)
        """A question about what a tool acts on: with no answer from it, the reply could not check."""
        self._spoke = False
        self._last_clause = ""
        """The last clause sent to the voice, as written."""
        output.open(reply_id)
        self._tasks = [
            asyncio.create_task(self._generate(), name=f"reply{reply_id}-llm"),
            asyncio.create_task(self._speak(), name=f"reply{reply_id}-tts"),
        ]

    @property
    def user_text(self) -> str:
        return self.messages[-1].content

    async def _generate(self) -> None:
        try:
            if self._script is not None:
                self._say(self._script)
            elif not await self._fast_path():
                await self._converse()
            self._flush_text()
            left_out = self._guard.repeated or self._guard.restated
            said_nothing_right = self.cut in SAID_NOTHING_RIGHT or left_out
            asks = next((c.extra["ask_for"] for c in self.tool_calls if "ask_for" in c.extra), None)
            if not self._spoke and asks is not None:
                self._say(f"What should the {asks.replace('_', ' ')} be?")  # "Send a message to my mum."
            elif not self._spoke:  # nothing, only punctuation or emoji, a loop or an echo from the start
                self._say(
                    after_cut(self.user_text, self.cut, self._asks_about_tools)
                    if said_nothing_right
                    else after_nothing(self.user_text, self._guard.deeds_pending, self._asks_about_tools)
                )
            elif self.cut == "made_up" or (said_nothing_right and not self._last_clause.endswith(ENDS)):
                self._say(after_cut(self.user_text, self.cut, self._asks_about_tools))  # ended mid-sentence
        except LlmError as exc:
            self._give_up("llm", str(exc), _apology(exc))
        except Exception as exc:  # a bug must not leave the user in silence either
            log.exception("reply %d failed", self.id)
            self._give_up("engine", f"{type(exc).__name__}: {exc}", FALLBACK_BROKEN)
        finally:
            self._clauses.put_nowait(None)

    def _give_up(self, source: str, message: str, apology: str) -> None:
        """Say the apology next: text not yet turned into audio (a half clause, clauses waiting for
        Piper) is dropped, so the explanation follows what the user has already heard, not a fragment."""
        self.error = message
        self._on_error(source, message)
        self._chunker.clear()
        while not self._clauses.empty():
            self._clauses.get_nowait()
        self._say(apology)

    @property
    def notice_only(self) -> bool:
        """The engine's notice stood in for the model's answer, which had nothing to say: it was empty, a
        read-back, made up, or the model failed. "One moment." alone (the user cut the wait) and "I see."
        (the user told something, which the history keeps) do not count."""
        return not self.answered and any(n not in (FILLER, ACKNOWLEDGED) for n in self.notices)

    @property
    def cut(self) -> str | None:
        """Why the model was stopped early ("loop", "overlong", "unsafe", "echo", "claim", "made_up",
        "leak", "tool_talk", "number", "foreign", "live"), or None."""
        return self._guard.stopped

    async def _add_text(self, piece: str) -> None:
        """Model text: cut into clauses, each checked by the guard, which may stop the model."""
        if self._said_last and not piece[:1].isspace():
            self.text += " "  # after "One moment." the model's first word starts a new sentence
        self._said_last = False
        self.text += piece
        for clause in self._chunker.feed(piece):
            self._queue(clause, guarded=True)
            if self.cut:
                return
            # Stop reading the LLM until the first clause is audio: with backpressure (llama.cpp) the
            # synthesiser gets the cores and speech starts sooner; later clauses catch up while it plays.
            if self._spoke:
                await self._first_synthesised.wait()

    def _flush_text(self) -> None:
        for clause in self._chunker.flush():
            self._queue(clause, guarded=True)
        held = self._guard.release()
        if held:
            self._queue(held)

    def _queue(self, clause: str, guarded: bool = False) -> None:
        """A clause of markdown -> its written form (what is shown, and kept if heard) -> the synthesiser."""
        text = written(clause)
        if text == CODE_SKIPPED and self._last_clause == CODE_SKIPPED:
            return  # a program written line by line is skipped once
        if guarded:
            text = self._guard.admit(text).text
            if self._guard.stopped:
                self._chunker.clear()
        if any(ch.isalnum() for ch in text):
            self._spoke = True
            self.answered = True
            self._last_clause = text.rstrip()
            self._clauses.put_nowait(text)

    def _say(self, text: str) -> None:
        """A whole sentence at once (tool results, fallbacks, announcements); a prepared notice goes as
        one clause, so that its prepared audio is used, and does not count as the reply's answer."""
        self._flush_text()
        self.text = f"{self.text} {text}".strip()
        self._said_last = True
        if text in NOTICES:
            self.notices.append(text)
            self._clauses.put_nowait(text)
            return
        for clause in [*self._chunker.feed(text), *self._chunker.flush()]:
            self._queue(clause)

    async def _notice_when_silent(self) -> None:
        """ "One moment." when the model has said nothing `notice_after_s` after the turn ended."""
        await self._released.wait()
        assert self.t_released is not None
        waited = self._clock() - self.t_released
        await asyncio.sleep(max(0.0, self._patience.notice_after_s - waited))
        if not self.text:
            self._say(FILLER)

    async def _converse(self) -> None:
        """Stream the LLM; when it asks for tools, run them and let it go on (a few rounds at most)."""
        host = self._tools
        tools = host.llm_tools() if host is not None else []
        allowed = self._allowed
        messages = list(self.messages)
        notice = asyncio.create_task(self._notice_when_silent(), name=f"reply{self.id}-notice")
        try:
            await self._rounds(host, tools, messages, allowed)
        finally:
            notice.cancel()

    async def _rounds(
        self,
        host: ToolHost | None,
        tools: list[Tool],
        messages: list[Message],
        allowed: set[str] | None,
    ) -> None:
        """`allowed`: the tools this request may call (None: any)."""
        last: tuple[Tool, ToolCall] | None = None
        made: set[tuple[str, str]] = set()
        required = self.required
        for _ in range(host.cfg.max_rounds if host is not None else 1):
            requests: list[ToolRequest] = []
            watched = within_deadlines(
                self._llm.stream(messages, tools, allowed, required=required),
                self._patience.timeout_s,
                self._llm.name,
            )
            async with aclosing(watched) as stream:  # a break stops the model
                async for piece in stream:
                    if self.t_first_token is None:
                        self.t_first_token = self._clock()
                    if isinstance(piece, ToolRequest):
                        requests.append(piece)
                    else:
                        await self._add_text(piece)
                        if self.cut:
                            break
            if not requests:
                self._flush_text()  # the model is done: judge its last sentence now
            if not requests and required is None and (required := self._instead_of_claim(host, allowed)):
                self.required, self.text = required, ""  # the claim was never said
                allowed = allowed if allowed is None else allowed | {required}  # a reader of the thing
                self._guard.resume()
                continue
            required = None
            if not requests or host is None or self.cut:
                break
            if all((r.name, r.arguments) in made for r in requests):
                break  # a small model asks again for what it just got: never run a call twice
            made |= {(r.name, r.arguments) for r in requests}
            results, answered, refused = [], [], []
            said = Said(m.content for m in messages if m.role in ("user", "tool"))
            for request in requests:
                call = await self._llm_call(host, request, said)
                if call is None:
                    return  # waiting for the user's spoken yes: nothing more to say now
                tool = host.registry.get(call.name)
                if (
                    tool is not None
                    and not call.extra.get("not_run")
                    and (last is None or call.error is None or last[1].error is not None)
                ):
                    last = (tool, call)  # a bad repeat of a call that answered leaves its answer to say
                if tool is not None and call.error is None and not call.extra.get("not_run"):
                    answered.append((tool, call))
                results.append(Message("tool", call.result_text(), tool_call_id=request.id))
                if call.extra.get("not_run"):
                    refused.append(call.result_text())  # written for the model, never to be said
            messages += [Message("assistant", "", tool_calls=tuple(requests)), *results]
            self._guard.tool_called(" ".join(refused))
            if answered:  # what a tool did may be said; a refused or failed call did nothing
                self._guard.tool_answered(" ".join(m.content for m in results))
            if host.says_results and answered and all(a_sentence(call.result) for _, call in answered):
                for tool, call in answered:
                    self._say(spoken_result(tool, call))
                return
        if not self._spoke and last is not None:
            self._say(spoken_result(*last))  # the model had nothing to add: say the tool's own answer

    # ----------------------------------------------------------------- audio

    async def _speak(self) -> None:
        try:
            while (clause := await self._clauses.get()) is not None:
                audio = self._tts.prepared(clause)
                if audio is None:
                    try:
                        audio = await self._tts.synthesize(clause, urgent=self.t_first_audio is None)
                    except Exception as exc:
                        self._on_error("tts", f"could not synthesise {clause!r}: {exc}")
                        audio = self._tts_failed_notice()
                        clause = TTS_FAILED
                self._first_synthesised.set()
                if audio is None:
                    continue
                if self.t_first_audio is None and clause != FILLER:  # the filler is not the answer
                    self.t_first_audio = self._clock()
                self._output.add(self.id, clause, audio)
        finally:
            self._first_synthesised.set()
            self._output.end(self.id)
            self._tts.release_memory()

    def _tts_failed_notice(self) -> np.ndarray | None:
        """The prepared apology, once per reply (None after that, or if nothing was prepared)."""
        if self._tts_failed:
            return None
        self._tts_failed = True
        return self._tts.prepared(TTS_FAILED)

    def release(self) -> None:
        """The endpoint is confirmed: let the audio play, and side effects happen."""
        self.released = True
        self.t_released = self._clock()
        self._released.set()
        self._output.release(self.id)

    async def cancel(self) -> None:
        """Stop generation and synthesis; the caller flushes or discards the audio already queued."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
