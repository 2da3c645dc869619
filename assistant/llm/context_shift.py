"""Context shift: when the window cut the oldest exchanges out of a conversation, move llama.cpp's KV cache
over the cut instead of evaluating everything after it again.

llama-cpp-python reuses only the longest common token prefix of the cache and the new prompt. After a
cut the cache holds `A + D + B` (system prompt, the dropped exchanges, the rest of the last prompt) and the
new prompt is `A + B + C`: only `A` is a prefix, and `B` — most of the conversation — would be evaluated
again (9–12 s on two cores for 1,000–1,800 tokens). Here `D` is removed from the cache and `B`'s entries are
moved back by its length (`llama_memory_seq_rm`, `llama_memory_seq_add`: RoPE positions are re-rotated by
llama.cpp), and llama-cpp-python's own record of the cached tokens is made to match; the following
`create_completion` then finds `A + B` cached and evaluates `C` only. Like llama.cpp's server context shift,
this is an approximation: `B`'s cached keys and values were computed while `D` was still in view.
Source of the technique: llama.cpp `examples/main` and `tools/server` (`n_keep`/`n_discard` context shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MIN_KEPT = 32
"""Shift only when at least this many tokens after the cut can be kept (a stray match of a few chat-markup
tokens is not the rest of the conversation)."""


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """The number of leading elements two 1-D arrays share."""
    n = min(a.size, b.size)
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def shift_cache(llama: Any, tokens: Sequence[int]) -> int:
    """Cut out of `llama`'s KV cache the tokens that `tokens` (the next prompt) no longer has after their
    common prefix, when what follows them is the start of the rest of `tokens`. Returns the number of
    tokens dropped from the cache and shifted over (0: nothing to do, or this model's memory cannot
    shift, e.g. a recurrent one). Call it on the model's own thread, just before generating."""
    import llama_cpp

    cached = int(llama.n_tokens)
    old = np.asarray(llama.input_ids[:cached])
    new = np.asarray(tokens, dtype=old.dtype)
    p0 = common_prefix(old, new)
    if p0 >= cached or p0 >= new.size:
        return 0
    memory = llama._ctx.memory
    if memory is None or not llama_cpp.llama_memory_can_shift(memory):
        return 0
    best, kept = 0, 0
    for cut in np.flatnonzero(old[p0 + 1 :] == new[p0]) + 1:
        run = common_prefix(old[p0 + cut :], new[p0:])
        if run > kept:
            best, kept = int(cut), run
    if kept < MIN_KEPT:
        return 0
    end = p0 + best + kept
    llama_cpp.llama_memory_seq_rm(memory, 0, end, -1)
    llama_cpp.llama_memory_seq_rm(memory, 0, p0, p0 + best)
    llama_cpp.llama_memory_seq_add(memory, 0, p0 + best, end, -best)
    llama.input_ids[p0 : p0 + kept] = old[p0 + best : end].copy()
    llama.n_tokens = p0 + kept
    return best
