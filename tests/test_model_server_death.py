"""The LLM server killed under two conversations and started again: both hear the apology, keep their
sessions, and are answered again once it is back. There is no worker process in `assistant serve`
(models run on threads in the server's own process; see docs/scaling.md, "When something dies"), so the
shared thing that can die under several sessions is the model server."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from contextlib import ExitStack
from urllib.parse import urlparse

from llm_server import llama_server
from test_faults import server_cfg

from assistant.engine import Conversation
from assistant.events import ErrorOccurred, TurnCompleted
from assistant.transports.simulate import SimulationOptions, simulate

APOLOGY = "Sorry, I lost my connection to the language model."


async def count(conv: Conversation, kind: type, until: int, found: list[int]) -> None:
    """Count `kind` events on the conversation's bus into `found[0]` until there are `until`."""
    events = conv.bus.subscribe(maxsize=10000)
    try:
        async for event in events:
            if isinstance(event, kind) and (kind is not ErrorOccurred or event.source.startswith("llm")):
                found[0] += 1
                if found[0] >= until:
                    return
    finally:
        events.close()


async def test_two_sessions_survive_the_llm_server_dying_and_coming_back(speech):
    with ExitStack() as stack:
        base, proc = stack.enter_context(llama_server(n_threads=1, interrupt_requests=False))
        port = urlparse(base).port
        cfg = server_cfg(base, "llm.request_timeout_s=30")
        convs = [Conversation(cfg), Conversation(cfg)]
        back = threading.Event()

        async def fault() -> None:
            """Kill the server once both first turns are answered; start it again on the same port once
            both second turns have failed."""
            done = [[0], [0]]
            await asyncio.gather(*(count(c, TurnCompleted, 1, n) for c, n in zip(convs, done, strict=True)))
            os.killpg(proc.pid, signal.SIGKILL)
            failed = [[0], [0]]
            await asyncio.gather(*(count(c, ErrorOccurred, 1, n) for c, n in zip(convs, failed, strict=True)))
            await asyncio.to_thread(
                stack.enter_context, llama_server(n_threads=1, port=port, interrupt_requests=False)
            )
            back.set()

        def before(i: int) -> None:
            if i == 2:  # the third turn starts with the server back (normally already, within the gap)
                assert back.wait(90), "the LLM server did not come back"

        inputs = [speech["goforward"], speech["cards-003"], speech["forever"]]
        options = SimulationOptions(gaps_s=[8.0, 12.0], before_input=before, reply_timeout_s=40)
        watcher = asyncio.create_task(fault())
        results = await asyncio.gather(*(simulate(cfg, inputs, options, c) for c in convs))
        await asyncio.wait_for(watcher, 5)
    for result in results:
        first, failed, recovered = result.report["turns"]
        assert "error" not in first and first["assistant_text"].strip(), first
        assert "unreachable" in failed["error"] and failed["assistant_text"].endswith(APOLOGY), failed
        assert "error" not in recovered and recovered["assistant_text"].strip(), recovered
        assert "forever" in recovered["user_text"].lower()
        v2v = [turn["timings_ms"]["voice_to_voice"] for turn in (first, failed, recovered)]
        print("\nvoice-to-voice before, apology, after: {:.0f} / {:.0f} / {:.0f} ms".format(*v2v))
