"""Conversations taking turns on the one in-process model: each one's KV cache kept aside and put back
(`assistant.llm.kv_swap`) against the shared cache alone, side by side in one run.

    python scripts/bench_kv_swap.py [--conversations 2,4] [--turns 6] [--rounds 2]

N conversations on the default model with the engine's own system prompt and built-in tools, each saying
`--turns` short questions; they take turns round-robin (as people talking to one worker at once do, the
next one asking while the last reply is spoken), each turn streamed to its end. Per side (`swap`: this
code; `shared`: `llm.kv_swap` off, every turn evaluating its whole history again after another
conversation's turn), prints the time to the first piece of text and the tokens evaluated per turn
(prompt and reply; median and p95), by conversation count; the sides alternate by round. The figures
are the model's alone: no ASR or TTS runs beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from assistant.config import load_config
from assistant.engine.tooling import toolbox_for
from assistant.llm import Message
from assistant.llm.llamacpp import LlamaCppLLM
from assistant.llm.prompt import system_prompt

QUESTIONS = (
    ("My name is Ada and I work as a nurse.", "What's a good name for a dog?"),
    ("What is the tallest mountain in Europe?", "I'm planning a trip to Portugal."),
    ("How high is it?", "What should I see in Lisbon?"),
    ("Who first climbed it?", "Is it warm there in April?"),
    ("What did I tell you my job was?", "How long is the flight from London?"),
    ("Thanks, and what's my name?", "And what currency do they use?"),
)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def conversation_round(n: int, turns: int, swap: bool) -> list[dict[str, Any]]:
    cfg = load_config(overrides=["llm.temperature=0", "llm.max_tokens=40", f"llm.kv_swap={swap}"])
    tools = list(toolbox_for(cfg.tools).registry)
    llms = [LlamaCppLLM(cfg.llm) for _ in range(n)]
    llama = llms[0]._llama
    evaluated: list[int] = []
    real_eval = llama.eval

    def counting_eval(tokens):  # type: ignore[no-untyped-def]
        evaluated.append(len(tokens))
        return real_eval(tokens)

    histories = [[Message("system", system_prompt(cfg.llm))] for _ in range(n)]
    rows = []
    llama.eval = counting_eval
    try:
        for turn in range(turns):
            for k, llm in enumerate(llms):
                user = Message("user", QUESTIONS[turn % len(QUESTIONS)][k % 2])
                evaluated.clear()
                t0 = time.perf_counter()
                first = None
                reply = ""
                async for piece in llm.stream([*histories[k], user], tools):
                    if isinstance(piece, str):
                        first = first or time.perf_counter() - t0
                        reply += piece
                histories[k] += [user, Message("assistant", reply or "OK.")]
                if turn > 0:  # the first turn of each evaluates its first words whichever side
                    rows.append({"first_ms": 1000 * (first or 0.0), "evaluated": sum(evaluated)})
    finally:
        llama.eval = real_eval
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", default="2,4")
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[tuple[int, bool], list[dict[str, Any]]] = {}
    for n in (int(x) for x in args.conversations.split(",")):
        for r in range(args.rounds):
            for swap in (True, False) if r % 2 == 0 else (False, True):
                results.setdefault((n, swap), []).extend(await conversation_round(n, args.turns, swap))
    print(
        "conversations  side    turns  first text p50 / p95 (ms)  tokens evaluated p50 / p95 (prompt, reply)"
    )
    for (n, swap), rows in sorted(results.items()):
        first = [r["first_ms"] for r in rows]
        spent = [float(r["evaluated"]) for r in rows]
        print(
            f"{n:>13}  {'swap' if swap else 'shared':<6}  {len(rows):>5}  {statistics.median(first):>9.0f} / "
            f"{p95(first):<8.0f}        {statistics.median(spent):>7.0f} / {p95(spent):.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
