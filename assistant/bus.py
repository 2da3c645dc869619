"""A per-session publish/subscribe bus whose queues let control events overtake the rest."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from assistant.events import Event


class Subscription:
    """One listener's queue: (priority, sequence) ordering puts control events first, FIFO within."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: asyncio.PriorityQueue[tuple[int, int, Event]] = asyncio.PriorityQueue(maxsize)
        self.dropped = 0

    def put(self, event: Event, seq: int) -> None:
        try:
            self._queue.put_nowait((0 if event.control else 1, seq, event))
        except asyncio.QueueFull:
            self.dropped += 1  # a stalled listener loses events; it never stalls the conversation

    async def get(self) -> Event:
        return (await self._queue.get())[2]

    def get_nowait(self) -> Event:
        return self._queue.get_nowait()[2]

    def empty(self) -> bool:
        return self._queue.empty()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


class EventBus:
    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._seq = itertools.count()

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, maxsize)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        """Non-blocking by design: callable from the audio path without awaiting listeners."""
        seq = next(self._seq)
        for sub in list(self._subs):
            sub.put(event, seq)
