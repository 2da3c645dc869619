"""Admission by measured load: the gate's rule on measured figures, and a real server that refuses a new
session while its conversations queue for the models, then admits again when the load drops."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import numpy as np
import pytest
import websockets
from live_server import LiveServer
from peers import talk_over_websocket
from test_server import browser_like_offer

from assistant.audio import read_audio
from assistant.config import load_config
from assistant.transports.admission import LoadGate, Overloaded
from assistant.transports.remote import SessionManager


class Waits:
    """Queue waits as the model threads would report them (seconds), set by the test."""

    def __init__(self) -> None:
        self.recent: list[float] = []
        self.queued = 0.0

    def gate(
        self, budget_ms: float | None = 500, resume_ms: float = 250, ramp: int | None = None, clock=None
    ) -> LoadGate:
        return LoadGate(
            budget_ms,
            resume_ms,
            15.0,
            lambda _window: self.recent,
            lambda: self.queued,
            ramp,
            clock or time.monotonic,
        )


def test_the_gate_closes_over_budget_and_opens_only_below_the_resume_figure():
    waits = Waits()
    gate = waits.gate()
    assert gate.measure().open and gate.measure().wait_ms == 0  # idle: nothing queued
    waits.recent = [0.05] * 9 + [0.9]  # one slow call in ten: the 90th percentile is still 50 ms
    assert gate.measure().open
    waits.recent = [0.05] * 8 + [0.6, 0.9]
    load = gate.measure()
    assert not load.open and load.wait_ms == pytest.approx(600) and load.samples == 10
    waits.recent = [0.3] * 10  # under the budget, above the resume figure: still closed
    assert not gate.measure().open
    waits.recent = [0.2] * 10
    assert gate.measure().open
    waits.recent, waits.queued = [], 0.7  # a call queued for 700 ms that has not started yet
    assert not gate.measure().open
    waits.queued = 0.0
    assert gate.measure().open  # the window emptied: the load is gone


def test_a_new_gate_does_not_count_the_waits_of_calls_before_it():
    """The model threads are process-wide: a gate made after a busy spell (an earlier bench pass, an
    earlier server in the same process) starts open, and counts the waits of calls that come after it."""
    from assistant import workers
    from assistant.transports.admission import load_gate

    class Model:
        pass

    model = Model()  # held: a freed model's thread ends
    thread = workers.thread_for(model, "test-admission")

    def queue_behind(seconds: float) -> None:
        first = thread.submit(workers.URGENT, time.sleep, seconds)
        second = thread.submit(workers.URGENT, time.sleep, 0)
        first.result(5)
        second.result(5)

    limits = load_config(None, ["server.max_queue_wait_ms=20", "server.resume_queue_wait_ms=10"]).server
    queue_behind(0.1)  # the second call waited about 100 ms
    assert load_gate(limits).measure().open
    old = LoadGate(20, 10, limits.load_window_s, workers.recent_waits, workers.queued_for)
    assert not old.measure().open  # the same waits, had the gate counted them
    gate = load_gate(limits)
    queue_behind(0.1)
    load = gate.measure()
    assert not load.open and load.wait_ms > 50 and load.samples >= 1


def test_a_gate_without_budget_never_closes():
    waits = Waits()
    waits.recent, waits.queued = [5.0] * 10, 9.0
    assert waits.gate(budget_ms=None).measure().open


def test_a_burst_of_starts_is_let_in_a_few_a_window():
    """An idle server, so the waits say nothing yet: two sessions start, the third waits for the window
    to show their load; a budget off lets any number in."""
    waits, now = Waits(), [100.0]
    gate = waits.gate(ramp=2, clock=lambda: now[0])
    for _ in range(2):
        assert gate.measure().open
        gate.admitted()
    load = gate.measure()
    assert not load.open and load.ramp_full and load.new_sessions == 2 and load.wait_ms == 0
    assert gate.retry_after_s() == pytest.approx(15.0)
    now[0] += 10.0
    assert gate.measure(pending=0).ramp_full and gate.retry_after_s() == pytest.approx(5.0)
    now[0] += 5.0  # both starts have left the window
    assert gate.measure().open and gate.measure(pending=1).open and not gate.measure(pending=2).open
    waits.recent = [0.9] * 5  # the waits closed it: the ramp does not open it
    assert not gate.measure().open and not gate.measure().ramp_full
    off = waits.gate(budget_ms=None, ramp=2, clock=lambda: now[0])
    for _ in range(5):
        off.admitted()
    assert off.measure().open


async def test_the_manager_counts_peers_being_set_up_against_the_ramp():
    limits = ["max_queue_wait_ms=400", "admission_ramp=2", "max_pending_per_client=9"]
    cfg = load_config(overrides=[f"server.{limit}" for limit in limits])
    manager = SessionManager(cfg)
    waits = Waits()
    manager.gate = waits.gate(400, 100, ramp=2)
    first, second = manager.admit("1.2.3.4"), manager.admit("1.2.3.4")
    with pytest.raises(Overloaded, match="taking on 2 other new conversations") as refused:
        manager.admit("1.2.3.5")
    assert refused.value.close_code == 1013
    session = await manager.open(16000, first)
    manager.release(second)  # a peer that never proved itself frees its place in the ramp
    later = manager.admit("1.2.3.5")
    manager.release(later)
    await manager.close(session)


def test_the_manager_refuses_with_503_and_1013_while_overloaded():
    cfg = load_config(overrides=["server.max_queue_wait_ms=400", "server.resume_queue_wait_ms=100"])
    manager = SessionManager(cfg)
    waits = Waits()
    manager.gate = waits.gate(400, 100)
    ticket = manager.admit("1.2.3.4")
    manager.release(ticket)
    waits.recent = [0.8] * 5
    with pytest.raises(Overloaded, match="busy") as refused:
        manager.admit("1.2.3.5")
    assert refused.value.status == 503 and refused.value.close_code == 1013
    assert manager.metrics.admitting._value.get() == 0
    assert manager.metrics.refused.labels(reason="Overloaded")._value.get() == 1
    waits.recent = [0.05] * 5
    manager.release(manager.admit("1.2.3.5"))
    assert manager.metrics.admitting._value.get() == 1


@pytest.fixture(scope="module")
def server():
    cfg = load_config(
        overrides=[
            "llm.temperature=0",
            "server.max_sessions=8",
            "server.max_sessions_per_client=8",
            "server.max_pending_per_client=8",
            "server.session_starts_per_minute=1000",
            # Small enough that three people talking at once exceed it on any machine: their finals and
            # replies share one Whisper and one llama.cpp thread, so two of each queue behind the first.
            "server.max_queue_wait_ms=150",
            "server.resume_queue_wait_ms=50",
            "server.load_window_s=4",
            "server.admission_ramp=100",  # refused by the waits alone
        ]
    )
    with LiveServer(cfg) as live:
        yield live


async def health(server: LiveServer) -> dict:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{server.url}/health", timeout=5)).json()["admission"]


async def test_a_loaded_server_refuses_new_sessions_and_admits_again_when_the_load_drops(server, speech):
    audio = read_audio(speech["goforward"])
    assert (await health(server))["open"]
    talks = [
        asyncio.create_task(talk_over_websocket(server.ws_url, audio, tail_s=1, limit_s=120))
        for _ in range(3)
    ]
    deadline = time.monotonic() + 60
    while (load := await health(server))["open"]:
        assert time.monotonic() < deadline and not all(t.done() for t in talks), "the load never showed"
        await asyncio.sleep(0.05)
    assert load["queue_wait_p90_ms"] > 150
    async with websockets.connect(server.ws_url) as extra:  # a fourth person, while three are served late
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(extra.recv(), 5)
    assert closed.value.rcvd.code == 1013 and "queueing" in closed.value.rcvd.reason
    async with httpx.AsyncClient() as client:
        offer = {"sdp": await browser_like_offer(), "type": "offer"}
        answer = await client.post(f"{server.url}/offer", json=offer, headers=server.auth())
    assert answer.status_code == 503 and "busy" in answer.json()["detail"]
    # The three conversations already admitted are all answered.
    for events, _ in await asyncio.gather(*talks):
        final = next(e["text"] for e in events if e["type"] == "final")
        assert "forward" in final.lower()
        turns = [e["turn"] for e in events if e["type"] == "turn"]
        assert turns and turns[0]["assistant_text"], [e for e in events if e["type"] != "partial"]
    # The load drops (the waits age out of the window): the door opens again.
    deadline = time.monotonic() + 30
    while not (load := await health(server))["open"]:
        assert time.monotonic() < deadline, load
        await asyncio.sleep(0.2)
    async with websockets.connect(server.ws_url) as again:
        assert json.loads(await asyncio.wait_for(again.recv(), 5))["type"] == "session"
        await again.send(np.zeros(320, np.int16).tobytes())
        assert await asyncio.to_thread(server.wait_sessions, 1) == 1
    assert 'assistant_sessions_refused_total{reason="Overloaded"}' in server.metrics()
    assert await asyncio.to_thread(server.wait_sessions, 0) == 0


async def test_a_burst_of_starts_on_a_quiet_server_is_let_in_two_a_window():
    """Four people connect at once to a real server whose models are idle: the queue waits cannot show
    their load yet, so two are let in and two told to come back (1013, with when); once the window has
    passed, the next is let in."""
    cfg = load_config(
        overrides=[
            "server.max_sessions=8",
            "server.max_sessions_per_client=8",
            "server.max_pending_per_client=8",
            "server.session_starts_per_minute=1000",
            "server.max_queue_wait_ms=400",
            "server.admission_ramp=2",
            "server.load_window_s=3",
        ]
    )

    async def start() -> tuple[websockets.ClientConnection, str]:
        ws = await websockets.connect(live.ws_url)
        try:
            return ws, json.loads(await asyncio.wait_for(ws.recv(), 5))["type"]
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1013, closed
            return ws, closed.rcvd.reason

    with LiveServer(cfg) as live:
        started = await asyncio.gather(*(start() for _ in range(4)))
        said = [what for _, what in started]
        assert said.count("session") == 2, said
        told = [what for what in said if what != "session"]
        wait = re.compile(r"taking on 2 other new conversations; try again in [1-3] s")
        assert all(wait.search(what) for what in told), said
        assert (await health(live))["ramp_full"]
        for ws, _ in started:
            await ws.close()
        await asyncio.sleep(3.2)  # the two starts leave the window
        async with websockets.connect(live.ws_url) as later:
            assert json.loads(await asyncio.wait_for(later.recv(), 5))["type"] == "session"
        assert 'assistant_sessions_refused_total{reason="Overloaded"} 2.0' in live.metrics()
