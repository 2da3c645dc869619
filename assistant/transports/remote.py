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
from assistant.heap import TRIMMER, collect_cycles, freeze_loaded
from assistant.metrics import Metrics
from assistant.transports.admission import (
    Load,
    Overloaded,
    Pending,
    Refused,
    ServerFull,
    StartRate,
    TooMany,
    load_gate,
)
from assistant.transports.framing import InputFramer

log = logging.getLogger(__name__)


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


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
        self, session_id: str, conversation: Conversation, output_rate: int, metrics: Metrics, client: str
    ) -> None:
        self.id = session_id
        self.client = client
        self.conv = conversation
        self.output_rate = output_rate
        self._framer = InputFramer(conversation, output_rate)
        self._events = conversation.bus.subscribe(maxsize=2000)
        self._metrics_events = conversation.bus.subscribe(maxsize=2000)
        self._observer = asyncio.create_task(self._observe(metrics), name=f"metrics-{session_id}")
        # The LLM's prompt cache is warmed meanwhile: the transport never waits for it (on a busy server
        # it queues behind the other conversations' replies), and the first reply queues behind it.
        self.warming = asyncio.create_task(self._warm_up(), name=f"warm-up-{session_id}")
        self.closed = asyncio.Event()

    async def _warm_up(self) -> None:
        try:
            await self.conv.start()
        except Exception as exc:  # the first turn will say what is wrong, if it still is
            log.warning("session %s: warming the LLM failed: %r", self.id, exc)

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
        """Every client-facing event of this conversation, as JSON-ready dicts, until the session closes
        (the transport sends its own first message, `{"type": "session", ...}`)."""
        while not self.closed.is_set():
            message = event_message(await self._events.get())
            if message is not None:
                yield message

    async def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self._events.close()
        self.warming.cancel()
        await asyncio.gather(self.warming, return_exceptions=True)
        await self.conv.close()
        await asyncio.sleep(0)  # let the observer see the events the close produced
        self._observer.cancel()
        await asyncio.gather(self._observer, return_exceptions=True)
        self._metrics_events.close()


