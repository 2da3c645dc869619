"""Admission of new sessions: why a start is refused, and the per-client start rate.

`SessionManager` (remote.py) does the accounting; this module holds its parts that know nothing of
conversations, so that a new rule (admission by load, say) is one more check in
`SessionManager.refusal()` raising one of these.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class Refused(RuntimeError):
    """A session start the server turns down, with the HTTP status and WebSocket close code to say it."""

    status = 503
    close_code = 1013


class ServerFull(Refused):
    """Every conversation slot (or every slot for peers being set up) is taken."""


class TooMany(Refused):
    """This client has too many sessions, too many being set up, or started too many lately."""

    status = 429
    close_code = 4429


@dataclass(eq=False)
class Pending:
    """A peer that asked for a session and has not proven itself yet; it holds no conversation slot."""

    client: str
    done: bool = False


class StartRate:
    """At most `limit` starts per client in any `window_s` seconds: a sliding log of start times.

    Written here rather than taken from `limits`: its in-memory storages start a timer thread on every hit
    (or hand each expiry to a worker thread and an unowned task), which the server's leak checks count.
    Memory is bounded by clients seen in the last window times `limit`.
    """

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._starts: dict[str, deque[float]] = {}
        self._next_sweep = 0.0

    def allow(self, client: str) -> bool:
        """Whether `client` may start now; an allowed start is counted."""
        now = self._clock()
        if now >= self._next_sweep:  # forget clients whose starts have all left the window
            for key in [k for k, log in self._starts.items() if log[-1] <= now - self.window_s]:
                del self._starts[key]
            self._next_sweep = now + self.window_s
        log = self._starts.setdefault(client, deque())
        while log and log[0] <= now - self.window_s:
            log.popleft()
        if len(log) >= self.limit:
            return False
        log.append(now)
        return True

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may start again (0: now)."""
        log = self._starts.get(client)
        if not log or len(log) < self.limit:
            return 0.0
        return max(0.0, log[0] + self.window_s - self._clock())

    def __len__(self) -> int:
        return len(self._starts)
