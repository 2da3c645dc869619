"""The terminal view of a conversation: state, live transcript, the reply as it is spoken, latencies."""

from __future__ import annotations

import sys
from typing import TextIO

from assistant.bus import Subscription
from assistant.events import (
    BargeIn,
    ErrorOccurred,
    Event,
    FinalTranscript,
    PartialTranscript,
    ReplyEnded,
    ReplySpoken,
    Resumed,
    StateChanged,
    TurnCompleted,
)

_ICONS = {"listening": "👂 listening", "thinking": "💭 thinking", "speaking": "🔊 speaking"}


def format_timings(timings: dict[str, float | None]) -> str:
    names = [
        ("endpoint", "endpoint"),
        ("asr_final", "asr"),
        ("llm_first_token", "llm 1st token"),
        ("tts_first_audio", "tts 1st audio"),
        ("voice_to_voice", "voice-to-voice"),
        ("barge_in", "barge-in"),
    ]
    parts = [f"{label} {timings[key]:.0f} ms" for key, label in names if timings.get(key) is not None]
    return " · ".join(parts)


class ConsoleView:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._partial = False
        self._paused: set[int] = set()
        """Replies that a BargeIn paused: a Resumed for another was judged before any of it played."""

    def _line(self, text: str) -> None:
        if self._partial:
            self.out.write("\r\033[K")
            self._partial = False
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """A line that is not about the conversation (the audio device lost and back, say)."""
        self._line(text)

    def show(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self._line(f"[{_ICONS.get(event.state.value, event.state.value)}]")
        elif isinstance(event, PartialTranscript):
            self.out.write(f"\r\033[K  you: {event.text} …")
            self.out.flush()
            self._partial = True
        elif isinstance(event, FinalTranscript):
            self._line(f"  you: {event.text}")
        elif isinstance(event, ReplySpoken):
            self._line(f"  assistant: {event.text}")
        elif isinstance(event, BargeIn):
            self._paused.add(event.reply_id)
            self._line(f"  (paused for your voice after {event.reaction_ms:.0f} ms)")
        elif isinstance(event, Resumed):
            paused = event.reply_id in self._paused
            self._paused.discard(event.reply_id)
            self._line(
                "  (not an interruption: resuming)" if paused else "  (a sound, not words: still answering)"
            )
        elif isinstance(event, ReplyEnded) and event.interrupted:
            self._line(f"  (interrupted; you heard: {event.heard!r})")
        elif isinstance(event, TurnCompleted):
            self._line(f"  ⏱  {format_timings(event.turn.get('timings_ms', {}))}")
        elif isinstance(event, ErrorOccurred):
            self._line(f"  ⚠ {event.source}: {event.message}")

    async def run(self, events: Subscription) -> None:
        async for event in events:
            self.show(event)
