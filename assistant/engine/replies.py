"""Replies: how a `Conversation` starts one, follows its audio, and ends it into the history.

A reply (`reply.py`) writes its notices into the output buffer as its audio plays: first audio, each
spoken segment, paused (a barge-in), finished. `_drain_notices` reads them on the event loop, times the
turn's record from them (voice-to-voice waits for the answer, not the "One moment." filler) and, when
the reply is over, `_finish_reply` keeps what the user heard in the history and publishes the turn.

`Conversation` mixes this class in; the attributes declared below (and in `barge_in.Interruptions`)
are its own.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from assistant.asr import Transcript
from assistant.engine.barge_in import Interruptions
from assistant.engine.notices import model_words
from assistant.engine.reply import FILLER, Patience, Reply
from assistant.engine.user_turn import TurnRecord, UserTurn
from assistant.events import ErrorOccurred, ReplyEnded, ReplySpoken, ReplyStarted, State, TurnCompleted
from assistant.llm import LanguageModel, Message
from assistant.tts import Synthesizer

log = logging.getLogger(__name__)


CUT_WORDS = 5
"""An interrupted reply keeps the sentence it was cut in only from this many of its words on."""
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def remembered(reply: Reply, heard: str, interrupted: bool) -> Message | None:
    """What the history keeps of a finished reply, after the user's turn: the model's words as heard
    (`model_words`; empty when there were none), or None when the engine answered the turn aside
    (`Reply.aside`) or in the model's place (`Reply.notice_only`): then the user's turn leaves the history
    too. An empty model turn is what Qwen2.5-Coder 0.5B imitates: greedy, after one that followed "Go
    forward 10 meters." (a read-back, answered "Sorry, I can't do that."), it answered 5 of 24 next
    questions with nothing and "How many days are in a week?" with "1"; with the exchange left out, none
    of 8 with nothing and "There are 7 days in a week." (probe of 2026-12-06; the user's words alone, or
    the notice as the model's, were copied instead). A statement answered "I see." stays, with an empty
    turn: with it gone, "What's my name?" after "My name is Priya." got "My name is Juno." (3 of 3 such
    facts lost; kept, 3 of 3 recalled)."""
    if reply.aside or reply.notice_only:
        return None
    cut = interrupted or reply.error is not None
    words = model_words(heard, interrupted)
    if interrupted:
        words = without_a_short_cut(words)
    return Message("assistant", words, interrupted=cut, from_tools=bool(reply.tool_calls))


def without_a_short_cut(heard: str) -> str:
    """An interrupted reply as heard, less the sentence it was cut in when that holds under `CUT_WORDS`
    words ("Sorry, I", "A good name"): a small model copies such an opening, cut, into its next replies.
    Greedy, after "A good name..." (cut) Qwen2.5-Coder 0.5B answered "Tell me something about cats." with
    "A good name..." and "Feels like these days go on forever." with "It's like..."; after "Sorry, I..."
    it answered "7 of clubs" and a list of cards with "Sorry, I..."; shown without the "...", with a dash,
    "(interrupted)" or "[cut off]" in front, it copied those too (probe of 2026-12-06). The words before
    it, and a longer cut sentence, are what the user heard of the reply, and stay."""
    ends = [m.end() for m in _SENTENCE_END.finditer(heard)]
    done = ends[-1] if ends else 0
    if len(heard[done:].split()) >= CUT_WORDS:
        return heard
    return heard[:done].rstrip()


class Replies(Interruptions):
    """The speaking half of a `Conversation`, over its barge-in half (whose declarations it shares)."""

    clock: Callable[[], float]
    llm: LanguageModel
    tts: Synthesizer
    records: list[dict[str, Any]]
    record_times: list[float]
    _ids: itertools.count[int]
    _announcements: deque[str]
    user_said: deque[str]

    def _new_reply(self, heard: Transcript) -> Reply:
        messages = [*self.history, Message("user", heard.text)]
        earlier = list(self.user_said)
        self.user_said.append(heard.text)
        return Reply(
            next(self._ids),
            messages,
            self.llm,
            self.tts,
            self.output,
            self._report_error,
            self.clock,
            tools=self.tools,
            alternatives=heard.alternatives,
            rehear=heard.rehear,
            patience=Patience(self.cfg.llm.notice_after_s, self.cfg.llm.request_timeout_s),
            earlier=earlier,
        )

    def _announce_next(self) -> None:
        text = self._announcements.popleft()
        reply = Reply(
            next(self._ids),
            [*self.history],
            self.llm,
            self.tts,
            self.output,
            self._report_error,
            self.clock,
            script=text,
        )
        self._reply = reply
        reply.release()
        self.bus.publish(ReplyStarted(reply.id))
        self._set_state(State.THINKING)

    def _report_error(self, source: str, message: str) -> None:
        log.warning("%s error: %s", source, message)
        self.bus.publish(ErrorOccurred(source, message))

    def _drain_notices(self) -> None:
        while self.output.notices:
            notice = self.output.notices.popleft()
            reply, record = self._reply, self._record
            if reply is None or notice.reply_id != reply.id:
                if notice.kind == "paused" and self._turn and self._turn.interrupting is not None:
                    self._note_paused(notice.at)
                continue
            if notice.kind == "first_audio" and record is not None:
                self._set_state(State.SPEAKING)
            elif notice.kind == "segment":
                if record is not None and record.t_first_output is None:
                    # "One moment." is a filler, not the answer: voice-to-voice waits for the answer.
                    if notice.text == FILLER:
                        record.t_filler = record.t_filler or notice.at
                    else:
                        record.t_first_output = notice.at
                self.bus.publish(ReplySpoken(reply.id, notice.text))
            elif notice.kind == "paused":
                self._note_paused(notice.at)
            elif notice.kind == "finished":
                self._reply = None
                self._finish_reply(reply, notice.text, interrupted=False, record=record, turn=None)

    def _finish_reply(
        self,
        reply: Reply,
        heard: str,
        interrupted: bool,
        record: TurnRecord | None,
        turn: UserTurn | None,
        forget: bool = False,
    ) -> None:
        """The reply is over; `forget`: it is taken back (a continued turn), so history keeps none of it.

        The history keeps what of the model's words was heard: not the engine's notices and apologies
        (`model_words`), which a small model imitates. A reply whose model words were cut before they
        were heard, or a statement answered "I see.", is kept as an empty turn; a reply the engine said in
        the model's place leaves with its user turn (`remembered`). Never two user turns in a row: with
        them, Qwen2.5-Coder 0.5B answered both
        ("Water the plants." -> "Sorry, I can't do that.", then "I'm going to bed now." -> "You can tell the
        person that water the plants and go to bed now."; "7 of clubs" -> "Go forward 10 meters and watch
        the clubs." after a refused "go forward 10 meters"). A turn the engine answered aside (live
        information out of reach) leaves the history with its reply: with those sentences, or empty turns,
        in it Qwen answered the next questions it could answer with a refusal, or with nothing ("What
        should I buy for a picnic?" -> "Sorry, I can't help with that.", probe of 2026-12-04)."""
        if not forget:
            kept = remembered(reply, heard, interrupted)
            if kept is not None:
                self.history.append(kept)
            elif self.history and self.history[-1] == reply.messages[-1]:
                self.history.pop()  # the user's turn it answered
        self.bus.publish(ReplyEnded(reply.id, heard, interrupted))
        if record is not None:
            record.interrupted = interrupted
            record.assistant_text = heard
            if interrupted and turn is not None and turn.t_audio_stopped is not None:
                record.barge_in_ms = (turn.t_audio_stopped - turn.t_onset) * 1000
            if forget:
                record.extra["continued"] = True
            data = record.as_dict()
            self.records.append(data)
            self.record_times.append(record.t_last_voiced)
            self._record = None
            self.bus.publish(TurnCompleted(data))
        if self._turn is None:
            self._set_state(State.LISTENING)
            if self._reply is None:  # the reply as heard is in the history: the next turn's prefix
                self._prefill("")
