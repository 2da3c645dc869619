"""Each loaded model runs its blocking calls on one long-lived thread of its own.

Native thread pools (OpenMP in llama.cpp and CTranslate2) keep a team of worker threads per calling
thread. Calling a model from asyncio's shared executor hands it a different caller each time, so teams
multiply and the idle ones spin on the two cores every model shares: measured here, llama.cpp's token
time went from 25 to 40 ms after a few turns. One thread per model also serialises calls into a model
that is not thread-safe.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_executors: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def executor_for(model: object, name: str) -> ThreadPoolExecutor:
    """The one thread that runs `model`'s blocking calls (created on first use, kept for the process)."""
    with _lock:
        executor = _executors.get(id(model))
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
            _executors[id(model)] = executor
        return executor


async def run_on(model: object, name: str, fn: Callable[..., T], *args: object) -> T:
    """Run `fn(*args)` on `model`'s own thread without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor_for(model, name), fn, *args)
