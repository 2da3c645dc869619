"""Each conversation's KV cache kept aside while another uses the shared model, and put back for its turn.

One in-process Llama object serves every conversation of a worker, and its KV cache holds one token
sequence. llama-cpp-python keeps the longest common token prefix between what the cache holds and the next
prompt, so when conversations take turns, each finds only the shared system prompt and tools cached and
evaluates its whole history again: about 6.5 ms a prompt token for the default Qwen on two AMD EPYC cores,
so a second each time for a history of ~150 tokens. A sequence's KV state is small for such a model
(Qwen2.5 0.5B: 24 layers x 2 KV heads x 64 dims x K and V in f16 = 12 KiB a token, ~20 MiB for a
1,600-token prompt), and llama.cpp copies it out and back in a few milliseconds
(`llama_state_seq_get_data` / `llama_state_seq_set_data`). So when the model changes hands, the leaving
conversation's sequence is copied out (a `Stash`), and the arriving one's is put back when it covers more
of its prompt than what the cache holds. One conversation alone never pays for it. Its llama-cpp-python
counterpart (`Llama.set_cache(LlamaRAMCache())`) also copies the score matrix (n_batch x vocabulary
floats: 155 MB for Qwen's 151,936 tokens) on every completion.

Called only on the model's own thread (`assistant.workers`).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.llm.context_shift import common_prefix

if TYPE_CHECKING:  # imported where used, as the backend does: only a model in process needs it
    import llama_cpp

SEQUENCE = 0
"""The sequence id llama-cpp-python's high-level `Llama` evaluates into."""


@dataclass(frozen=True)
class Stash:
    """A conversation's KV cache copied out of the model: its tokens, and llama.cpp's sequence state."""

    tokens: np.ndarray
    state: Any  # a ctypes uint8 array of `size` bytes
    size: int


def stash(llama: llama_cpp.Llama) -> Stash | None:
    """Copy out what the model's KV cache holds now (None: it holds nothing)."""
    import llama_cpp

    n = llama.n_tokens
    if n == 0:
        return None
    size = llama_cpp.llama_state_seq_get_size(llama.ctx, SEQUENCE)
    state = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(llama.ctx, state, size, SEQUENCE)
    if written == 0:
        return None
    return Stash(llama.input_ids[:n].copy(), state, int(written))


def restore(llama: llama_cpp.Llama, saved: Stash, prompt: np.ndarray) -> bool:
    """Put `saved` back into the model's KV cache when it covers more of `prompt` (token ids) than the
    cache holds now; True when it did. The next completion then evaluates only what follows the common
    prefix (and the last token again, for fresh logits: llama-cpp-python's `_requires_eval`)."""
    import llama_cpp

    held = common_prefix(llama.input_ids[: llama.n_tokens], prompt)
    if common_prefix(saved.tokens, prompt) <= held:
        return False
    if llama_cpp.llama_state_seq_set_data(llama.ctx, saved.state, saved.size, SEQUENCE) == 0:
        return False
    n = len(saved.tokens)
    llama.input_ids[:n] = saved.tokens
    llama.n_tokens = n
    llama._requires_eval = True  # the logits in hand are not this sequence's
    return True
