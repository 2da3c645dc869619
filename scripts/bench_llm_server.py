"""First token, tokens/s and prefix-cache reuse of an OpenAI-compatible server, through our own backend.

Multi-turn conversations (each turn's prompt extends the last, as in a voice session), one at a time:
first token and decode rate per turn, and, for vLLM, its own prefix-cache counters per turn (from
/metrics: `vllm:prefix_cache_queries_total`, `vllm:prefix_cache_hits_total`).

    python scripts/bench_llm_server.py --base-url http://127.0.0.1:8001/v1 --model NAME [--conversations 3]

Prints a table and medians; pieces/s counts streamed text pieces (one per token on vLLM).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
import urllib.request
import uuid

from assistant.config import load_config
from assistant.llm import Message, make_llm

QUESTIONS = (
    "What is the tallest mountain on Earth?",
    "How high is it?",
    "Which country is it in?",
    "Who first climbed it?",
    "When was that?",
)


def prefix_counters(base_url: str) -> tuple[float, float] | None:
    """(queried tokens, cached tokens) so far, or None when the server has no vLLM metrics."""
    try:
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    total = {"queries": 0.0, "hits": 0.0}
    pattern = r"^vllm:prefix_cache_(queries|hits)_total(?:\{[^}]*\})? (\S+)$"
    for kind, value in re.findall(pattern, text, re.M):
        total[kind] += float(value)
    return total["queries"], total["hits"]


async def run(base_url: str, model: str, conversations: int, max_tokens: int) -> list[dict]:
    cfg = load_config(
        overrides=[
            "llm.backend=openai",
            f"llm.base_url={base_url}",
            f"llm.model={model}",
            "llm.prompt=chat",
            "llm.temperature=0",
            f"llm.max_tokens={max_tokens}",
            "llm.request_timeout_s=300",
        ]
    )
    llm = make_llm(cfg.llm)
    rows = []
    for c in range(conversations):
        history = [Message("system", f"Session {uuid.uuid4()}. {cfg.llm.system_prompt}")]
        for turn, question in enumerate(QUESTIONS, 1):
            history.append(Message("user", question))
            before = prefix_counters(base_url)
            start = time.monotonic()
            stamps, reply = [], []
            async for piece in llm.stream(history):
                stamps.append(time.monotonic() - start)
                reply.append(str(piece))
            after = prefix_counters(base_url)
            history.append(Message("assistant", "".join(reply)))
            row = {"conversation": c + 1, "turn": turn, "first_s": stamps[0], "pieces": len(stamps)}
            row["rate"] = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
            if before and after:
                row["queried"], row["hits"] = after[0] - before[0], after[1] - before[1]
            rows.append(row)
            cached = f"{row['hits']:.0f}/{row['queried']:.0f}" if "hits" in row else "-"
            print(
                f"conv {row['conversation']} turn {turn}: first token {row['first_s'] * 1000:6.0f} ms, "
                f"{row['rate']:5.1f} pieces/s, cached prompt tokens {cached}",
                flush=True,
            )
    return rows


def summary(rows: list[dict]) -> str:
    def med(key: str, which: list[dict]) -> float:
        return statistics.median(r[key] for r in which)

    first, later = [r for r in rows if r["turn"] == 1], [r for r in rows if r["turn"] > 1]
    lines = [
        f"first token, turn 1: median {med('first_s', first) * 1000:.0f} ms; "
        f"later turns: median {med('first_s', later) * 1000:.0f} ms",
        f"decode: median {med('rate', rows):.1f} pieces/s",
    ]
    if later and "hits" in later[0]:
        share = sum(r["hits"] for r in later) / sum(r["queried"] for r in later)
        lines.append(f"prefix cache, turns 2+: {share:.0%} of prompt tokens cached")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--conversations", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    rows = asyncio.run(run(args.base_url, args.model, args.conversations, args.max_tokens))
    print(summary(rows))


if __name__ == "__main__":
    main()
