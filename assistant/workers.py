"""Each loaded model runs its blocking calls on one long-lived thread of its own, urgent calls first.

Native thread pools (OpenMP in llama.cpp and CTranslate2) keep a team of worker threads per calling
thread. Calling a model from asyncio's shared executor hands it a different caller each time, so teams
multiply and the idle ones spin on the two cores every model shares: measured here, llama.cpp's token
time went from 25 to 40 ms after a few turns. One thread per model also serialises calls into a model
that is not thread-safe. When several conversations share a model, an urgent call (a first clause that
someone is waiting to hear) goes before work whose result is not awaited yet (a later clause).

Calls submitted with a batch function are batched: when the thread takes one, every call with the same
batch function queued meanwhile (while the thread was busy) goes with it as one batch, so a batch adds no
waiting of its own. Each thread also records how long the calls someone waits for spent queued
(`recent_waits`): the server's admission by load reads it; and how long it has been busy running calls
(`occupancy`): a model thread is a single server, so its busy seconds per conversation-minute say how
many conversations it can carry (docs/scaling.md, "Capacity model").
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

URGENT, NORMAL, IDLE = 0, 1, 2
MAX_BATCH = 8
"""The most calls one batch takes; the rest wait for the next."""

Batch = Callable[[list[Any]], Sequence[Any]]
"""A batch function: the queued calls' items in, one result per item out, in order."""


@dataclass(order=True)
class _Call:
    priority: int
    seq: int
    submitted: float = field(compare=False)
    future: Future[Any] = field(compare=False)
    fn: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    batch: Batch | None = field(compare=False, default=None)
    waited: bool = field(compare=False, default=False)


class ModelThread:
    """A single worker thread that runs submitted calls by priority, FIFO within a priority."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: list[_Call] = []
        self.waits: deque[tuple[float, float]] = deque(maxlen=512)
        """(when it started, seconds it spent queued) of recent calls that someone waited for."""
        self.busy_s = 0.0
        """Wall seconds spent running calls since start (a batch counts once), less `paused`."""
        self.calls = 0
        self._seq = itertools.count()
        self._unfinished = 0
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def paused(self, seconds: float) -> None:
        """A running call spent `seconds` waiting for its reader rather than computing (llama.cpp waits
        for speech to catch up): not counted as busy. Called from this thread."""
        self.busy_s -= seconds

    @property
    def busy(self) -> bool:
        """A call is queued or running (perhaps for another conversation)."""
        return self._unfinished > 0

    @property
    def waiting(self) -> bool:
        """A call is queued behind the one running: someone (another conversation) waits for the model."""
        return bool(self._queue)

    def submit(
        self, priority: int, fn: Callable[..., T], *args: Any, waited: bool | None = None
    ) -> Future[T]:
        """Queue `fn(*args)`. `waited`: someone waits for the result, so its time in the queue counts as
        load (default: the urgent calls)."""
        return self._push(priority, fn, args, None, waited)

    def submit_batch(self, priority: int, batch: Batch, item: Any, waited: bool | None = None) -> Future[Any]:
        """Queue `item` for `batch([item, ...])` with the other items of `batch` queued when it runs."""
        return self._push(priority, batch, (item,), batch, waited)

    def _push(
        self,
        priority: int,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        batch: Batch | None,
        waited: bool | None,
    ) -> Future[Any]:
        if self._closed:
            raise RuntimeError(f"the {self.name} thread has ended: its model was freed")
        future: Future[Any] = Future()
        counted = priority == URGENT if waited is None else waited
        call = _Call(priority, next(self._seq), time.monotonic(), future, fn, args, batch, counted)
        with self._ready:
            heapq.heappush(self._queue, call)
            self._unfinished += 1
            self._ready.notify()
        return future

    def _take(self) -> list[_Call]:
        """The next call, and the calls of its batch function queued with it (by priority, then age)."""
        with self._ready:
            while not self._queue:
                self._ready.wait()
            calls = [heapq.heappop(self._queue)]
            if calls[0].batch is not None:
                same = sorted(c for c in self._queue if c.batch == calls[0].batch)[: MAX_BATCH - 1]
                if same:
                    taken = {id(c) for c in same}
                    self._queue = [c for c in self._queue if id(c) not in taken]
                    heapq.heapify(self._queue)
                    calls += same
            return calls

    def close(self) -> None:
        """End the thread once the calls queued so far have run; later calls are refused."""
        self._push(IDLE + 1, _stop, (), None, False)
        self._closed = True

    def _run(self) -> None:
        while self._serve(self._take()):
            pass

    def _serve(self, calls: list[_Call]) -> bool:
        """Run one call (or batch); False at the `close` marker. Nothing of the calls is kept once they
        have run: a loop variable holding the last call until the next one came kept its model alive."""
        if calls[0].fn is _stop:
            with self._ready:
                self._unfinished -= 1
            return False
        try:
            live = [c for c in calls if c.future.set_running_or_notify_cancel()]
            if not live:
                return True
            now = time.monotonic()  # a cancelled call (its conversation gone) waited for nobody
            self.waits.extend((now, now - c.submitted) for c in live if c.waited)
            self.calls += len(live)
            outcomes: list[tuple[Future[Any], Any, BaseException | None]]
            try:
                if live[0].batch is None:
                    outcomes = [(live[0].future, live[0].fn(*live[0].args), None)]
                else:
                    results = live[0].batch([c.args[0] for c in live])
                    outcomes = [(c.future, r, None) for c, r in zip(live, results, strict=True)]
            except BaseException as exc:  # handed to the awaiting coroutines
                outcomes = [(c.future, None, exc) for c in live]
            # The busy time is counted before anyone learns the result, so a caller who reads
            # `occupancy` right after its call finds that call in it.
            self.busy_s += time.monotonic() - now
            for future, result, exc in outcomes:
                if exc is not None:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            with self._ready:
                self._unfinished -= len(calls)
        return True


def _stop() -> None:
    """The marker call that ends a `ModelThread` (`close`)."""


_threads: dict[int, ModelThread] = {}
_kept: dict[int, object] = {}
"""Models that take no weak reference, kept alive while their thread is registered."""
_retired: dict[str, tuple[float, int]] = {}
"""(busy seconds, calls) of the threads whose models were freed, by name."""
_lock = threading.RLock()  # re-entrant: a model's finalizer can run in a thread that holds it


def thread_for(model: object, name: str) -> ModelThread:
    """The one thread that runs `model`'s blocking calls (created on first use, kept while the model lives).

    Threads are found by `id(model)`, which Python reuses once an object is freed, so a model that is
    freed takes its thread with it (ended after its queued calls); one that takes no weak reference is
    kept alive instead. Either way a new model never inherits another's thread, name or counts."""
    with _lock:
        key = id(model)
        worker = _threads.get(key)
        if worker is None:
            worker = _threads[key] = ModelThread(name)
            try:
                weakref.finalize(model, _forget, key).atexit = False
            except TypeError:
                _kept[key] = model
        return worker


