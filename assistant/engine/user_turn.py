"""One user turn while it is being spoken: its audio, its streaming transcript, and its report record.

The turn keeps every frame since its onset (plus the pre-roll). Partial passes of the streaming
recogniser commit words while the user speaks; at each pause the final pass (the uncommitted tail only)
and the end-of-turn model run side by side, and `engine/end_of_turn.py` weighs the two. Times are the
engine's clock (monotonic seconds); "speech" means what the speech-trained VAD (Silero) calls speech, so
a clap after the words neither holds the turn open nor moves `t_last_voiced`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.asr import Transcript
from assistant.asr.streaming import FinalPass, StreamingRecognizer
from assistant.engine.end_of_turn import EndOfTurn
from assistant.engine.reply import Reply

RATE = 16000


@dataclass
class UserTurn:
    frames: list[np.ndarray]
    t_onset: float
    """When the speech that opened this turn began (what a barge-in's reaction counts from)."""
    t_last_voiced: float
    """The last frame of speech (not noise): what every timing of the turn counts from."""
    recognizer: StreamingRecognizer
    frames_since_speech: int = 0
    """Frames received since the last speech: the silence, in audio time rather than the clock's."""
    voiced_ms: float = 0.0
    """Speech heard in this turn, in ms."""
    interrupting: int | None = None
    """The reply this speech paused, until it is judged an interruption or a false alarm."""
    t_audio_stopped: float | None = None
    """When the paused reply went silent; None while nothing audible was cut."""
    partial_at: int = 0
    final_task: asyncio.Task[FinalPass] | None = None
    final: Transcript | None = None
    final_pass: FinalPass | None = None
    t_speculated: float | None = None
    """When the final pass (and the speculative reply after it) started."""
    t_final: float | None = None
    eot_task: asyncio.Task[float] | None = None
    eot: EndOfTurn | None = None
    probability: float | None = None
    """The end-of-turn model's verdict at the last pause (None: not asked, or not back yet)."""
    words_task: asyncio.Task[float] | None = None
    """The words model, asked where it could change the verdict (engine/end_of_turn.py)."""
    t_verdict: float | None = None
    """When the end-of-turn verdict (`eot`) was in."""
    voiced_since_final: int = 0
    spec_reply: Reply | None = None
    t_first_onset: float | None = None
    """The onset of a burst that paused the reply and was let go just before this turn opened, whose
    audio this turn holds (`barge_in.RESUMED_WITHIN_S`); None: the turn begins at `t_onset`."""
    speech_from: int = 0
    """Where in `frames` the speech that opened this turn begins (after the pre-roll)."""
    over_playback: bool = False
    """The assistant was audible when this turn's speech began: it may be the reply's echo
    (`engine/own_echo.py`)."""
    own_echo: bool | None = None
    """Whether it was the reply's echo, once judged."""
    echo_onset: bool | None = None
    """Whether its first 300 ms of speech followed the playback: the reply's echo opened it, whoever
    went on speaking (`Interruptions._opened_by_echo`); once judged."""
    echo_words: str = ""
    """What the assistant had said when its echo opened this turn: the words the transcript's start may
    hold that no user said (`own_echo.after_echo`)."""
    nothing_heard_at: int | None = None
    """Where in `frames` the silence began after a burst in which Whisper heard no word, while the reply
    it paused is held for more (`barge_in.NOTHING_HEARD_HOLD_MS`)."""
    continues: Transcript | None = None
    """The first half of this turn, said before a pause that ended it too soon: the reply to it was taken
    back and this turn's reply answers both halves (`engine/continuation.py`)."""

    def audio(self, upto: int | None = None) -> np.ndarray:
        return np.concatenate(self.frames[:upto]) if self.frames else np.zeros(0, np.int16)

    def frames_to_speech_end(self, frame_ms: int, tail_ms: int) -> int:
        """How many frames hold the turn up to its last speech plus `tail_ms`."""
        return max(1, len(self.frames) - max(0, self.frames_since_speech - tail_ms // frame_ms))

    @property
    def t_speech_start(self) -> float:
        """Where the speech of this turn began: its onset, or that of the burst it holds."""
        return self.t_onset if self.t_first_onset is None else self.t_first_onset

    def spoken_ms(self) -> float:
        """From the speech onset to the last speech, in ms: how long the user spoke."""
        return max(0.0, (self.t_last_voiced - self.t_speech_start) * 1000)

    def reset_final(self) -> None:
        """The user went on speaking: what the pause decided no longer holds."""
        self.final_task = None  # a transcription still running is ignored when it lands
        self.final = None
        self.final_pass = None
        self.t_final = None
        self.t_speculated = None
        self.eot_task = None
        self.words_task = None
        self.eot = None
        self.t_verdict = None
        self.probability = None
        self.voiced_since_final = 0
        self.own_echo = None
        self.nothing_heard_at = None

    def report(self) -> dict[str, Any]:
        """What the turn adds to its report record (see `TurnRecord`)."""
        out: dict[str, Any] = {"user_audio_ms": round(self.spoken_ms(), 1)}
        if self.eot is not None:
            out["end_of_turn"] = self.eot.as_dict()
            if self.t_verdict is not None and self.t_final is not None:  # after the final transcript, ms
                out["end_of_turn"]["after_final_ms"] = round((self.t_verdict - self.t_final) * 1000, 1)
        if self.final_pass is not None and self.t_final is not None and self.t_speculated is not None:
            out["asr_final"] = {
                "decoded_ms": round(self.final_pass.decoded_ms, 1),
                "window_s": self.final_pass.window_s,
                "committed_words": self.final_pass.committed_words,
                "batch": self.final_pass.batch,
                "pass_ms": round((self.t_final - self.t_speculated) * 1000, 1),
            }
        return out


@dataclass
class TurnRecord:
    """What the report says about one user turn and the reply to it."""

    user_text: str
    t_last_voiced: float
    t_endpoint: float
    t_final: float
    reply: Reply
    t_speculated: float | None = None
    t_first_output: float | None = None
    """When the answer's first audio played (not the "One moment." filler)."""
    t_filler: float | None = None
    """When the "One moment." filler played, if it did."""
    interrupted: bool = False
    assistant_text: str = ""
    barge_in_ms: float | None = None
    alternatives: tuple[str, ...] = ()
    """Other hypotheses of `user_text` (the transcript's), for a turn that may yet be carried on."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def rel(t: float | None) -> float | None:
            return None if t is None else round((t - self.t_last_voiced) * 1000, 1)

        timings = {
            "endpoint": rel(self.t_endpoint),
            "speculation": rel(self.t_speculated),
            "asr_final": rel(self.t_final),
            "llm_first_token": rel(self.reply.t_first_token),
            "tts_first_audio": rel(self.reply.t_first_audio),
            "voice_to_voice": rel(self.t_first_output),
        }
        if self.t_filler is not None:
            timings["filler"] = rel(self.t_filler)
        if self.barge_in_ms is not None:
            timings["barge_in"] = round(self.barge_in_ms, 1)
        out = {
            "user_text": self.user_text,
            "assistant_text": self.assistant_text,
            "interrupted": self.interrupted,
            "timings_ms": timings,
        }
        out["tool_calls"] = [call.as_dict() for call in self.reply.tool_calls]
        if self.interrupted:
            out["generated_text"] = self.reply.text
        if self.reply.error:
            out["error"] = self.reply.error
        out.update(self.extra)
        return out


def holds_too_many_words(text: str, spoken_ms: float) -> bool:
    """More words than the speech could hold (`MAX_WORDS_PER_S`, and one word fits any burst).

    Whisper turns a 0.23 s "uh-huh" into "And that's it.": a transcript that long for that little
    speech is invented, and the burst is judged as a sound without words. A word said again at once
    counts once: Whisper's repetition loop on a short clip ("Stop." heard as "Stop. Stop.") invents no
    new word, and a person who says "stop, stop" has said one thing."""
    words = [w for w in (_WORD_EDGE.sub("", w.lower()) for w in text.split()) if w]
    distinct = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    return len(distinct) > max(1.0, MAX_WORDS_PER_S * spoken_ms / 1000)


MAX_WORDS_PER_S = 8.0
"""Faster than anyone articulates: fast speech reaches about 7 syllables a second, and a word has at
least one. It was 5, and a user's "buy milk", said 0.4 s after a pause into the reply, was judged
invented and lost."""


_WORD_EDGE = re.compile(r"^\W+|\W+$")


Spawner = Callable[[Any, str], "asyncio.Task[Any]"]
