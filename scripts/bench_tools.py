"""Tool requests by voice: the fast path against the LLM path, on this machine, with the default models.

    python scripts/bench_tools.py [--out out/bench-tools.json]

1. Turn latency: spoken requests (bundled Piper voice) through the real engine in real time, once with the
   speech-to-intent fast path, once with it off and the tools offered to the in-process LLM (grammar-
   constrained calls); voice-to-voice medians, and how many turns called the right tool.
2. The LLM alone on the text of every phrasing in tests/data/intents.yaml: right tool, and tools called
   for requests that need none (why `tools.llm_calls: auto` keeps them from the bundled 270M model).
3. The fast path's own cost: match time per transcript.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from assistant.audio import write_wav
from assistant.config import load_config
from assistant.engine.tooling import toolbox_for
from assistant.llm import Message, ToolRequest, make_llm
from assistant.llm.prompt import system_prompt
from assistant.transports.simulate import simulate
from assistant.tts import Synthesizer

ROOT = Path(__file__).resolve().parent.parent
SPOKEN = [
    "What time is it in Tokyo?",
    "What is twelve times seven?",
    "Convert ten miles to kilometers.",
    "Set a timer for five minutes.",
    "Remind me to call mom in ten minutes.",
    "Add a note to buy milk.",
    "Read my notes.",
    "How many pounds is five kilograms?",
]


def median(values: list[float]) -> float | None:
    return round(statistics.median(values)) if values else None


async def turn_latency(data_dir: Path, wavs: list[Path], fast_path: bool) -> dict:
    overrides = ["llm.temperature=0", f"tools.data_dir={data_dir}"]
    if not fast_path:
        overrides += ["tools.intent=false", "tools.llm_calls=true"]
    cfg = load_config(overrides=overrides)
    result = await simulate(cfg, wavs)
    turns = result.report["turns"]
    via = [c["via"] for t in turns for c in t["tool_calls"]]
    v2v = [t["timings_ms"]["voice_to_voice"] for t in turns if t["timings_ms"]["voice_to_voice"]]
    return {
        "turns": len(turns),
        "tool_calls": len(via),
        "voice_to_voice_ms": {"p50": median(v2v), "max": round(max(v2v)) if v2v else None},
        "called": [[c["name"] for c in t["tool_calls"]] for t in turns],
        "said": [t["assistant_text"] for t in turns],
    }


async def llm_alone(cases: dict) -> dict:
    cfg = load_config(overrides=["llm.temperature=0"])
    tools = list(toolbox_for(cfg.tools).registry)
    llm = make_llm(cfg.llm)
    system = Message("system", system_prompt(cfg.llm))
    await llm.warm_up([system], tools)

    async def first_call(text: str) -> str | None:
        async for piece in llm.stream([system, Message("user", text)], tools):
            if isinstance(piece, ToolRequest):
                return piece.name
        return None

    right = [await first_call(c["text"]) == c["tool"] for c in cases["intents"]]
    spurious = [await first_call(text) is not None for text in cases["none"]]
    return {
        "right_tool": f"{sum(right)}/{len(right)}",
        "tool_for_no_tool_requests": f"{sum(spurious)}/{len(spurious)}",
    }


def match_time(cases: dict) -> dict:
    cfg = load_config()
    matcher = toolbox_for(cfg.tools).matcher
    assert matcher is not None
    texts = [c["text"] for c in cases["intents"]] + list(cases["none"])
    times = []
    for text in texts * 5:
        t0 = time.perf_counter()
        matcher.match(text)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
    }


async def main() -> dict:
    raw = yaml.safe_load((ROOT / "tests" / "data" / "intents.yaml").read_text())
    cases = {"intents": raw["intents"], "none": [c if isinstance(c, str) else c["text"] for c in raw["none"]]}
    voice = Synthesizer(load_config().tts, 16000)
    with tempfile.TemporaryDirectory() as tmp:
        wavs = []
        for i, text in enumerate(SPOKEN):
            pad = np.zeros(4800, np.int16)
            path = Path(tmp) / f"request{i}.wav"
            write_wav(path, np.concatenate([pad, voice.synthesize_sync(text), pad]), 16000)
            wavs.append(path)
        results = {
            "fast_path": await turn_latency(Path(tmp) / "fast", wavs, fast_path=True),
            "llm_path": await turn_latency(Path(tmp) / "llm", wavs, fast_path=False),
        }
    results["llm_alone_on_text"] = await llm_alone(cases)
    results["match_time"] = match_time(cases)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "out" / "bench-tools.json"))
    out = Path(parser.parse_args().out)
    results = asyncio.run(main())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
