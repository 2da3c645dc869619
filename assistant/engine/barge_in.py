"""Barge-in: what happens to a reply when the user speaks over it.

The audio pauses at the speech onset (`Conversation._open_turn`). Short speech is then judged from its
own short decode: a backchannel ("mm-hmm"), a noise, a burst that Whisper filled with more words than it
could hold or with no real word ("NMO", `lexicon.py`), or one that read again as hums was only hums
(`hums.py`), resumes the reply where it paused; anything else,
or speech longer than `turn.interruption_min_speech_ms`, confirms the interruption: the reply is
cancelled, the history keeps only what was audible (`OutputBuffer.heard`), and, when the user is
carrying on the turn the reply answered (`continuation.py`), neither the reply nor that turn stays in
the history.

`Conversation` mixes this class in; the attributes and methods declared below are its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

import numpy as np

from assistant.asr import Transcript
from assistant.bus import EventBus
from assistant.config import Config
from assistant.engine.commands import is_stop_command, retracted
from assistant.engine.continuation import joined, take_back
from assistant.engine.echo_gate import RECENT_MS, EchoGate
from assistant.engine.endpointing import is_backchannel, spoken_words
from assistant.engine.hums import only_hums
from assistant.engine.lexicon import holds_no_word
from assistant.engine.output import OutputBuffer
from assistant.engine.own_echo import ECHO_ALONE_RHO, FOLLOWS_RHO, after_echo, says_only
from assistant.engine.reply import Reply
from assistant.engine.tooling import ToolHost
from assistant.engine.user_turn import TurnRecord, UserTurn, holds_too_many_words
from assistant.events import BargeIn, Resumed, State
from assistant.llm import Message
from assistant.vad import SpeechDetector

log = logging.getLogger(__name__)

RESUMED_WITHIN_S = 0.6
"""Speech that starts again this soon after the last speech of a burst that was let go (the reply
resumed) goes on from it: the new turn holds the burst's audio. A burst is judged at its first pause of
`turn.speculate_after_ms`, and a stop consonant or a breath inside a phrase makes one; the phrase's
first word was otherwise lost ("Please enter one or more keywords" [0.25 s] "separated by star": the
reply had started, "separated" paused it, was let go at the "t", and the turn that followed began
300 ms before "by", so Whisper never heard it)."""


NOTHING_HEARD_HOLD_MS = 250
"""A burst in which Whisper heard no word at all is judged only after this much silence, not at the
first pause: it was too short to tell, and is most often a user's first syllable before the next. Let
go at once, the reply came back over the user for the gap between two words and stopped again at the
next ("go" [120 ms] "forward": barge-in 320-360 ms from the signal instead of 80-100, one session's first
reply in three). Over ../shared/speech and asterisk-dev, the silence after a burst of 160 ms or less
(Silero) was 200 ms at the median and 260 at the 90th percentile (11 bursts); a backchannel Whisper left
empty is still resumed within 300 ms of its end. Counted from the burst's end, so sounds too short to
reset the final transcript do not hold the reply longer."""

ONSET_MS = 300
"""How much of a turn's first speech `_opened_by_echo` compares with the playback: one window of
`EchoGate.follows_playback`, about as long as "Sorry," the echo of a reply's first word."""


