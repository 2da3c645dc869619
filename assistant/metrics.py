"""Live figures for `assistant serve`: Prometheus metrics and one structured log line per turn.

Transcripts are personal data: the per-turn log line carries timings and lengths only, unless
`server.log_transcripts` is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from assistant.events import BargeIn, ErrorOccurred, Event, TurnCompleted
from assistant.heap import heap_bytes
from assistant.workers import occupancy

log = logging.getLogger("assistant.turns")

STAGES = ("endpoint", "asr_final", "llm_first_token", "tts_first_audio", "voice_to_voice")
_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)


def _tasks() -> float:
    """Tasks of the running loop (a scrape runs on it); 0 when read from elsewhere."""
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:
        return 0


class _ModelOccupancy(Collector):
    """assistant_model_busy_seconds_total{model}: how long each model's thread has computed (its rate is
    the model's utilisation, 1.0 = saturated) and assistant_model_calls_total{model}."""

    def collect(self):  # type: ignore[no-untyped-def]
        busy = CounterMetricFamily(
            "assistant_model_busy_seconds", "Seconds each model's thread spent computing", labels=["model"]
        )
        calls = CounterMetricFamily("assistant_model_calls", "Calls per model thread", labels=["model"])
        for name, (seconds, count) in sorted(occupancy().items()):
            busy.add_metric([name], seconds)
            calls.add_metric([name], count)
        yield busy
        yield calls


class Metrics:
    """One registry per server, so that several servers in one process (tests) never share counters."""

    def __init__(self, log_transcripts: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.log_transcripts = log_transcripts
        self.stage_seconds = Histogram(
            "assistant_stage_seconds",
            "Time from the user's last voiced frame to each stage of the reply",
            ["stage"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.barge_in_seconds = Histogram(
            "assistant_barge_in_seconds",
            "User speech onset to the reply's audio stopping",
            buckets=(0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0),
            registry=self.registry,
        )
        self.active_sessions = Gauge(
            "assistant_active_sessions", "Conversations open now", registry=self.registry
        )
        self.sessions = Counter("assistant_sessions", "Conversations opened", registry=self.registry)
        self.refused = Counter(
            "assistant_sessions_refused",
            "Session starts refused: ServerFull (no slot), TooMany (a client's limits), Overloaded (load)",
            ["reason"],
            registry=self.registry,
        )
        self.pending_sessions = Gauge(
            "assistant_pending_sessions",
            "Peers being set up: answered, not yet proven (no conversation slot held)",
            registry=self.registry,
        )
        self.queue_wait = Gauge(
            "assistant_queue_wait_seconds",
            "Admission's load figure: 90th percentile of the time calls people wait for spent queued for a "
            "model, over server.load_window_s (updated at each session start and /health)",
            registry=self.registry,
        )
        self.admitting = Gauge(
            "assistant_admitting",
            "1 while the load gate admits new sessions, 0 while it refuses them",
            registry=self.registry,
        )
        self.admitting.set(1.0)
        # What a leak would show first; the soak and churn checks read these.
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, process_open_fds, ...
        Gauge(
            "assistant_asyncio_tasks", "Tasks on the server's event loop", registry=self.registry
        ).set_function(_tasks)
        Gauge("assistant_threads", "Threads in the server process", registry=self.registry).set_function(
            threading.active_count
        )
        Gauge(
            "assistant_python_blocks", "Memory blocks the Python allocator holds", registry=self.registry
        ).set_function(sys.getallocatedblocks)
        if heap_bytes() is not None:  # glibc: tells a native leak (in use) from fragmentation (free, held)
            Gauge("assistant_heap_in_use_bytes", "C heap in use", registry=self.registry).set_function(
                lambda: heap_bytes()[0]  # type: ignore[index]
            )
            Gauge("assistant_heap_free_bytes", "C heap free but held", registry=self.registry).set_function(
                lambda: heap_bytes()[1]  # type: ignore[index]
            )
        self.registry.register(_ModelOccupancy())
        self.turns = Counter(
            "assistant_turns", "User turns answered", ["interrupted"], registry=self.registry
        )
        self.barge_ins = Counter(
            "assistant_barge_ins", "Times user speech paused a reply", registry=self.registry
        )
        self.errors = Counter("assistant_errors", "Errors by source", ["source"], registry=self.registry)

    def observe(self, event: Event, session_id: str) -> None:
        match event:
            case TurnCompleted(turn=turn):
                self._turn(turn, session_id)
            case BargeIn():
                self.barge_ins.inc()
            case ErrorOccurred(source=source):
                self.errors.labels(source=source).inc()

    def _turn(self, turn: dict[str, Any], session_id: str) -> None:
        timings = turn.get("timings_ms", {})
        for stage in STAGES:
            if timings.get(stage) is not None:
                self.stage_seconds.labels(stage=stage).observe(max(0.0, timings[stage]) / 1000)
        if timings.get("barge_in") is not None:
            self.barge_in_seconds.observe(timings["barge_in"] / 1000)
        self.turns.labels(interrupted=str(bool(turn.get("interrupted"))).lower()).inc()
        line: dict[str, Any] = {
            "event": "turn",
            "session": session_id,
            "interrupted": bool(turn.get("interrupted")),
            "timings_ms": timings,
            "user_chars": len(turn.get("user_text", "")),
            "assistant_chars": len(turn.get("assistant_text", "")),
        }
        if "error" in turn:
            line["error"] = turn["error"]
        if self.log_transcripts:
            line["user_text"] = turn.get("user_text", "")
            line["assistant_text"] = turn.get("assistant_text", "")
        log.info(json.dumps(line))
