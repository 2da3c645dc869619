"""Announcements due later (timers, reminders): asyncio timers owned by one conversation."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Scheduled:
    id: int
    label: str
    text: str
    due: float
    """Monotonic time at which `text` is announced."""
    handle: asyncio.TimerHandle | None = None

    def remaining_s(self) -> float:
        return max(0.0, self.due - time.monotonic())


class Scheduler:
    """Keeps the pending announcements of one conversation; `close()` drops them all."""

    def __init__(self, announce: Callable[[str], None]) -> None:
        self._announce = announce
        self._ids = itertools.count(1)
        self._pending: dict[int, Scheduled] = {}

    def add(self, delay_s: float, text: str, label: str) -> Scheduled:
        """Announce `text` in `delay_s` seconds; must be called on the event loop."""
        item = Scheduled(next(self._ids), label, text, time.monotonic() + delay_s)
        item.handle = asyncio.get_running_loop().call_later(max(0.0, delay_s), self._fire, item.id)
        self._pending[item.id] = item
        return item

    def _fire(self, item_id: int) -> None:
        item = self._pending.pop(item_id, None)
        if item is not None:
            self._announce(item.text)

    def cancel(self, item_id: int) -> Scheduled | None:
        item = self._pending.pop(item_id, None)
        if item is not None and item.handle is not None:
            item.handle.cancel()
        return item

    def reschedule(self, item_id: int, delay_s: float) -> Scheduled | None:
        """Announce a pending item `delay_s` seconds from now instead; None if it is no longer pending."""
        item = self._pending.get(item_id)
        if item is None:
            return None
        if item.handle is not None:
            item.handle.cancel()
        item.due = time.monotonic() + delay_s
        item.handle = asyncio.get_running_loop().call_later(max(0.0, delay_s), self._fire, item.id)
        return item

    def pending(self) -> list[Scheduled]:
        return sorted(self._pending.values(), key=lambda s: s.due)

    def close(self) -> None:
        for item_id in list(self._pending):
            self.cancel(item_id)
