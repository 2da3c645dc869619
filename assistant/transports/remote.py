"""What every network transport shares: a conversation per session, its events as JSON, and the server's cap.

A transport (WebRTC, WebSocket) hands in microphone audio as it arrives (16 kHz int16, any chunk size),
pulls speaker audio at its own pace, and sends whatever `RemoteSession.messages` yields to its client.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

import numpy as np

from assistant.config import Config
from assistant.engine import Conversation
from assistant.events import (
    BargeIn,
    ErrorOccurred,
    Event,
    FinalTranscript,
    PartialTranscript,
    ReplyEnded,
    ReplySpoken,
    ReplyStarted,
    Resumed,
    StateChanged,
    TurnCompleted,
)
from assistant.metrics import Metrics
from assistant.transports.framing import InputFramer

log = logging.getLogger(__name__)


class ServerFull(RuntimeError):
    """Every session slot is taken."""


def event_message(event: Event) -> dict[str, Any] | None:
    """The JSON a client receives for an engine event (None: not sent)."""
    match event:
        case StateChanged(state=state):
            return {"type": "state", "state": str(state)}
        case PartialTranscript(text=text):
            return {"type": "partial", "text": text}
        case FinalTranscript(text=text):
            return {"type": "final", "text": text}
        case ReplyStarted(reply_id=rid):
            return {"type": "reply_started", "reply_id": rid}
        case ReplySpoken(reply_id=rid, text=text):
            return {"type": "reply_spoken", "reply_id": rid, "text": text}
        case ReplyEnded(reply_id=rid, heard=heard, interrupted=interrupted):
            return {"type": "reply_ended", "reply_id": rid, "text": heard, "interrupted": interrupted}
        case BargeIn(reply_id=rid, reaction_ms=ms):
            return {"type": "barge_in", "reply_id": rid, "reaction_ms": round(ms, 1)}
        case Resumed(reply_id=rid):
            return {"type": "resumed", "reply_id": rid}
        case TurnCompleted(turn=turn):
            return {"type": "turn", "turn": turn}
        case ErrorOccurred():
            return {"type": "error", **asdict(event)}
    return None


class RemoteSession:
    """One client's conversation: audio in and out, events out; `close()` frees all of it."""

    def __init__(
        self, session_id: str, conversation: Conversation, output_rate: int, metrics: Metrics
    ) -> None:
        self.id = session_id
        self.conv = conversation
        self.output_rate = output_rate
        self._framer = InputFramer(conversation, output_rate)
        self._events = conversation.bus.subscribe(maxsize=2000)
        self._metrics_events = conversation.bus.subscribe(maxsize=2000)
        self._observer = asyncio.create_task(self._observe(metrics), name=f"metrics-{session_id}")
        self.closed = asyncio.Event()

    async def _observe(self, metrics: Metrics) -> None:
        async for event in self._metrics_events:
            metrics.observe(event, self.id)

    def push_audio(self, pcm16k: np.ndarray) -> None:
        """Microphone audio as it arrives; whole engine frames go in with what was played meanwhile."""
        if not self.closed.is_set():
            self._framer.feed(pcm16k)

    def pull_audio(self, n: int) -> np.ndarray:
        """The next n speaker samples at the output rate; kept as the echo reference."""
        out = self.conv.pull_output(n)
        self._framer.played(out)
        return out

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Every client-facing event of this conversation, as JSON-ready dicts, until the session closes."""
        yield {"type": "session", "session_id": self.id}
        while not self.closed.is_set():
            message = event_message(await self._events.get())
            if message is not None:
                yield message

    async def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self._events.close()
        await self.conv.close()
        await asyncio.sleep(0)  # let the observer see the events the close produced
        self._observer.cancel()
        await asyncio.gather(self._observer, return_exceptions=True)
        self._metrics_events.close()


class SessionManager:
    """Creates sessions up to the configured cap; every model is loaded once and shared by all of them."""

    def __init__(self, cfg: Config, metrics: Metrics | None = None) -> None:
        self.cfg = cfg
        self.metrics = metrics or Metrics(cfg.server.log_transcripts)
        self.sessions: dict[str, RemoteSession] = {}
        self._lock = asyncio.Lock()

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.cfg.server.max_sessions

    async def open(self, output_rate: int) -> RemoteSession:
        async with self._lock:
            if self.full:
                self.metrics.refused.inc()
                raise ServerFull(
                    f"the server is full ({self.cfg.server.max_sessions} conversations at once); "
                    "try again when one ends"
                )
            cfg = self.cfg.model_copy(deep=True)
            cfg.audio.output_sample_rate = output_rate
            cfg.echo.cancel = self.cfg.server.echo_cancel
            conv = await asyncio.to_thread(Conversation, cfg)
            await conv.start()
            session = RemoteSession(uuid.uuid4().hex[:12], conv, output_rate, self.metrics)
            self.sessions[session.id] = session
            self.metrics.sessions.inc()
            self.metrics.active_sessions.set(len(self.sessions))
            log.info("session %s opened (%d active)", session.id, len(self.sessions))
            return session

    async def close(self, session: RemoteSession) -> None:
        self.sessions.pop(session.id, None)
        self.metrics.active_sessions.set(len(self.sessions))
        await session.close()
        log.info("session %s closed (%d active)", session.id, len(self.sessions))

    async def close_all(self) -> None:
        for session in list(self.sessions.values()):
            await self.close(session)

    async def warm_up(self) -> None:
        """Load the models before the first client waits for them."""
        session = await self.open(self.cfg.audio.output_sample_rate)
        await self.close(session)
