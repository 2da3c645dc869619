"""Native memory given back: the real Piper voice synthesising clauses of every length does not keep what
the longest needed (its ONNX session has no arena, the C heap is trimmed after a reply)."""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import time

import psutil

from assistant.config import load_config
from assistant.heap import TRIMMER, HeapTrimmer, heap_bytes
from assistant.models import HUB
from assistant.tts import Synthesizer

WORDS = "the quick brown fox jumps over a lazy dog while seven tired sailors sing about the shore".split()


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_long_clauses_leave_no_memory_behind() -> None:
    cfg = load_config()
    tts = Synthesizer(cfg.tts, 16000)
    assert HUB.piper(cfg.tts).session.get_session_options().enable_cpu_mem_arena is False
    assert HUB.silero().get_session_options().enable_cpu_mem_arena is False
    rng = random.Random(1)
    trimmer = HeapTrimmer(every_s=0)

    def reply(words: int) -> None:
        for _ in range(3):
            tts.synthesize_sync(" ".join(rng.choice(WORDS) for _ in range(words)) + ".")
        trimmer.trim()  # what Synthesizer.release_memory does on Piper's thread after each reply

    for _ in range(3):
        reply(60)  # the longest clauses first: whatever a warm session keeps, it keeps now
    before = rss_mib()
    for _ in range(20):
        reply(rng.choice([2, 5, 10, 20, 40, 60]))
    after = rss_mib()
    print(f"\nresident memory after 3 long replies {before:.0f} MiB, after 20 more {after:.0f} MiB")
    # Without the trim (or with onnxruntime's arena) this grew by 300-600 MiB.
    assert after - before < 48


def test_trims_are_spaced() -> None:
    trimmer = HeapTrimmer(every_s=0.2)
    assert trimmer.trim() and not trimmer.trim()
    time.sleep(0.25)
    assert trimmer.trim() and trimmer.trims == 2
    assert trimmer.trim(force=True) and trimmer.trims == 3  # a session's end: not spaced
    assert TRIMMER.every_s >= 1  # the process's own: a few ms at most every few seconds


def test_heap_figures_follow_a_native_allocation() -> None:
    """/metrics tells a native leak (the heap in use grows) from fragmentation (held free grows): 64 MiB
    taken with the C library's own malloc shows in use, and leaves it when freed."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    before = heap_bytes()
    assert before is not None  # glibc 2.36 on every machine we run (Debian bookworm)
    block = libc.malloc(64 << 20)
    ctypes.memset(block, 1, 64 << 20)
    held = heap_bytes()
    libc.free(block)
    after = heap_bytes()
    assert held is not None and after is not None
    assert held[0] - before[0] >= 64 << 20
    assert held[0] - after[0] >= 64 << 20


ARENAS_SEEN = """
import ctypes, ctypes.util, sys, threading
if sys.argv[1] == "assistant":
    import assistant  # noqa: F401  (caps the arenas on import)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = libc.fopen.restype = ctypes.c_void_p
start = threading.Barrier(8)
def work():
    start.wait()
    libc.malloc(1000)  # each new thread's first malloc takes an arena of its own while the cap allows
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
out = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fclose(ctypes.c_void_p(out))
"""


def test_importing_the_package_caps_the_malloc_arenas(tmp_path) -> None:
    """Eight threads allocating at once: 2 arenas with the package imported (assistant.heap.ARENAS),
    more without; a MALLOC_ARENA_MAX the user exported wins."""
    import os
    import re
    import subprocess
    import sys

    from assistant.heap import ARENAS

    def arenas(mode: str, **env: str) -> int:
        report = tmp_path / f"{mode}-{len(env)}.xml"
        environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
        subprocess.run([sys.executable, "-c", ARENAS_SEEN, mode, str(report)], check=True, env=environ)
        return len(re.findall(r"<heap nr=", report.read_text()))

    assert arenas("assistant") == ARENAS
    assert arenas("plain") > ARENAS
    assert arenas("assistant", MALLOC_ARENA_MAX="4") > ARENAS


async def test_a_closed_session_is_freed_by_the_next_close() -> None:
    """A conversation is a graph of reference cycles (its tool host's callbacks, its event bus): only a
    full collection frees it, and with it the native memory it holds. The server collects whenever a
    session closes, cheaply because what it loaded at start is frozen out of collection (assistant.heap);
    the session being closed is still held by its transport then, so the next close frees it."""
    import gc
    import weakref

    from assistant.transports.remote import SessionManager

    manager = SessionManager(load_config(overrides=["llm.temperature=0"]))
    try:
        await manager.warm_up(freeze=True)  # loads, warms and freezes what start-up made (as `serve` does)
        assert gc.get_freeze_count() > 10_000
        gc.disable()  # no automatic collection in between: only the server's own
        session = await manager.open(16000, manager.admit("1.2.3.4"))
        first = weakref.ref(session.conv)
        await manager.close(session)
        del session
        assert first() is not None  # cyclic garbage: reference counting alone does not free it
        session = await manager.open(16000, manager.admit("1.2.3.4"))
        await manager.close(session)
        assert first() is None
        started = time.perf_counter()
        gc.collect()
        assert (time.perf_counter() - started) * 1000 < 40  # a few ms; 50 ms unfrozen in a loaded process
    finally:
        gc.enable()
        gc.unfreeze()  # the rest of the test run collects as usual
