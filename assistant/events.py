"""The conversation's vocabulary: a dozen event types, each a small frozen dataclass.

Audio never travels as events (it goes through the input handler and the output buffer), so nothing a
listener does can delay sound, and control events never queue behind audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class Event:
    """Base class; `control` events overtake ordinary ones in every subscriber's queue."""

    control = False


@dataclass(frozen=True)
class StateChanged(Event):
    state: State


@dataclass(frozen=True)
class SpeechStarted(Event):
    """The user started speaking (VAD onset), possibly over the assistant."""

    at: float


@dataclass(frozen=True)
class SpeechStopped(Event):
    at: float


@dataclass(frozen=True)
class PartialTranscript(Event):
    text: str


@dataclass(frozen=True)
class FinalTranscript(Event):
    text: str


@dataclass(frozen=True)
class ReplyStarted(Event):
    reply_id: int


@dataclass(frozen=True)
class ReplySpoken(Event):
    """A clause of the reply started playing: the text the user is hearing now."""

    reply_id: int
    text: str


@dataclass(frozen=True)
class ReplyEnded(Event):
    """The reply finished or was cut; `heard` is exactly what reached the user's ears."""

    reply_id: int
    heard: str
    interrupted: bool


@dataclass(frozen=True)
class BargeIn(Event):
    """User speech during a reply paused the audio; a verdict (interrupt or resume) follows."""

    control = True
    reply_id: int
    reaction_ms: float
    stopped_at: float = 0.0
    """When the speaker went silent (monotonic clock); `reaction_ms` counts from the VAD's onset."""


@dataclass(frozen=True)
class Resumed(Event):
    """The barge-in was a cough, a noise or a backchannel: the reply goes on where it paused."""

    control = True
    reply_id: int
    heard_text: str = ""
    own_echo: bool = False
    """The burst was the reply's own echo (`engine/own_echo.py`)."""


@dataclass(frozen=True)
class TurnCompleted(Event):
    """One user turn with its reply, as written to the simulate report."""

    turn: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorOccurred(Event):
    """Something failed (LLM server gone, TTS error); the session carries on."""

    control = True
    source: str
    message: str
