"""One reply as a cancellable unit: LLM tokens -> clauses -> Piper audio -> the output buffer.

Every piece of audio carries the reply's id; once a reply is cancelled, nothing it still produces can
reach the speaker, because the output buffer drops segments of replies it no longer knows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from assistant.engine.output import OutputBuffer
from assistant.llm.base import LanguageModel, LlmError, Message
from assistant.tts import ClauseChunker, Synthesizer

FALLBACK_EMPTY = "Sorry, I don't have an answer to that."
FALLBACK_LLM_DOWN = "Sorry, I lost my connection to the language model."


class Reply:
    def __init__(
        self,
        reply_id: int,
        messages: list[Message],
        llm: LanguageModel,
        tts: Synthesizer,
        output: OutputBuffer,
        on_error: Callable[[str, str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = reply_id
        self.messages = messages
        self._llm, self._tts, self._output = llm, tts, output
        self._on_error = on_error
        self._clock = clock
        self.text = ""
        self.error: str | None = None
        self.t_started = clock()
        self.t_first_token: float | None = None
        self.t_first_audio: float | None = None
        self.released = False
        self._clauses: asyncio.Queue[str | None] = asyncio.Queue()
        self._first_synthesised = asyncio.Event()
        output.open(reply_id)
        self._tasks = [
            asyncio.create_task(self._generate(), name=f"reply{reply_id}-llm"),
            asyncio.create_task(self._speak(), name=f"reply{reply_id}-tts"),
        ]

    @property
    def user_text(self) -> str:
        return self.messages[-1].content

    async def _generate(self) -> None:
        chunker = ClauseChunker()
        try:
            async for piece in self._llm.stream(self.messages):
                if self.t_first_token is None:
                    self.t_first_token = self._clock()
                self.text += piece
                for clause in chunker.feed(piece):
                    self._clauses.put_nowait(clause)
                    # Stop reading the LLM until the first clause is audio: with backpressure (llama.cpp)
                    # the synthesiser gets the cores and speech starts sooner; later clauses catch up
                    # while the first one plays.
                    await self._first_synthesised.wait()
            for clause in chunker.flush():
                self._clauses.put_nowait(clause)
            if not self.text.strip():
                self.text = FALLBACK_EMPTY
                self._clauses.put_nowait(FALLBACK_EMPTY)
        except LlmError as exc:
            self.error = str(exc)
            self._on_error("llm", str(exc))
            self.text = (self.text + " " + FALLBACK_LLM_DOWN).strip() if self.text else FALLBACK_LLM_DOWN
            for clause in chunker.flush():
                self._clauses.put_nowait(clause)
            self._clauses.put_nowait(FALLBACK_LLM_DOWN)
        finally:
            self._clauses.put_nowait(None)

    async def _speak(self) -> None:
        try:
            while (clause := await self._clauses.get()) is not None:
                try:
                    audio = await self._tts.synthesize(clause, urgent=self.t_first_audio is None)
                except Exception as exc:
                    self._on_error("tts", f"could not synthesise {clause!r}: {exc}")
                    audio = None
                self._first_synthesised.set()
                if audio is None:
                    continue
                if self.t_first_audio is None:
                    self.t_first_audio = self._clock()
                self._output.add(self.id, clause, audio)
        finally:
            self._first_synthesised.set()
            self._output.end(self.id)

    def release(self) -> None:
        """The endpoint is confirmed: let the audio play."""
        self.released = True
        self._output.release(self.id)

    async def cancel(self) -> None:
        """Stop generation and synthesis; the caller flushes or discards the audio already queued."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
