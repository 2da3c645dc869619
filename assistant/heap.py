"""Native memory that a long-running process gets back: ONNX sessions without their own arena, and the C
heap's free pages returned to the system when the engine is idle.

A one-hour soak of `assistant serve` (one talker, 219 turns, 2026-11-30) grew from 1,228 to 1,447 MiB in
steps, ~90 MiB an hour, with no Python object, task, fd or thread left behind. Piper alone shows why:
120 clauses of 2-60 words took a process from 259 to 860 MiB and still growing. onnxruntime's CPU arena
keeps the largest tensors a session ever needed, and glibc keeps freed heap pages that sit below live
ones. Without the arena and with `malloc_trim(0)` after each synthesis the same loop stays at 179-183 MiB,
at the same speed (192 against 182 ms a clause on two cores; a fixed 1 MiB mmap threshold, the other
well-known cure, made every clause 1.6x slower). glibc's `malloc_trim(3)` is the documented call for it.

And garbage in reference cycles, which only Python's rare full collection frees. A closed conversation is
such a graph (the conversation and its tool host's callbacks, its event bus; llama-cpp-python leaves one
per reply in its sampler), holding native memory with it: an hour's soak with one talker (2026-11-30) saw
the heap in use climb 661 -> 748 MiB and Python's blocks 507k -> 554k in 58 minutes, and both fall back
to 671 MiB / 514k at once when a full collection finally ran. So a server collects when a session closes
(`collect_cycles`), and makes that cheap by freezing what it loaded at start (`freeze_loaded`): a full
collection took 50 ms with 89k objects tracked, 2.5 ms after `gc.freeze()` (Python's own advice for
long-lived start-up objects, gc module docs).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)

TRIM_EVERY_S = 10.0
"""At most one trim per this many seconds per process (each takes a few milliseconds)."""


def session_options(threads: int = 1) -> Any:
    """onnxruntime session options for a model run again and again on inputs of changing size: no CPU
    memory arena (what a large input needed is freed, not kept for the next), `threads` intra-op (0:
    onnxruntime's default, one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    options.log_severity_level = 4
    return options


@functools.cache
def _libc(function: str) -> Any:
    """The C library's `function`, or None where it has none (musl, macOS, an older glibc)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, function, None) if libc is not None else None


def _libc_trim() -> Any:
    return _libc("malloc_trim")


class HeapTrimmer:
    """`trim()` after work that allocated a lot (a reply's synthesis, a session's end): gives free heap
    pages back to the system, at most once every `every_s` seconds. A no-op where libc has no
    malloc_trim. Blocking for a few milliseconds: call it on a worker thread, not the event loop."""

    def __init__(self, every_s: float = TRIM_EVERY_S) -> None:
        self.every_s = every_s
        self._last = float("-inf")
        self.trims = 0

    def trim(self, force: bool = False) -> bool:
        """True when a trim ran now; `force`: even within `every_s` of the last one."""
        trim = _libc_trim()
        now = time.monotonic()
        if trim is None or (now - self._last < self.every_s and not force):
            return False
        self._last = now
        trim(0)
        self.trims += 1
        return True


TRIMMER = HeapTrimmer()
"""The process's one trimmer (the heap is per process)."""


def freeze_loaded() -> int:
    """Once the models are loaded and warm: collect what start-up left behind, then move every object
    alive to the permanent generation (`gc.freeze`), where no collection looks again. Returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def collect_cycles() -> tuple[int, float]:
    """A full collection now (after a session closed): what the session left in reference cycles is freed
    with the native memory it holds. Returns (objects collected, milliseconds); a few ms after
    `freeze_loaded`, tens of ms before. Holds the GIL throughout, so a worker thread would not help."""
    start = time.perf_counter()
    found = gc.collect()
    return found, (time.perf_counter() - start) * 1000


ARENAS = 2
"""Malloc arenas for the whole process (glibc's default: 8 per core). Each thread that allocates under
contention gets an arena of its own, and each arena keeps its own free pages: with the default, 20 minutes
of `scripts/soak.py` grew the heap's free-but-held bytes from 203 to 421 MiB (599 MiB an hour) and resident
memory ended 51 MiB above its start; with 2 arenas, 126-197 MiB held (185 MiB an hour), resident memory
50 MiB lower throughout and 29 MiB above its start (one 20-minute run each, 2026-11-30)."""
_M_ARENA_MAX = -8
"""mallopt(3)'s parameter number for M_ARENA_MAX (glibc malloc.h)."""


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process, unless the user exported MALLOC_ARENA_MAX (which glibc
    reads itself at start). Arenas already made stay; call it early, before the model threads start. True
    when the cap was set; False elsewhere (musl, macOS) or when the user's value stands."""
    mallopt = _libc("mallopt")
    if "MALLOC_ARENA_MAX" in os.environ or mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


class _MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2` (glibc >= 2.33; mallinfo(3)): every field in bytes except the counts."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
    ]


@functools.cache
def _libc_mallinfo2() -> Any:
    mallinfo2 = _libc("mallinfo2")
    if mallinfo2 is not None:
        mallinfo2.restype = _MallInfo2
    return mallinfo2


def heap_bytes() -> tuple[int, int] | None:
    """The C heap as glibc sees it, all arenas together: (bytes in use, bytes free but still held), mmapped
    blocks counted as in use. A leak grows the first; fragmentation, which `HeapTrimmer` fights, the second.
    None where libc has no mallinfo2 (musl, macOS, glibc < 2.33). Walks every arena under its lock: cheap
    (microseconds to a millisecond), fine for a scrape every few seconds."""
    mallinfo2 = _libc_mallinfo2()
    if mallinfo2 is None:
        return None
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd), int(info.fordblks)
