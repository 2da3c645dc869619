"""The dialogue set as text, through the engine's reply path, without audio: a quick loop for prompt work.

    python scripts/dialogue_text.py [--models qwen2.5-0.5b ...] [--rounds 1] [--skip-heldout]
                                    [--set KEY=VALUE ...] [--out out/dialogue-text.json]

Each turn's words go straight to a Reply (the tools' fast path, the LLM with the tools offered as in a
conversation, tool calls, the degenerate-output guard, the clause chunker and the written and spoken
forms), in one history per dialogue, and are scored like the spoken pass (assistant/bench/dialogue_score).
No Whisper, no Piper audio, no real time: a model's whole set takes a few minutes instead of a quarter of
an hour, which is what tuning a prompt needs. The figures to quote are the spoken pass's
(`assistant bench --passes dialogue`). `--skip-heldout` leaves out the held-out unsafe probes, so that
tuning never sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.dialogue_pass import model_config, model_ref
from assistant.bench.dialogue_score import Observed, score
from assistant.bench.dialogue_set import CATEGORIES, DEFAULT_SET, Dialogue, load_dialogues
from assistant.config import Config, load_config
from assistant.engine.output import OutputBuffer
from assistant.engine.replies import remembered
from assistant.engine.reply import Patience, Reply
from assistant.engine.tooling import ToolHost, offers_tools, tool_says_results, toolbox_for
from assistant.llm import Message, make_llm
from assistant.llm.prompt import system_prompt
from assistant.tts import Synthesizer
from assistant.tts.normalise import shared_grammars, spoken

ROOT = Path(__file__).resolve().parents[1]


class Clauses(OutputBuffer):
    """An output buffer that keeps each clause's text and drops its audio."""

    def __init__(self) -> None:
        super().__init__(16000)
        self.texts: list[str] = []

    def add(self, reply_id: int, text: str, audio: np.ndarray) -> None:
        self.texts.append(text)


class Silent(Synthesizer):
    """Piper is not needed to judge text: every clause is one silent sample."""

    async def synthesize(self, text: str, urgent: bool = False) -> np.ndarray:
        return np.zeros(1, np.int16)


async def run_dialogue(cfg: Config, llm: Any, dialogue: Dialogue, skip_heldout: bool) -> list[dict[str, Any]]:
    os.environ["HOME_TOOLS_STATE"] = str(Path(cfg.tools.data_dir) / "home_lights.json")
    tools = ToolHost(
        cfg.tools, toolbox_for(cfg.tools), dialogue.name, lambda text: None,
        lambda coro, name: asyncio.ensure_future(coro), offers_tools(cfg), tool_says_results(cfg),
    )  # fmt: skip
    by_name = {t.name: t for t in tools.registry}
    tts = Silent(cfg.tts, 16000)
    history = [Message("system", system_prompt(cfg.llm))]
    await llm.warm_up(history, tools.llm_tools())
    rows = []
    for i, exchange in enumerate(dialogue.turns):
        if skip_heldout and exchange.set == "heldout":
            continue
        out = Clauses()
        errors: list[str] = []
        reply = Reply(
            i + 1, [*history, Message("user", exchange.say)], llm, tts, out,
            lambda source, message, errors=errors: errors.append(f"{source}: {message}"), tools=tools,
            patience=Patience(cfg.llm.notice_after_s, cfg.llm.request_timeout_s),
        )  # fmt: skip
        reply.release()
        await asyncio.gather(*reply._tasks)
        text = " ".join(out.texts)
        said = remembered(reply, text, interrupted=False)
        history += [Message("user", exchange.say), said] if said is not None else []
        seen = Observed(
            exchange.say, text, out.texts, [spoken(c, shared_grammars()) for c in out.texts],
            [c.as_dict() for c in reply.tool_calls], reply.error,
        )  # fmt: skip
        verdict = score(exchange, seen, by_name)
        rows.append(
            {"dialogue": dialogue.name, "turn": i + 1, "category": exchange.category, "set": exchange.set,
             "say": exchange.say, "reply": text, "calls": [(c.name, c.arguments) for c in reply.tool_calls],
             "ok": verdict.ok, "reasons": verdict.reasons, "speech": verdict.speech,
             "unsafe_advice": verdict.unsafe_advice, "tool_ok": verdict.tool_ok}
        )  # fmt: skip
    tools.close()
    return rows


async def main(args: argparse.Namespace) -> dict[str, Any]:
    dialogues = load_dialogues(args.dialogues)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        base = load_config(overrides=["tools.entry_points=false", *args.set])
        for name in args.models:
            rows: list[dict[str, Any]] = []
            for round_ in range(args.rounds):
                cfg = model_config(base, model_ref(name), Path(scratch) / f"r{round_}")
                llm = make_llm(cfg.llm)
                for dialogue in dialogues:
                    rows += await run_dialogue(cfg, llm, dialogue, args.skip_heldout)
            scored = [r for r in rows if r["category"]]
            per = {c: f"{sum(r['ok'] for r in scored if r['category'] == c)}/"
                      f"{sum(r['category'] == c for r in scored)}" for c in CATEGORIES}  # fmt: skip
            tools = [r for r in scored if r["tool_ok"] is not None]
            summary = {
                "overall": f"{sum(r['ok'] for r in scored)}/{len(scored)}",
                **per,
                "tools": f"{sum(bool(r['tool_ok']) for r in tools)}/{len(tools)}",
                "speech_unfit": sum(bool(r["speech"]) for r in rows),
                "unsafe_advice": dict(Counter(r["set"] for r in rows if r["unsafe_advice"])),
            }
            for r in rows:
                if r["reasons"] or r["speech"]:
                    why = "; ".join(r["reasons"] or r["speech"])
                    print(f"  {name} {r['dialogue']} {r['turn']} [{r['category']}] {r['say']!r} -> "
                          f"{r['reply']!r} {r['calls'] or ''}: {why}")  # fmt: skip
            print(name, summary, flush=True)
            results[name] = {"summary": summary, "rows": rows}
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=["qwen2.5-0.5b"])
    parser.add_argument("--rounds", type=int, default=1, help="the whole set this many times per model")
    parser.add_argument("--dialogues", default=str(DEFAULT_SET))
    parser.add_argument("--skip-heldout", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "dialogue-text.json")
    args = parser.parse_args()
    results = asyncio.run(main(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {args.out}")
