"""A model's own thread runs urgent calls first, and reports failures to the awaiting coroutine."""

from __future__ import annotations

import asyncio
import threading

import pytest

from assistant.workers import NORMAL, URGENT, ModelThread, run_on


async def test_urgent_calls_overtake_queued_ones():
    worker = ModelThread("test-model")
    gate = threading.Event()
    order: list[str] = []
    worker.submit(NORMAL, gate.wait)  # occupies the thread while the others queue
    later = [asyncio.wrap_future(worker.submit(NORMAL, order.append, f"later{i}")) for i in range(3)]
    first = asyncio.wrap_future(worker.submit(URGENT, order.append, "first clause"))
    assert worker.busy
    gate.set()
    await asyncio.gather(first, *later)
    assert order == ["first clause", "later0", "later1", "later2"]


async def test_a_failing_call_raises_in_the_caller_and_the_thread_goes_on():
    model = object()

    def boom() -> None:
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        await run_on(model, "test-boom", boom)
    assert await run_on(model, "test-boom", lambda: 42) == 42