def _forget(key: int) -> None:
    """A model was freed (or a test is done with it): end its thread, keeping its counts for `occupancy`."""
    with _lock:
        _kept.pop(key, None)
        worker = _threads.pop(key, None)
        if worker is not None:
            busy, calls = _retired.get(worker.name, (0.0, 0))
            _retired[worker.name] = (busy + worker.busy_s, calls + worker.calls)
            worker.close()


def occupancy() -> dict[str, tuple[float, int]]:
    """(busy seconds, calls) so far of each model thread, by its name ("whisper", "llama", "piper", ...;
    threads of one name summed, those of freed models included)."""
    with _lock:
        out = dict(_retired)
        workers = list(_threads.values())
    for worker in workers:
        busy, calls = out.get(worker.name, (0.0, 0))
        out[worker.name] = (busy + worker.busy_s, calls + worker.calls)
    return out


async def run_on(model: object, name: str, fn: Callable[..., T], *args: object, priority: int = NORMAL) -> T:
    """Run `fn(*args)` on `model`'s own thread without blocking the event loop."""
    return await asyncio.wrap_future(thread_for(model, name).submit(priority, fn, *args))


async def run_batched(model: object, name: str, batch: Batch, item: Any, priority: int = NORMAL) -> Any:
    """`batch([item, ...])[i]` on `model`'s thread, batched with the items queued there meanwhile."""
    return await asyncio.wrap_future(thread_for(model, name).submit_batch(priority, batch, item))


def recent_waits(window_s: float) -> list[float]:
    """Seconds that the waited-for calls which started in the last `window_s` s spent queued, on every
    model thread of the process (a wait is recorded when the call starts, so a call still queued does not
    count yet: see `queued_for`)."""
    since = time.monotonic() - window_s
    with _lock:
        workers = list(_threads.values())
    return [wait for w in workers for t, wait in list(w.waits) if t >= since]


def queued_for() -> float:
    """Seconds the oldest waited-for call still in any model thread's queue has waited (0: none; a call
    cancelled meanwhile, its conversation gone, is skipped when its turn comes and does not count)."""
    now = time.monotonic()
    with _lock:
        workers = list(_threads.values())
    oldest = [c.submitted for w in workers for c in list(w._queue) if c.waited and not c.future.cancelled()]
    return now - min(oldest) if oldest else 0.0


def wait_idle(timeout: float) -> bool:
    """Wait until no model thread runs or has queued a call (at most `timeout` s); True if they are idle.

    The threads are daemons: a process that exits while one is inside llama.cpp or CTranslate2 can crash
    in the libraries' teardown (seen as SIGSEGV at exit after Ctrl+C mid-reply), so a command waits here
    after closing its conversations (a cancelled generation stops at its next token)."""
    import time

    deadline = time.monotonic() + timeout
    with _lock:
        workers = list(_threads.values())
    while any(w.busy for w in workers):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
