"""A model's own thread runs urgent calls first, and reports failures to the awaiting coroutine."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from assistant import workers
from assistant.workers import NORMAL, URGENT, ModelThread, queued_for, run_on


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


def occupy(worker: ModelThread) -> threading.Event:
    """Make `worker` run a call that lasts until the returned event is set (returns once it runs)."""
    running, gate = threading.Event(), threading.Event()
    worker.submit(NORMAL, lambda: running.set() or gate.wait())
    assert running.wait(5)
    return gate


async def test_calls_queued_while_the_thread_is_busy_go_as_one_batch():
    worker = ModelThread("test-batch")
    batches: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        batches.append(items)
        return [2 * i for i in items]

    gate = occupy(worker)
    futures = [asyncio.wrap_future(worker.submit_batch(URGENT, double, i)) for i in range(3)]
    other = asyncio.wrap_future(worker.submit(URGENT, lambda: "alone"))
    gate.set()
    assert await asyncio.gather(*futures, other) == [0, 2, 4, "alone"]
    assert batches == [[0, 1, 2]]
    assert await asyncio.wrap_future(worker.submit_batch(URGENT, double, 5)) == 10  # nothing queued: alone
    assert batches[-1] == [5]


async def test_a_failing_batch_fails_each_of_its_callers():
    worker = ModelThread("test-batch-fail")

    def broken(items: list[int]) -> list[int]:
        raise RuntimeError("batch crashed")

    gate = occupy(worker)
    futures = [asyncio.wrap_future(worker.submit_batch(URGENT, broken, i)) for i in range(2)]
    gate.set()
    for outcome in await asyncio.gather(*futures, return_exceptions=True):
        assert isinstance(outcome, RuntimeError)
    assert await asyncio.wrap_future(worker.submit(NORMAL, lambda: 1)) == 1


async def test_the_time_waited_for_calls_spend_queued_is_recorded():
    worker = ModelThread("test-waits")
    gate = occupy(worker)
    waited = asyncio.wrap_future(worker.submit(URGENT, lambda: None))
    background = asyncio.wrap_future(worker.submit(NORMAL, lambda: None))
    await asyncio.sleep(0.2)
    gate.set()
    await asyncio.gather(waited, background)
    assert len(worker.waits) == 1  # the urgent call only; the gate's own call was not waited for
    assert worker.waits[0][1] >= 0.2


async def test_a_call_queued_now_counts_until_it_starts_or_is_cancelled():
    worker = ModelThread("test-queued")
    model = object()
    workers._threads[id(model)] = worker  # as `thread_for` registers it
    try:
        gate = occupy(worker)
        waiting = worker.submit(URGENT, lambda: None)
        await asyncio.sleep(0.2)
        assert queued_for() >= 0.2
        waiting.cancel()  # its conversation closed: nobody waits for it any more
        assert queued_for() < 0.2
        gate.set()
    finally:
        del workers._threads[id(model)]


async def test_busy_time_counts_computing_not_waiting_for_a_reader():
    """`occupancy`: a model thread's busy seconds are the time its calls ran, less what a call spent
    paused for its reader (llama.cpp waiting for speech to catch up)."""
    model = object()
    worker = workers.thread_for(model, "test-occupancy")
    try:

        def compute_then_wait() -> None:
            time.sleep(0.2)
            time.sleep(0.3)
            worker.paused(0.3)

        await run_on(model, "test-occupancy", compute_then_wait)
        await run_on(model, "test-occupancy", time.sleep, 0.1)
        busy, calls = workers.occupancy()["test-occupancy"]
        assert calls == 2 and 0.3 <= busy < 0.45
    finally:
        workers._forget(id(model))


class _Model:
    """A stand-in model object that, like llama_cpp.Llama or WhisperModel, takes weak references."""


async def test_a_freed_models_thread_ends_and_a_new_model_never_inherits_it():
    """Threads are found by `id(model)`, and Python gives a freed object's id to the next one: a model
    loaded after another was freed once found the old model's thread, name and busy seconds (CI: a
    test's model read no occupancy under its own name)."""
    model = _Model()
    worker = workers.thread_for(model, "test-freed")
    await run_on(model, "test-freed", time.sleep, 0.05)
    freed = id(model)
    del model
    gc.collect()
    worker._thread.join(timeout=2)
    assert not worker._thread.is_alive()
    busy, calls = workers.occupancy()["test-freed"]
    assert calls == 1 and busy >= 0.05  # a freed model's work still counts
    for fresh in [_Model() for _ in range(200)]:
        if id(fresh) == freed:
            assert workers.thread_for(fresh, "test-fresh").name == "test-fresh"
            workers._forget(freed)


async def test_a_model_that_takes_no_weak_reference_keeps_its_id_while_it_has_a_thread():
    model = object()
    worker = workers.thread_for(model, "test-kept")
    key = id(model)
    del model
    gc.collect()
    assert workers._threads[key] is worker  # kept alive, so no new object can take its id
    workers._forget(key)
    worker._thread.join(timeout=2)
    assert not worker._thread.is_alive() and key not in workers._kept
    with pytest.raises(RuntimeError, match="has ended"):
        worker.submit(URGENT, lambda: None)  # refused, not queued for a thread that will never run it