class Interruptions:
    """The barge-in half of a `Conversation`."""

    cfg: Config
    frame_ms: int
    bus: EventBus
    output: OutputBuffer
    echo_gate: EchoGate
    detector: SpeechDetector
    tools: ToolHost
    history: list[Message]
    false_interruptions: int
    own_echoes: int
    """Bursts that were the assistant's own echo (`own_echo.py`)."""
    _turn: UserTurn | None
    _dismissed: UserTurn | None
    """The last burst let go, while more speech may still go on from it (`RESUMED_WITHIN_S`)."""
    _reply: Reply | None
    _record: TurnRecord | None

    def _set_state(self, state: State) -> None:
        raise NotImplementedError

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        raise NotImplementedError

    def _new_reply(self, heard: Transcript) -> Reply:
        raise NotImplementedError

    def _prefill(self, words: str) -> None:
        raise NotImplementedError

    def _finish_reply(
        self,
        reply: Reply,
        heard: str,
        interrupted: bool,
        record: TurnRecord | None,
        turn: UserTurn | None,
        forget: bool = False,
    ) -> None:
        raise NotImplementedError

    def _judge_interruption(self, turn: UserTurn, now: float) -> None:
        """Short speech during a reply (under `interruption_min_speech_ms`), judged as soon as it pauses
        from its own short decode: resume if it said nothing that takes the turn ("mm-hmm", "yeah", more
        words than the burst could hold, or no word at all: both are Whisper's inventions), or if read
        again with hums in the prompt it was only hums (`hums.py`: "I have." was "Uh huh."). A burst in
        which Whisper heard nothing is judged only once `NOTHING_HEARD_HOLD_MS` of silence followed it."""
        own_echo = self._own_echo(turn)  # first: an echo that got through is learned (`echo_leak.py`)
        final, hummed = turn.final, False
        if final is not None and final.hummed is not None:
            log.debug("a burst heard as %r, read again as %r", final.text, final.hummed)
        if final is not None and only_hums(final.hummed):
            hummed = True
            log.info("heard again as a hum (%r), first as %r", final.hummed, final.text)
        if not own_echo and final is not None and not spoken_words(final.text):
            if turn.nothing_heard_at is None:
                turn.nothing_heard_at = len(turn.frames) - turn.frames_since_speech
            if (len(turn.frames) - turn.nothing_heard_at) * self.frame_ms < NOTHING_HEARD_HOLD_MS:
                return  # judged again at the next frame, or the user goes on and the turn with them
        text = self._said(turn).text  # without the reply's words its echo opened the burst with
        if (
            own_echo
            or hummed
            or is_backchannel(text)
            or holds_too_many_words(text, turn.spoken_ms())
            or holds_no_word(text)
        ):
            self._resume_reply(turn)
        else:
            self._confirm_interruption(turn)
            if text and not self._stops(text):
                turn.spec_reply = self._new_reply(self._heard(turn))

    def _own_echo(self, turn: UserTurn) -> bool:
        """Whether this turn's speech, begun over the assistant's voice, was that voice come back: its
        sound following the playback throughout as only the echo does, whatever Whisper made of it, or
        its words all the reply's own and its sound following the playback (`own_echo.py`). Judged once,
        on the final transcript."""
        if turn.own_echo is None and turn.final is not None:
            since = turn.frames_since_speech
            speech = len(turn.frames) - turn.speech_from - since  # from the onset to the last speech
            turn.own_echo = turn.over_playback and (
                self.echo_gate.follows_throughout(speech, since) >= ECHO_ALONE_RHO
                or (
                    says_only(turn.final.text, self._played(turn))
                    and self.echo_gate.follows_playback(len(turn.frames) - since, since) >= FOLLOWS_RHO
                )
            )
            if turn.own_echo:
                self.echo_gate.echo_got_through(speech, since)
                self.own_echoes += 1
                log.info("heard its own voice (%r): the echo canceller lost the echo path", turn.final.text)
        return bool(turn.own_echo)

    def _played(self, turn: UserTurn) -> str:
        """What the assistant had said when `turn` began over it: the last reply in the history and what
        the reply it paused had played or begun to play."""
        played = [m.content for m in self.history[-1:] if m.role == "assistant"]
        reply_id = turn.interrupting
        if reply_id is None and self._reply is not None:
            reply_id = self._reply.id
        if reply_id is not None:
            played.append(self.output.begun(reply_id))
        return " ".join(played)

    def _opened_by_echo(self, turn: UserTurn) -> bool:
        """Whether the first `ONSET_MS` of this turn's speech, begun over the assistant's voice, followed
        the playback (`FOLLOWS_RHO`): the reply's echo opened the turn, and whoever went on speaking
        began later, so its onset says nothing of when they did. Followed as only the echo does
        (`ECHO_ALONE_RHO`), the reply's words it opens with are not the user's either (`_said`). Judged
        once, from `ONSET_MS` of speech on (or at the interruption's verdict, if sooner); False when
        that audio is no longer kept (`echo_gate.RECENT_MS`)."""
        if turn.echo_onset is None:
            heard = min(ONSET_MS // self.frame_ms, len(turn.frames) - turn.speech_from)
            ago = len(turn.frames) - turn.speech_from - heard
            rho = 0.0
            if turn.over_playback and heard > 0 and ago + heard <= RECENT_MS // self.frame_ms:
                rho = self.echo_gate.follows_playback(heard, ago)
            turn.echo_onset = rho >= FOLLOWS_RHO
            if rho >= ECHO_ALONE_RHO:
                turn.echo_words = self._played(turn)
            if turn.echo_onset:
                log.info("the reply's echo opened this turn (%.2f): it carries nothing on", rho)
        return turn.echo_onset

    def _stops(self, text: str) -> bool:
        """ "Stop", "wait", "never mind" with no question pending, or a request taken back at its end
        ("..., no wait, cancel that"): a command that gets no reply. Not "cancel that" soon after a deed
        that can be taken back: that is undone and said (assistant.engine.take_back)."""
        return (
            (is_stop_command(text) or retracted(text))
            and self.tools.pending is None
            and not self.tools.can_take_back(text)
        )

    def _resume_reply(self, turn: UserTurn) -> None:
        rid = turn.interrupting
        self._turn = None
        self._dismissed = None if turn.own_echo else turn  # the reply's echo begins no user's words
        self.detector.end_speech()
        self.false_interruptions += 1
        self.output.resume()
        self._set_state(State.SPEAKING)
        final = turn.final
        heard = "" if final is None else final.hummed if only_hums(final.hummed) else final.text
        self.bus.publish(Resumed(rid or -1, heard or "", own_echo=bool(turn.own_echo)))

    def _confirm_interruption(self, turn: UserTurn) -> None:
        self._opened_by_echo(turn)  # while what the reply played is known
        rid, turn.interrupting = turn.interrupting, None
        reply, record = self._reply, self._record
        if reply is None or reply.id != rid:
            return
        heard = self.output.heard(reply.id)
        self.output.flush()
        self._reply = None
        self._spawn(reply.cancel(), "cancel-reply")
        forget = record is not None and self._carry_on(turn, reply, record)
        self._finish_reply(reply, heard, interrupted=True, record=record, turn=turn, forget=forget)

    def _carry_on(self, turn: UserTurn, reply: Reply, record: TurnRecord) -> bool:
        """Whether `turn` is the rest of the turn `reply` answers; if so, that turn's words leave the
        history and become the first half of this one (`continuation.py`)."""
        if self.tools.pending is not None or turn.echo_onset:
            return False
        turn.continues = take_back(
            turn.t_speech_start, record, reply, self.history, self.cfg.turn.continuation_ms
        )
        if turn.continues is None:
            return False
        self._prefill(turn.continues.text.rstrip().rstrip(".,"))  # the first half, before the rest is heard
        return True

    def _heard(self, turn: UserTurn) -> Transcript:
        """What the user said in this turn, with the first half it carries on."""
        said = self._said(turn)
        return joined(turn.continues, said) if turn.continues is not None else said

    def _said(self, turn: UserTurn) -> Transcript:
        """This turn's final transcript, less the reply's own words it opened with when the reply's echo
        opened it (`_opened_by_echo`; "Sorry, seven of clubs" where "Sorry, I don't ..." was playing)."""
        assert turn.final is not None
        if not turn.echo_words:
            return turn.final
        final, played = turn.final, turn.echo_words
        alternatives = tuple(a for a in (after_echo(a, played) for a in final.alternatives) if a)
        return replace(final, text=after_echo(final.text, played), alternatives=alternatives)

    def _keep_dismissed(self, frame: np.ndarray, now: float) -> None:
        """Between turns: the burst let go keeps the audio that follows it, until `RESUMED_WITHIN_S`
        have passed since its last speech."""
        if self._dismissed is None:
            return
        if now - self._dismissed.t_last_voiced > RESUMED_WITHIN_S:
            self._dismissed = None
        else:
            self._dismissed.frames.append(frame)

    def _note_paused(self, at: float) -> None:
        turn = self._turn
        if turn is None or turn.t_audio_stopped is not None:
            return
        turn.t_audio_stopped = at
        reaction = (at - turn.t_onset) * 1000
        self.bus.publish(BargeIn(turn.interrupting or -1, reaction, at))
