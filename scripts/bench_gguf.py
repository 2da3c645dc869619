"""One model's GGUF files side by side: milliseconds a prompt token and a generated token, in process.

    python scripts/bench_gguf.py FILE_OR_BUNDLED [...] [--rounds 6] [--threads 2]

For a quantization choice (the bundled Qwen as shipped against its Q4_0 conversion: docs/benchmarks.md).
Each round evaluates a 200-token prompt (this repository's README) from a cold cache, then generates 32
greedy tokens, going round the files in turn so that a shared machine's load falls on all alike; the
medians over rounds are printed. `bundled:NAME` is what llama.cpp runs for it (after any conversion).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from llama_cpp import Llama

from assistant.models import resolve_gguf

ROOT = Path(__file__).resolve().parents[1]
PROMPT_TOKENS = 200
GENERATED = 32


def measure(llm: Llama, tokens: list[int]) -> tuple[float, float]:
    """(ms a prompt token, ms a generated token) for one cold evaluation of `tokens` and 32 tokens after."""
    llm.reset()
    start = time.perf_counter()
    llm.eval(tokens)
    prompt_ms = (time.perf_counter() - start) * 1000 / len(tokens)
    n = 0
    for n, _ in enumerate(llm.generate(tokens, temp=0, reset=False), start=1):
        if n == 1:
            start = time.perf_counter()  # the first token re-evaluates the prompt (reset=False)
        if n > GENERATED:
            break
    return prompt_ms, (time.perf_counter() - start) * 1000 / GENERATED


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", help="GGUF paths or bundled:NAME")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    paths = {ref: resolve_gguf(ref) for ref in args.models}
    models = {
        ref: Llama(model_path=str(path), n_ctx=2048, n_threads=args.threads, verbose=False)
        for ref, path in paths.items()
    }
    text = (ROOT / "README.md").read_text()[:4000].encode()
    results: dict[str, list[tuple[float, float]]] = {ref: [] for ref in models}
    for _ in range(args.rounds):
        for ref, llm in models.items():
            results[ref].append(measure(llm, llm.tokenize(text)[:PROMPT_TOKENS]))
    print(f"{'model':60} {'prompt ms/token':>16} {'generation ms/token':>20}")
    for ref, rows in results.items():
        prompt = statistics.median(r[0] for r in rows)
        generation = statistics.median(r[1] for r in rows)
        print(f"{paths[ref].name:60} {prompt:16.2f} {generation:20.2f}")


if __name__ == "__main__":
    main()
