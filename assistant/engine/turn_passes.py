"""The passes over a user turn's audio: partial ASR passes while the user speaks, and at each pause the
final pass beside the end-of-turn models.

One pass of the recogniser runs at a time (`busy`). At a pause the final pass decodes the uncommitted
tail and Smart Turn hears the audio up to the last speech, side by side; once both are in, the words
model reads the transcript where it could change the verdict, and `engine/end_of_turn.py` turns the three
into the silence that ends the turn. Until the verdict is in, the turn does not end. Everything lands on
the `UserTurn`; the conversation only hears of partial and final transcripts through its two callbacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from assistant.asr.decoding import Transcript
from assistant.asr.streaming import FinalPass
from assistant.config import Config
from assistant.engine.end_of_turn import asks_words, end_of_turn
from assistant.engine.endpointing import ends_on_trailing_word, spoken_words
from assistant.engine.hums import worth_a_hum_look
from assistant.engine.user_turn import UserTurn
from assistant.turn import SmartTurn
from assistant.turn.words import WordsEndOfTurn

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


MIN_SPEECH_MS = 60
"""Less speech than this in a turn (by Silero's frames) is a sound, not words: knocks after a sentence
had 0-20 ms (and Whisper wrote "Thank you." or "it's" for them), the bundled voice's lone "Hi", "No",
"Yes", "Okay" and "Stop" 140-320 ms."""


PAUSE_MS = 40
"""Silence from which a turn is in a pause: no partial pass starts, and a partial that lands in it starts
no prefill of the model (`Conversation._on_partial`): the final pass, 80 ms into the pause, needs the
cores (docs/benchmarks.md, "The final pass in a conversation"). The words model still scores it: the
final pass's verdict waits for that score."""


def pausing(turn: UserTurn, frame_ms: int) -> bool:
    """The turn has been silent for `PAUSE_MS` or more."""
    return turn.frames_since_speech * frame_ms >= PAUSE_MS


class TurnPasses:
    """Runs the recognition and end-of-turn passes of the conversation's user turns."""

    def __init__(
        self,
        cfg: Config,
        smart_turn: SmartTurn | None,
        words_eot: WordsEndOfTurn | None,
        spawn: Spawn,
        clock: Callable[[], float],
        on_partial: Callable[[UserTurn, str], None],
        on_final: Callable[[UserTurn], None],
        wants_more: Callable[[str], bool] | None = None,
    ) -> None:
        """`wants_more(text)`: the words ask for a tool without what it needs (`ToolHost.asks_for_more`)."""
        self.cfg = cfg
        self.wants_more = wants_more
        self.frame_ms = cfg.audio.frame_ms
        self.smart_turn = smart_turn
        self.words_eot = words_eot
        self.spawn = spawn
        self.clock = clock
        self.on_partial = on_partial
        self.on_final = on_final
        self.busy = False
        """A pass of the recogniser (partial or final) is running."""
        self._ahead: asyncio.Task[None] | None = None
        self.closed = False

    def close(self) -> None:
        """Late results are dropped from now on."""
        self.closed = True

    def partial(self, turn: UserTurn) -> None:
        """Decode what is not committed yet; LocalAgreement commits what two passes agree on."""
        turn.partial_at = len(turn.frames)
        audio = turn.audio()
        self.busy = True

        async def run() -> None:
            try:
                text = await turn.recognizer.partial(audio)
                self.on_partial(turn, text)
            finally:
                self.busy = False
            self._words_ahead(text)

        self.spawn(run(), "asr-partial")

    def _words_ahead(self, text: str) -> None:
        """Score the partial's words ahead, one at a time: a final transcript that ends on the same words
        then has the words model's verdict at once (`WordsEndOfTurn.ahead`)."""
        if (
            self.words_eot is not None
            and (self._ahead is None or self._ahead.done())
            and spoken_words(text)
            and not ends_on_trailing_word(text)
        ):
            self._ahead = self.spawn(self.words_eot.ahead(text), "end-of-turn-words-ahead")

    def final(self, turn: UserTurn, now: float, second_look: Callable[[str], bool] | None = None) -> None:
        """At a pause: decode the uncommitted tail up to the last speech (plus 100 ms), and ask the
        end-of-turn model about the audio up to the last speech, side by side. `second_look` picks the
        transcripts that deserve the beam's alternatives (`ToolHost.second_look`). A turn in which the
        speech model heard less than `MIN_SPEECH_MS` of speech (knocks or claps that webrtcvad took for a
        voice) has no words: its transcript is empty, and it ends as silence does. A burst over the reply
        whose transcript would cut it is also read again as the hum it may be (`hums.py`)."""
        upto = turn.frames_to_speech_end(self.frame_ms, 100)
        turn.voiced_since_final = 0
        turn.t_speculated = now
        audio = turn.audio(upto)
        hum_look = worth_a_hum_look if turn.interrupting is not None else None  # a burst over the reply
        self.busy = True

        async def run() -> FinalPass:
            try:
                if turn.voiced_ms < MIN_SPEECH_MS:  # only sounds: no words (Whisper would invent "Here.")
                    audio_ms = len(audio) * 1000 / self.cfg.audio.sample_rate
                    return FinalPass(Transcript("", audio_ms, 0.0), 0.0, 0.0, 0.0, 0)
                return await turn.recognizer.final(audio, second_look, hum_look)
            finally:
                self.busy = False

        task = self.spawn(run(), "asr-final")
        turn.final_task = task
        task.add_done_callback(lambda t: self._final_ready(turn, t))
        if self.smart_turn is not None and turn.interrupting is None:  # a barge-in is judged by its words
            heard = turn.audio(turn.frames_to_speech_end(self.frame_ms, 40))
            eot = self.spawn(self.smart_turn.probability(heard), "end-of-turn")
            turn.eot_task = eot
            eot.add_done_callback(lambda t: self._probability_ready(turn, t))

    def _final_ready(self, turn: UserTurn, task: asyncio.Task[FinalPass]) -> None:
        if task.cancelled() or task.exception() is not None or turn.final_task is not task or self.closed:
            return
        turn.final_pass = task.result()
        turn.final = turn.final_pass.transcript
        turn.t_final = self.clock()
        self.decide_end(turn)
        words = turn.words_task
        if words is None:
            self.on_final(turn)
        else:  # the words model first (~10 ms): beside the reply it took ~150 ms, all of it on the endpoint
            final = turn.final
            words.add_done_callback(lambda t: self._final_after_words(turn, final, t))

    def _final_after_words(self, turn: UserTurn, final: Transcript, task: asyncio.Task[float]) -> None:
        """The words model's verdict is in: the speculative reply may start, if this final still holds."""
        if not task.cancelled() and not self.closed and turn.final is final:
            self.on_final(turn)

    def _probability_ready(self, turn: UserTurn, task: asyncio.Task[float]) -> None:
        if task.cancelled() or turn.eot_task is not task or self.closed:
            return
        turn.eot_task = None
        turn.probability = None if task.exception() is not None else task.result()
        self.decide_end(turn)

    def decide_end(self, turn: UserTurn) -> None:
        """Once the words and the audio model's probability are in: how much silence ends this turn. Where
        the words model could change the verdict, the turn (and the speculative reply) waits for it (a
        median 10 ms after the final transcript, its words mostly scored ahead from the partials); if it
        fails, the verdict is the audio model's."""
        if turn.final is None or turn.eot_task is not None:
            return
        text, probability = turn.final.text, turn.probability
        if self.words_eot is None or not asks_words(text, probability, self.cfg.turn):
            turn.eot = end_of_turn(text, probability, self.cfg.turn, None, self._wants_more(text))
            turn.t_verdict = self.clock()
            return
        task = self.spawn(self.words_eot.probability(text), "end-of-turn-words")
        turn.words_task = task
        task.add_done_callback(lambda t: self._words_ready(turn, t))

    def _words_ready(self, turn: UserTurn, task: asyncio.Task[float]) -> None:
        if task.cancelled() or turn.words_task is not task or self.closed or turn.final is None:
            return
        turn.words_task = None
        words = task.result() if task.exception() is None else None
        text = turn.final.text
        turn.eot = end_of_turn(text, turn.probability, self.cfg.turn, words, self._wants_more(text))
        turn.t_verdict = self.clock()

    def _wants_more(self, text: str) -> bool:
        return self.wants_more is not None and self.wants_more(text)
