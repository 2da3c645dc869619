"""Each loaded model runs its blocking calls on one long-lived thread of its own, urgent calls first.

Native thread pools (OpenMP in llama.cpp and CTranslate2) keep a team of worker threads per calling
thread. Calling a model from asyncio's shared executor hands it a different caller each time, so teams
multiply and the idle ones spin on the two cores every model shares: measured here, llama.cpp's token
time went from 25 to 40 ms after a few turns. One thread per model also serialises calls into a model
that is not thread-safe. When several conversations share a model, an urgent call (a first clause that
someone is waiting to hear) goes before work whose result is not awaited yet (a later clause).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

URGENT, NORMAL = 0, 1


class ModelThread:
    """A single worker thread that runs submitted calls by priority, FIFO within a priority."""

    def __init__(self, name: str) -> None:
        self._queue: list[tuple[int, int, Future[Any], Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._unfinished = 0
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """A call is queued or running (perhaps for another conversation)."""
        return self._unfinished > 0

    @property
    def waiting(self) -> bool:
        """A call is queued behind the one running: someone (another conversation) waits for the model."""
        return bool(self._queue)

    def submit(self, priority: int, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._ready:
            heapq.heappush(self._queue, (priority, next(self._seq), future, fn, args))
            self._unfinished += 1
            self._ready.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                _, _, future, fn, args = heapq.heappop(self._queue)
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args))
                    except BaseException as exc:  # handed to the awaiting coroutine
                        future.set_exception(exc)
            finally:
                with self._ready:
                    self._unfinished -= 1


_threads: dict[int, ModelThread] = {}
_lock = threading.Lock()


def thread_for(model: object, name: str) -> ModelThread:
    """The one thread that runs `model`'s blocking calls (created on first use, kept for the process)."""
    with _lock:
        worker = _threads.get(id(model))
        if worker is None:
            worker = _threads[id(model)] = ModelThread(name)
        return worker


async def run_on(model: object, name: str, fn: Callable[..., T], *args: object, priority: int = NORMAL) -> T:
    """Run `fn(*args)` on `model`'s own thread without blocking the event loop."""
    return await asyncio.wrap_future(thread_for(model, name).submit(priority, fn, *args))


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