class SessionManager:
    """Session accounting for every transport; the models are loaded once and shared by all sessions.

    A start goes: `admit(client)` returns a `Pending` ticket, or raises `Refused` (the server is full, the
    client has too many sessions or peers being set up, or started too many lately) → the transport waits
    for its peer to prove itself (`server.pending_timeout_s`) → `open(rate, ticket)` checks again, frees
    the pending slot and creates the conversation → `close(session)`. A peer that never proves itself is
    `release()`d. Pending peers never count against `max_sessions`, so peers that connect nothing cannot
    lock others out. The rules live in `refusal()`: the counts, then the measured load (`LoadGate`).
    """

    def __init__(self, cfg: Config, metrics: Metrics | None = None) -> None:
        self.cfg = cfg
        self.metrics = metrics or Metrics(cfg.server.log_transcripts)
        self.sessions: dict[str, RemoteSession] = {}
        self.pending: set[Pending] = set()
        self._starts = StartRate(cfg.server.session_starts_per_minute)
        self._lock = asyncio.Lock()
        self._collect_at_close = False
        """Whether a close runs a full collection: only once start-up is frozen (`warm_up(freeze=True)`),
        which makes it a few ms; unfrozen it costs tens of ms on the event loop."""
        limits = cfg.server
        self.gate = load_gate(limits)

    def load(self) -> Load:
        """Measure the load now (moving the gate), and show it in the metrics. Peers being set up count
        against the gate's ramp, as sessions that started."""
        load = self.gate.measure(len(self.pending))
        self.metrics.queue_wait.set(load.wait_ms / 1000)
        self.metrics.admitting.set(1.0 if load.open else 0.0)
        return load

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.cfg.server.max_sessions

    def refusal(self, client: str, starting: bool) -> Refused | None:
        """Why `client` may not have a session now (None: it may). `starting`: a new peer, not yet pending."""
        limits = self.cfg.server
        if self.full:
            return ServerFull(
                f"the server is full ({limits.max_sessions} conversations at once); try again when one ends"
            )
        if sum(s.client == client for s in self.sessions.values()) >= limits.max_sessions_per_client:
            return TooMany(f"your address already has {limits.max_sessions_per_client} conversations here")
        if starting:
            if sum(p.client == client for p in self.pending) >= limits.max_pending_per_client:
                return TooMany("your earlier sessions are still being set up; try again in a few seconds")
            if len(self.pending) >= limits.max_pending:
                return ServerFull("too many sessions are being set up right now; try again in a few seconds")
        load = self.load()
        if load.ramp_full:
            return Overloaded(
                f"the server is busy taking on {load.new_sessions} other new conversations; try again in "
                f"{max(1.0, self.gate.retry_after_s() or self.gate.window_s):.0f} s"
            )
        if not load.open:
            return Overloaded(
                f"the server is busy (replies are queueing {load.wait_ms:.0f} ms for the models, over its "
                f"{load.budget_ms:.0f} ms budget); try again in a minute"
            )
        return None

    def admit(self, client: str) -> Pending:
        """A new peer from `client` (see `client_key`): its pending ticket, or `Refused` saying why not."""
        refusal = self.refusal(client, starting=True)
        if refusal is None and not self._starts.allow(client):
            wait = self._starts.retry_after(client)
            refusal = TooMany(f"too many sessions started from your address; try again in {wait:.0f} s")
        if refusal is not None:
            self.metrics.refused.labels(reason=type(refusal).__name__).inc()
            raise refusal
        ticket = Pending(client)
        self.pending.add(ticket)
        self.metrics.pending_sessions.set(len(self.pending))
        return ticket

    def release(self, ticket: Pending) -> None:
        """The peer is gone or proven: its pending slot is free (safe to call more than once)."""
        if not ticket.done:
            ticket.done = True
            self.pending.discard(ticket)
            self.metrics.pending_sessions.set(len(self.pending))

    async def open(self, output_rate: int, ticket: Pending, session_id: str | None = None) -> RemoteSession:
        """The proven peer's conversation; raises `Refused` if the server filled up meanwhile."""
        async with self._lock:
            self.release(ticket)
            refusal = self.refusal(ticket.client, starting=False)
            if refusal is not None:
                self.metrics.refused.labels(reason=type(refusal).__name__).inc()
                raise refusal
            self.gate.admitted()  # not the warm-up's conversation: a person's
            return await self._create(output_rate, ticket.client, session_id)

    async def _create(self, output_rate: int, client: str, session_id: str | None) -> RemoteSession:
        cfg = self.cfg.model_copy(deep=True)
        cfg.audio.output_sample_rate = output_rate
        cfg.echo.cancel = self.cfg.server.echo_cancel
        conv = await asyncio.to_thread(Conversation, cfg)
        session = RemoteSession(session_id or new_session_id(), conv, output_rate, self.metrics, client)
        self.sessions[session.id] = session
        self.metrics.sessions.inc()
        self.metrics.active_sessions.set(len(self.sessions))
        log.info("session %s opened (%d active)", session.id, len(self.sessions))
        return session

    async def close(self, session: RemoteSession) -> None:
        self.sessions.pop(session.id, None)
        self.metrics.active_sessions.set(len(self.sessions))
        await session.close()
        # What the conversation held (its audio, its history, its replies' buffers) is freed now, also
        # what sits in reference cycles (once start-up is frozen); give the pages back, so that a
        # server's memory follows its sessions (assistant.heap).
        found, ms = collect_cycles() if self._collect_at_close else (0, 0.0)
        await asyncio.to_thread(TRIMMER.trim, True)
        log.info(
            "session %s closed (%d active; %d objects collected in %.1f ms)",
            session.id,
            len(self.sessions),
            found,
            ms,
        )

    async def close_all(self) -> None:
        for session in list(self.sessions.values()):
            await self.close(session)

    async def warm_up(self, freeze: bool = False) -> None:
        """Load the models before the first client waits for them; `freeze`: then move what start-up
        made out of garbage collection (assistant.heap.freeze_loaded), which makes each close's
        collection cheap."""
        async with self._lock:
            session = await self._create(self.cfg.audio.output_sample_rate, "warm-up", None)
        await session.warming
        await self.close(session)
        del session  # else the warm-up conversation, still named here, is frozen alive for good
        if freeze:
            log.info("%d objects loaded at start frozen out of garbage collection", freeze_loaded())
            self._collect_at_close = True
