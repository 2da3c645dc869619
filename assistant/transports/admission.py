"""Admission of new sessions: why a start is refused, and the per-client start rate.

`SessionManager` (remote.py) does the accounting; this module holds its parts that know nothing of
conversations, so that a new rule (admission by load, say) is one more check in
`SessionManager.refusal()` raising one of these.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.workers import queued_for, recent_waits

if TYPE_CHECKING:
    from assistant.config import ServerConfig


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


class Overloaded(Refused):
    """The conversations already here are being served late: a new one would make it worse for all."""


@dataclass(frozen=True)
class Load:
    """What the load gate measured: the figure it judges, and whether it admits new sessions."""

    wait_ms: float
    """The 90th percentile of the recent waits, or the oldest call still queued if it waited longer."""
    samples: int
    """Waited-for calls that started within the window."""
    open: bool
    budget_ms: float | None
    """None: admission by load is off."""
    new_sessions: int = 0
    """Sessions admitted within the window: their load may not show yet."""
    ramp_full: bool = False
    """The window has admitted its `LoadGate.ramp` sessions: the next must wait for their load to show."""

    def as_dict(self) -> dict[str, object]:
        return {
            "open": self.open,
            "queue_wait_p90_ms": round(self.wait_ms, 1),
            "samples": self.samples,
            "budget_ms": self.budget_ms,
            "new_sessions": self.new_sessions,
            "ramp_full": self.ramp_full,
        }


class LoadGate:
    """Admission by measured load: how long the calls someone waits for queue for a model, with hysteresis.

    The figure is the time that the calls a person is waiting on (a final transcript, a reply's LLM
    stream, a reply's first clause, the end-of-turn model) spent queued on their model's thread behind
    other conversations' work (`assistant.workers.recent_waits`): its 90th percentile over the last
    `window_s`, or the age of the oldest such call still queued when that is larger. It is the delay that
    sharing adds, the one a new conversation's first turn will queue behind too; it is zero on an idle
    server however slow its models, so a budget in milliseconds means the same on any machine, unlike
    voice-to-voice (which also holds compute time, reply length and tool calls, and comes once a turn).
    The gate closes when the figure exceeds `budget_ms` and opens again once it falls below `resume_ms`
    (the waits age out of the window as the load drops). Not seen: a remote LLM server's own queue
    (vLLM's `vllm:num_requests_waiting`), and two model threads slowing each other on shared cores.

    The figure lags: a session adds load only once its person speaks, so a burst of starts on a quiet
    server all found the gate open (8 conversations starting together on 2 cores: all admitted, then
    served at 3.2 s voice-to-voice at the median). So, with the budget on, at most `ramp` sessions start
    within any `window_s` (a slow start, as TCP probes a path's capacity): the window's waits then hold
    their load before more are let in. `admitted()` counts a start.
    """

    def __init__(
        self,
        budget_ms: float | None,
        resume_ms: float,
        window_s: float,
        waits: Callable[[float], list[float]],
        queued: Callable[[], float],
        ramp: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`waits(window_s)`: seconds queued by the waited-for calls that started in the last `window_s`;
        `queued()`: seconds the oldest such call still queued has waited; `ramp`: sessions that may start
        within a window (None: any number)."""
        self.budget_ms = budget_ms
        self.resume_ms = min(resume_ms, budget_ms) if budget_ms is not None else resume_ms
        self.window_s = window_s
        self.ramp = ramp
        self._waits = waits
        self._queued = queued
        self._clock = clock
        self._open = True
        self._starts: deque[float] = deque()

    def measure(self, pending: int = 0) -> Load:
        """Measure now and move the gate (closed above the budget, open again below `resume_ms`).
        `pending`: sessions let in that have not started yet, counted against `ramp` too."""
        waits = sorted(self._waits(self.window_s))
        p90 = waits[math.ceil(0.9 * len(waits)) - 1] if waits else 0.0  # nearest rank
        wait_ms = 1000 * max(p90, self._queued())
        if self.budget_ms is None:
            self._open = True
        elif self._open and wait_ms > self.budget_ms:
            self._open = False
        elif not self._open and wait_ms < self.resume_ms:
            self._open = True
        now = self._clock()
        while self._starts and self._starts[0] <= now - self.window_s:
            self._starts.popleft()
        new = len(self._starts) + pending
        ramp_full = self.budget_ms is not None and self.ramp is not None and new >= self.ramp
        return Load(wait_ms, len(waits), self._open and not ramp_full, self.budget_ms, new, ramp_full)

    def admitted(self) -> None:
        """A session started now (it counts against `ramp` for `window_s`)."""
        self._starts.append(self._clock())

    def retry_after_s(self) -> float:
        """Seconds until the oldest start of the window leaves it (0: none is counted)."""
        return max(0.0, self._starts[0] + self.window_s - self._clock()) if self._starts else 0.0


def load_gate(limits: ServerConfig) -> LoadGate:
    """The gate `assistant serve` keeps by its `server.*` settings, judging the model threads' own queue
    waits (`assistant.workers`); the benchmark's sessions pass keeps the same, a new gate for each of its
    conversation counts.

    The model threads outlive a gate (they are process-wide), so a gate counts only the waits of calls
    that started after it was made: the load of an earlier pass, or of an earlier server in the same
    process, is not this one's (in the tests' process a bench run's first conversations were refused on
    the waits of the test before it)."""
    made = time.monotonic()

    def waits(window_s: float) -> list[float]:
        return recent_waits(min(window_s, time.monotonic() - made))

    return LoadGate(
        limits.max_queue_wait_ms,
        limits.resume_queue_wait_ms,
        limits.load_window_s,
        waits,
        queued_for,
        limits.admission_ramp,
    )
