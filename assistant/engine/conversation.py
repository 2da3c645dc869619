"""One conversation: listens all the time, decides when the user's turn ends, speaks, and gets interrupted.

Transports drive it with two calls every frame: `pull_output(n)` for the speaker (thread-safe) and
`push_input(frame, played)` on the event loop with the microphone frame and what the speaker played at the
same moment (the echo reference, `echo_gate.py`). Everything else happens inside.

Turn-taking, in short:
- a VAD onset opens a user turn (`user_turn.py`); while the user speaks, streaming partial passes commit
  the words they agree on (`asr/streaming.py`, run by `turn_passes.py`);
- after `speculate_after_ms` of silence (counted in frames that Silero calls no speech) the final pass
  over the uncommitted tail and the reply start, before the endpoint is sure, with the reply's audio held
  back; the silence that ends the turn depends on the end-of-turn model and the words (`end_of_turn.py`);
- if the user speaks again before the endpoint, the speculative reply is dropped and the turn goes on;
- speech during a reply pauses the audio at once (barge-in); it becomes an interruption when it is long
  or says something, and the reply resumes when it was only a cough, a noise or a "mm-hmm".
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.asr import Transcriber, Transcript
from assistant.asr.streaming import StreamingRecognizer
from assistant.bus import EventBus
from assistant.config import Config
from assistant.engine import lexicon
from assistant.engine.barge_in import ONSET_MS
from assistant.engine.continuation import joined
from assistant.engine.echo_gate import EchoGate
from assistant.engine.endpointing import is_filler
from assistant.engine.notices import NOTICES
from assistant.engine.output import OutputBuffer
from assistant.engine.referent import REMEMBERED_TURNS
from assistant.engine.replies import Replies
from assistant.engine.reply import Reply
from assistant.engine.tooling import ToolHost, offers_tools, tool_says_results, toolbox_for
from assistant.engine.turn_passes import TurnPasses, pausing
from assistant.engine.user_turn import TurnRecord, UserTurn
from assistant.events import (
    ErrorOccurred,
    FinalTranscript,
    PartialTranscript,
    ReplyStarted,
    SpeechStarted,
    SpeechStopped,
    State,
    StateChanged,
)
from assistant.llm import LanguageModel, Message, make_llm
from assistant.llm.prompt import system_prompt
from assistant.tts import Synthesizer
from assistant.turn import SmartTurn
from assistant.turn.words import WordsEndOfTurn
from assistant.vad import SpeechDetector
from assistant.vad.echo import EchoCanceller

log = logging.getLogger(__name__)


class Conversation(Replies):
    """One user and the assistant: turn-taking, replies (`replies.py`) and barge-in (`barge_in.py`) over
    shared models."""

    def __init__(
        self,
        cfg: Config,
        llm: LanguageModel | None = None,
        bus: EventBus | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg = cfg
        self.bus = bus or EventBus()
        self.clock = clock
        self.frame_ms = cfg.audio.frame_ms
        self.frame_samples = cfg.frame_samples
        self.transcriber = Transcriber(cfg.asr)
        self.smart_turn = SmartTurn() if cfg.turn.end_of_turn_model else None
        self.words_eot = (
            WordsEndOfTurn(cfg.turn.words_model)
            if cfg.turn.end_of_turn_model and cfg.turn.words_model
            else None
        )
        self.llm = llm or make_llm(cfg.llm)
        self.tts = Synthesizer(cfg.tts, cfg.audio.output_sample_rate)
        self.detector = SpeechDetector(cfg.vad, self.frame_ms)
        self.echo = (
            EchoCanceller(cfg.audio.sample_rate, self.frame_samples, max_delay_ms=cfg.echo.max_delay_ms)
            if cfg.echo.cancel
            else None
        )
        self.output = OutputBuffer(cfg.audio.output_sample_rate, clock)
        self.history: list[Message] = [Message("system", system_prompt(cfg.llm))]
        self.state = State.LISTENING
        self.records: list[dict[str, Any]] = []
        self.record_times: list[float] = []
        """Each record's last voiced frame (this conversation's clock): which input a record answers."""
        self.false_interruptions = 0
        self.own_echoes = 0
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._preroll: deque[np.ndarray] = deque(maxlen=max(1, cfg.turn.preroll_ms // self.frame_ms))
        self._turn: UserTurn | None = None
        self._dismissed: UserTurn | None = None
        self._prefilling: asyncio.Task[None] | None = None
        self._prefilled: tuple[int, str] | None = None
        self._reply: Reply | None = None
        self._record: TurnRecord | None = None
        self.echo_gate = EchoGate(cfg, self.echo)
        self._announcements: deque[str] = deque()
        self.user_said: deque[str] = deque(maxlen=REMEMBERED_TURNS)
        """What the user said in the last turns, also those the history left out: what "it" stands for
        (`referent.resolved`)."""
        self._closed = False
        self.tools = ToolHost(
            cfg.tools,
            toolbox_for(cfg.tools),
            f"{id(self):x}",
            self.announce,
            self._spawn,
            offers_tools(cfg),
            tool_says_results(cfg),
        )
        self.passes = TurnPasses(
            cfg,
            self.smart_turn,
            self.words_eot,
            self._spawn,
            clock,
            self._on_partial,
            self._on_final,
            self.tools.asks_for_more,
        )

    # ----------------------------------------------------------------- transport side

    def pull_output(self, n: int) -> np.ndarray:
        """Thread-safe: the next n speaker samples at the output rate."""
        return self.output.pull(n)

    def push_input(
        self, frame: np.ndarray, played: np.ndarray | None = None, now: float | None = None
    ) -> None:
        """One microphone frame (16 kHz int16) and what the speaker played meanwhile (output rate)."""
        if self._closed:
            return
        now = self.clock() if now is None else now
        if frame.size != self.frame_samples:
            raise ValueError(f"input frames must be {self.frame_samples} samples, got {frame.size}")
        self._drain_notices()
        if self._announcements and self._turn is None and self._reply is None:
            self._announce_next()
        clean, audible = self.echo_gate.cancel(frame, played)
        verdict = self.detector.process(clean, self.echo_gate.floor(audible))
        self._preroll.append(clean)
        turn = self._turn
        self.echo_gate.track_residual(verdict.level_dbfs, turn is None, audible, verdict.speech)
        if turn is None:
            self._keep_dismissed(clean, now)
            if verdict.onset:
                self._open_turn(now, audible)
            return
        turn.frames.append(clean)
        turn.frames_since_speech += 1
        if verdict.speech:
            turn.t_last_voiced = now
            turn.frames_since_speech = 0
            turn.voiced_ms += self.frame_ms
            if turn.final_task is not None:
                turn.voiced_since_final += 1
                if turn.voiced_since_final * self.frame_ms >= self.cfg.vad.onset_ms:
                    self._user_resumed(turn)
        elif turn.voiced_ms == 0 and verdict.voiced:
            turn.t_last_voiced = now  # no speech yet: the onset's own sound is all there is
            turn.frames_since_speech = 0
        self._advance_turn(turn, now)

    async def start(self) -> None:
        """Warm the LLM's prompt cache so the first turn is as fast as the rest; prepare the spoken
        fault notices, so they can be said even when synthesis fails."""
        await self.tts.prepare(NOTICES)
        await asyncio.to_thread(lexicon.load)
        await self.llm.warm_up(self.history, self.tools.llm_tools())

    def announce(self, text: str) -> None:
        """Say this on our own (a timer, a reminder) as soon as nobody is speaking."""
        self._announcements.append(text)

    async def close(self) -> None:
        """Cancel everything this conversation owns."""
        self._closed = True
        self.passes.close()
        self.tools.close()
        if self._turn and self._turn.spec_reply:
            await self._turn.spec_reply.cancel()
        if self._reply:
            await self._reply.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.output.flush()
        self.llm.release()

    @property
    def busy(self) -> bool:
        """A user turn or a reply is still in progress."""
        return self._turn is not None or self._reply is not None

    # ----------------------------------------------------------------- input helpers

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("task %s failed: %r", task.get_name(), exc)
            self.bus.publish(ErrorOccurred("engine", f"{task.get_name()}: {exc}"))

    def _set_state(self, state: State) -> None:
        if state != self.state:
            self.state = state
            self.bus.publish(StateChanged(state))

    # ----------------------------------------------------------------- the user's turn

    def _open_turn(self, now: float, audible: bool = False) -> None:
        """Speech began (`audible`: over the assistant's voice): a new turn from the pre-roll, or one that
        goes on from a burst of speech that paused the reply and was let go a moment ago
        (`barge_in.RESUMED_WITHIN_S`)."""
        dismissed, self._dismissed = self._dismissed, None
        voiced_frames = max(1, self.cfg.vad.onset_ms // self.frame_ms)
        onset = now - (voiced_frames - 1) * self.frame_ms / 1000
        turn = UserTurn(
            frames=dismissed.frames if dismissed else list(self._preroll),
            speech_from=dismissed.speech_from if dismissed else max(0, len(self._preroll) - voiced_frames),
            t_onset=onset,
            t_last_voiced=now,
            recognizer=StreamingRecognizer(self.transcriber, vocabulary=self.tools.vocabulary),
            voiced_ms=dismissed.voiced_ms if dismissed else 0.0,
            t_first_onset=dismissed.t_speech_start if dismissed else None,
            over_playback=audible,
        )
        self._turn = turn
        self.echo_gate.user_spoke()
        self.bus.publish(SpeechStarted(onset))
        if self._reply is not None:
            self.output.pause()
            turn.interrupting = self._reply.id
            self._set_state(State.LISTENING)

    def _advance_turn(self, turn: UserTurn, now: float) -> None:
        silence_ms = turn.frames_since_speech * self.frame_ms  # audio time: a stalled loop adds none
        if turn.echo_onset is None and len(turn.frames) - turn.speech_from >= ONSET_MS // self.frame_ms:
            self._opened_by_echo(turn)
        if turn.interrupting is not None and (
            turn.voiced_ms >= self.cfg.turn.interruption_min_speech_ms or now - turn.t_onset > 3.0
        ):
            self._confirm_interruption(turn)
        if not self.passes.busy and turn.final_task is None:
            if silence_ms >= self.cfg.turn.speculate_after_ms:
                self.passes.final(turn, now, self.tools.second_look)
            elif not pausing(turn, self.frame_ms):
                new_ms = (len(turn.frames) - turn.partial_at) * self.frame_ms
                if new_ms >= self.cfg.asr.partial_interval_ms and not self.transcriber.busy:
                    self.passes.partial(turn)
        if turn.final is not None:
            if turn.interrupting is not None and silence_ms >= self.cfg.turn.speculate_after_ms:
                self._judge_interruption(turn, now)
            elif turn.eot is not None and silence_ms >= turn.eot.silence_ms:
                self._endpoint(turn, now)
        elif (now - turn.t_onset) > self.cfg.turn.max_turn_s and not self.passes.busy:
            self.passes.final(turn, now, self.tools.second_look)

    def _on_partial(self, turn: UserTurn, text: str) -> None:
        """A partial pass is in: show its words while the turn is still open and not final, and evaluate
        them into the model's prompt cache. All of them: the committed ones alone lag too far behind in
        short turns (through `assistant mic`, paired by recording, voice-to-voice -40 ms at the median
        with all the words, +2 ms with the committed ones; docs/benchmarks.md). A turn that carries on
        an earlier one evaluates both halves, joined, as its message will read. Not once the turn is in
        a pause (`turn_passes.pausing`): the final pass is about to need both cores (a prefill had run
        beside two final passes in three, ~260 ms of each; docs/benchmarks.md, "The final pass in a
        conversation")."""
        if text and self._turn is turn and turn.final is None:
            self.bus.publish(PartialTranscript(text))
            if not pausing(turn, self.frame_ms):
                rest = Transcript(text, 0.0, 0.0)
                self._prefill(joined(turn.continues, rest).text if turn.continues is not None else text)

    def _prefill(self, words: str) -> None:
        """Evaluate the history and the user's `words` so far into the model's prompt cache (`llm.prefill`):
        one prefill at a time, each only once, never while a reply runs (its words in the history are not
        known until it ends)."""
        if (
            self.cfg.llm.prefill
            and self._reply is None
            and (self._prefilling is None or self._prefilling.done())
            and (len(self.history), words) != self._prefilled
        ):
            self._prefilled = (len(self.history), words)
            messages = [*self.history, Message("user", words)]
            self._prefilling = self._spawn(self.llm.prefill(messages, self.tools.llm_tools()), "prefill")

    def _on_final(self, turn: UserTurn) -> None:
        """The final transcript is in: start a speculative reply to it, held back until the endpoint."""
        text = self._said(turn).text
        if (
            text
            and not is_filler(text)
            and not self._stops(text)
            and turn.interrupting is None
            and self._turn is turn
            and not self._own_echo(turn)
        ):
            turn.spec_reply = self._new_reply(self._heard(turn))

    def _user_resumed(self, turn: UserTurn) -> None:
        """More speech after the final transcript started: the turn was not over."""
        turn.reset_final()
        if turn.spec_reply is not None:
            reply, turn.spec_reply = turn.spec_reply, None
            self.output.discard(reply.id)
            self._spawn(reply.cancel(), "cancel-speculative")

    # ----------------------------------------------------------------- endpoint and reply lifecycle

    def _endpoint(self, turn: UserTurn, now: float) -> None:
        assert turn.final is not None and turn.t_final is not None
        self._turn = None
        self.detector.end_speech()
        self.bus.publish(SpeechStopped(turn.t_last_voiced))
        text = self._said(turn).text
        said = bool(text) and not is_filler(text) and not self._own_echo(turn)
        if said:
            self.bus.publish(FinalTranscript(text))
        # "Stop" cuts the reply (already) and gets none; with a first half carried on, it cancels both.
        if not (said or turn.continues) or (said and self._stops(text)):
            self._set_state(State.SPEAKING if self._reply else State.LISTENING)
            return
        heard = self._heard(turn) if said else turn.continues
        assert heard is not None
        reply = turn.spec_reply or self._new_reply(heard)
        turn.spec_reply = None
        self.history.append(Message("user", heard.text))
        self._reply = reply
        extra = turn.report() | ({"continues": True} if turn.continues else {})
        self._record = TurnRecord(
            heard.text, turn.t_last_voiced, now, turn.t_final, reply, turn.t_speculated, extra=extra
        )
        self._record.alternatives = heard.alternatives
        reply.release()
        self.bus.publish(ReplyStarted(reply.id))
        self._set_state(State.THINKING)
