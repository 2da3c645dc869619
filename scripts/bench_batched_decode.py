"""What batching the decode of several conversations would buy in process: llama.cpp's time per step when
1..N sequences each decode one token in one `llama_decode` call, on the configured model.

Issue 16 asks for LLM requests batched across conversations. In process, one reply is decoded at a
time; llama.cpp can decode several sequences in one batch (its server's `--parallel`, continuous
batching). Whether that is worth building here depends on what a step of N tokens costs against N
steps of one, on this CPU. Each sequence is the same prompt, evaluated into its own sequence id, then
greedy steps; the median of the steps after the first five is printed. Uses llama-cpp-python's
`_internals` (its `Llama` does not pass `n_seq_max` through).

    python scripts/bench_batched_decode.py --sequences 1,2,3,4 --steps 40
"""

from __future__ import annotations

import argparse
import time

import llama_cpp
import numpy as np
from llama_cpp._internals import LlamaBatch, LlamaContext

from assistant.config import load_config
from assistant.models import resolve_gguf

PROMPT = b"You are a helpful voice assistant. Tell me about the sea and the ships on it, at length, please."


def step_ms(llama: llama_cpp.Llama, ctx: LlamaContext, sequences: int, steps: int) -> float:
    """Median ms of one `llama_decode` of `sequences` tokens, one per sequence, after a shared prompt."""
    prompt = llama.tokenize(PROMPT, special=True)
    ctx.kv_cache_clear()
    batch = LlamaBatch(n_tokens=512, embd=0, n_seq_max=sequences)
    for seq in range(sequences):
        batch.reset()
        batch.add_sequence(prompt, seq, False)
        ctx.decode(batch)
    pos, last = [len(prompt)] * sequences, [prompt[-1]] * sequences
    times = []
    for _ in range(steps):
        batch.reset()
        b = batch.batch
        for seq in range(sequences):
            b.token[seq], b.pos[seq], b.seq_id[seq][0], b.n_seq_id[seq], b.logits[seq] = (
                last[seq],
                pos[seq],
                seq,
                1,
                True,
            )
        b.n_tokens = sequences
        t0 = time.perf_counter()
        ctx.decode(batch)
        times.append(time.perf_counter() - t0)
        for seq in range(sequences):
            logits = llama_cpp.llama_get_logits_ith(ctx.ctx, seq)
            last[seq] = int(np.ctypeslib.as_array(logits, shape=(llama.n_vocab(),)).argmax())
            pos[seq] += 1
    return 1000 * float(np.median(times[5:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", default="1,2,3,4", help="sequence counts to time, e.g. 1,2,4")
    parser.add_argument("--steps", type=int, default=40, help="decode steps per count (at least 10)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = parser.parse_args()
    try:
        counts = [int(n) for n in args.sequences.split(",")]
    except ValueError:
        parser.error(f"--sequences wants counts such as 1,2,4, not {args.sequences!r}")
    if args.steps < 10 or min(counts) < 1:
        parser.error("--steps must be at least 10 and --sequences positive counts")
    cfg = load_config(overrides=args.set)
    llama = llama_cpp.Llama(
        model_path=str(resolve_gguf(cfg.llm.model)), n_ctx=4096, n_threads=cfg.llm.n_threads, verbose=False
    )
    params = llama.context_params
    params.n_seq_max = max(counts)
    ctx = LlamaContext(model=llama._model, params=params, verbose=False)
    one = None
    for n in counts:
        ms = step_ms(llama, ctx, n, args.steps)
        one = ms if n == 1 else one
        gain = f", {one / (ms / n):.2f}x the tokens a second of one" if one else ""
        print(f"{n} sequences: {ms:.1f} ms a step, {ms / n:.1f} ms a token{gain}", flush=True)


if __name__ == "__main__":
    main()
