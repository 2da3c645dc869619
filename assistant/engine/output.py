"""The output buffer between the reply pipeline and the speaker.

Thread-safe because a sound card pulls from it in its own thread. It knows which text each stretch of
audio carries, so after a barge-in it can say exactly what the user heard. A reply's audio waits here until
the endpoint releases it; pause() holds it during a possible interruption, flush() drops everything.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class _Segment:
    reply_id: int
    text: str
    audio: np.ndarray
    pos: int = 0


@dataclass
class Notice:
    """Something the engine must learn about playback, recorded in the sound card's thread."""

    kind: str  # "first_audio" | "segment" | "paused" | "finished"
    reply_id: int
    at: float
    text: str = ""


@dataclass
class _ReplyPlayback:
    heard: list[str] = field(default_factory=list)
    ended: bool = False
    started: bool = False


class OutputBuffer:
    def __init__(self, sample_rate: int, clock=time.monotonic) -> None:
        self.sample_rate = sample_rate
        self._clock = clock
        self._lock = threading.Lock()
        self._segments: deque[_Segment] = deque()
        self._replies: dict[int, _ReplyPlayback] = {}
        self._released: int | None = None
        self._paused = False
        self._pause_noticed = True
        self.notices: deque[Notice] = deque()
        self.on_pause: Callable[[], None] | None = None
        """Called (outside the lock) when playback pauses, so a transport can empty its device buffer."""

    def add(self, reply_id: int, text: str, audio: np.ndarray) -> None:
        with self._lock:
            if reply_id in self._replies and not self._replies[reply_id].ended:
                self._segments.append(_Segment(reply_id, text, audio.astype(np.int16, copy=False)))

    def open(self, reply_id: int) -> None:
        with self._lock:
            self._replies[reply_id] = _ReplyPlayback()

    def end(self, reply_id: int) -> None:
        """No more audio will come for this reply; it finishes when what is queued has played."""
        with self._lock:
            if reply_id in self._replies:
                self._replies[reply_id].ended = True

    def release(self, reply_id: int) -> None:
        with self._lock:
            self._released = reply_id

    def pause(self) -> None:
        with self._lock:
            paused, self._paused = self._paused, True
            if not paused:
                self._pause_noticed = False
        if not paused and self.on_pause is not None:
            self.on_pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def flush(self) -> None:
        """Drop every queued sample of every reply, at once."""
        with self._lock:
            self._segments.clear()
            self._released = None
            self._paused = False
            self._replies.clear()

    def discard(self, reply_id: int) -> None:
        """Forget a reply that never played (a speculative reply the user talked over)."""
        with self._lock:
            self._segments = deque(s for s in self._segments if s.reply_id != reply_id)
            self._replies.pop(reply_id, None)
            if self._released == reply_id:
                self._released = None

    def heard(self, reply_id: int) -> str:
        """The words of this reply that have been played: whole clauses, then the words of the current one
        up to the play position (proportional to characters, cut at a word boundary)."""
        with self._lock:
            playback = self._replies.get(reply_id)
            words = list(playback.heard) if playback else []
            current = next((s for s in self._segments if s.reply_id == reply_id), None)
            if current is not None and current.pos > 0:
                fraction = current.pos / max(1, current.audio.size)
                limit = fraction * len(current.text)
                spoken, length = [], 0
                for word in current.text.split():
                    length += len(word) + 1
                    if length - 1 <= limit:
                        spoken.append(word)
                if spoken:
                    words.append(" ".join(spoken))
            return " ".join(words)

    def begun(self, reply_id: int) -> str:
        """The text of this reply's clauses that have played or begun to play (`heard` stops at the play
        position)."""
        with self._lock:
            playback = self._replies.get(reply_id)
            clauses = list(playback.heard) if playback else []
            current = next((s for s in self._segments if s.reply_id == reply_id), None)
            if current is not None and current.pos > 0:
                clauses.append(current.text)
            return " ".join(clauses)

    def pull(self, n: int) -> np.ndarray:
        """Next n samples for the speaker; silence when nothing is released or while paused."""
        out = np.zeros(n, np.int16)
        now = self._clock()
        with self._lock:
            if self._paused:
                if not self._pause_noticed:
                    self._pause_noticed = True
                    playing = self._replies.get(self._released) if self._released is not None else None
                    if playing is not None and playing.started:  # a pause before any audio cut nothing
                        self.notices.append(Notice("paused", self._released or -1, now))
                return out
            rid = self._released
            if rid is None or rid not in self._replies:
                return out
            playback = self._replies[rid]
            filled = 0
            while filled < n and self._segments and self._segments[0].reply_id == rid:
                seg = self._segments[0]
                if seg.pos == 0:
                    if not playback.started:
                        playback.started = True
                        self.notices.append(Notice("first_audio", rid, now))
                    self.notices.append(Notice("segment", rid, now, seg.text))
                take = min(n - filled, seg.audio.size - seg.pos)
                out[filled : filled + take] = seg.audio[seg.pos : seg.pos + take]
                seg.pos += take
                filled += take
                if seg.pos >= seg.audio.size:
                    playback.heard.append(seg.text)
                    self._segments.popleft()
            if playback.ended and not any(s.reply_id == rid for s in self._segments):
                self.notices.append(Notice("finished", rid, now, " ".join(playback.heard)))
                del self._replies[rid]
                self._released = None
        return out
