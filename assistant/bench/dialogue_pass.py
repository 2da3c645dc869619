"""The dialogue pass: the conversation-quality benchmark, run for one or more models side by side.

Every dialogue of the set (dialogue_set.yaml) is said into one conversation through the real engine in
real time (`simulate`: VAD, Whisper, the fast path, the LLM, the clause chunker, Piper), one turn after
another, with the example tools of examples/home_tools.py loaded beside the built-in ones. The turns are
synthesised once, so every model hears the same files; the models take turns dialogue by dialogue
(interleaved), so that the load of a shared machine falls on all of them alike. Each model gets its own
empty tools data folder (notes) and lights/robot state. After the dialogues, each model's prompt
evaluation and generation speed (tokens/s) are measured in process, round by round.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python
from tqdm import tqdm

from assistant.bench.dialogue_score import Observed, score
from assistant.bench.dialogue_set import CATEGORIES, Dialogue, say_aloud
from assistant.bench.stats import STAGES, summary
from assistant.config import Config
from assistant.events import ReplyEnded, ReplySpoken, TurnCompleted
from assistant.llm.catalog import bundled

EXAMPLE_TOOLS = Path(__file__).resolve().parents[2] / "examples" / "home_tools.py"
SPEED_ROUNDS = 3
SPEED_QUESTION = "Could you tell me a little about the history of the bicycle?"
SPEED_TOKENS = 48


def model_ref(name: str) -> str:
    """`qwen2.5-0.5b` -> `bundled:qwen2.5-0.5b` for the bundled models; any other reference as it is."""
    return f"bundled:{name}" if bundled(f"bundled:{name}") else name


def model_config(cfg: Config, ref: str, scratch: Path) -> Config:
    """The run's config with `llm.model` set to `ref`, the example tools loaded and a data folder of its
    own (so that one model's notes are not another's)."""
    out = cfg.model_copy(deep=True)
    out.llm.model = ref
    folder = scratch / "tools" / ref.replace("/", "_").replace(":", "_")
    out.tools.data_dir = str(folder)
    if EXAMPLE_TOOLS.is_file() and not any(Path(s).name == EXAMPLE_TOOLS.name for s in out.tools.load):
        out.tools.load = [*out.tools.load, str(EXAMPLE_TOOLS)]
    return out


def _clauses_per_turn(events: list[Any]) -> list[list[str]]:
    """The displayed clauses of each completed turn's reply, in the order of the report's turns."""
    clauses: dict[int, list[str]] = {}
    ended: int | None = None
    out = []
    for event in events:
        if isinstance(event, ReplySpoken):
            clauses.setdefault(event.reply_id, []).append(event.text)
        elif isinstance(event, ReplyEnded):
            ended = event.reply_id
        elif isinstance(event, TurnCompleted):
            out.append(clauses.get(ended, []) if ended is not None else [])
    return out


async def run_dialogue(cfg: Config, model: str, dialogue: Dialogue, paths: dict[tuple[str, int], Path],
                       tools: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """One dialogue in one conversation; a row per turn said, scored."""
    from assistant.engine import Conversation
    from assistant.transports.simulate import SimulationOptions, simulate
    from assistant.tts.normalise import shared_grammars, spoken

    os.environ["HOME_TOOLS_STATE"] = str(Path(cfg.tools.data_dir) / "home_lights.json")
    conversation = Conversation(cfg)
    marks: list[int] = []
    options = SimulationOptions(before_input=lambda i: marks.append(len(conversation.records)))
    inputs = [paths[dialogue.name, i] for i in range(len(dialogue.turns))]
    result = await simulate(cfg, inputs, options, conversation=conversation)
    turns = result.report["turns"]
    clauses = _clauses_per_turn(result.events)
    marks.append(len(turns))
    grammars = shared_grammars()
    rows = []
    for i, exchange in enumerate(dialogue.turns):
        mine = range(marks[i], marks[i + 1]) if i + 1 < len(marks) else range(0)
        said = [c for k in mine for c in (clauses[k] if k < len(clauses) else [])]
        seen = Observed(
            heard=" ".join(turns[k]["user_text"] for k in mine),
            reply=" ".join(turns[k]["assistant_text"] for k in mine).strip(),
            clauses=said,
            spoken=[await asyncio.to_thread(spoken, c, grammars) for c in said],
            tool_calls=[c for k in mine for c in turns[k]["tool_calls"]],
            error=next((turns[k]["error"] for k in mine if "error" in turns[k]), None),
            turns=len(mine),
        )
        verdict = score(exchange, seen, tools)
        rows.append(
            {
                "model": model,
                "dialogue": dialogue.name,
                "voice": dialogue.voice,
                "turn": i + 1,
                "category": exchange.category,
                "set": exchange.set,
                "say": exchange.say,
                "heard": seen.heard,
                "reply": seen.reply,
                "clauses": seen.clauses,
                "spoken": seen.spoken,
                "tool_calls": to_jsonable_python(seen.tool_calls, fallback=str),
                "expects_tool": exchange.tool,
                "turns": seen.turns,
                "timings_ms": turns[mine[-1]]["timings_ms"] if mine else {},
                "ok": verdict.ok,
                "reasons": verdict.reasons,
                "speech": verdict.speech,
                "tool_ok": verdict.tool_ok,
                "unsafe_advice": verdict.unsafe_advice,
            }
        )
    return rows


def _speed_once(llama: Any, prompt: str) -> tuple[float | None, float | None]:
    """(prompt evaluation, generation) in tokens/s: the prompt from an empty cache, then up to
    SPEED_TOKENS tokens, greedy."""
    size = len(llama.tokenize(prompt.encode(), special=True))
    llama.reset()
    start = time.perf_counter()
    stamps = [time.perf_counter() for _ in llama.create_completion(
        prompt, max_tokens=SPEED_TOKENS, temperature=0, stream=True)]  # fmt: skip
    if not stamps:
        return None, None
    generation = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 else None
    return size / (stamps[0] - start), generation


async def measure_speed(configs: dict[str, Config]) -> dict[str, dict[str, float | None]]:
    """Each in-process model's speed, the median of SPEED_ROUNDS rounds taken model after model."""
    from assistant.llm import Message
    from assistant.llm.llamacpp import LlamaCppLLM
    from assistant.llm.prompt import system_prompt
    from assistant.workers import run_on

    runs: dict[str, list[tuple[float | None, float | None]]] = {}
    subjects = {}
    for name, cfg in configs.items():
        if cfg.llm.backend == "llamacpp":
            llm = LlamaCppLLM(cfg.llm)
            messages = [Message("system", system_prompt(cfg.llm)), Message("user", SPEED_QUESTION)]
            subjects[name] = (llm._llama, llm._prompt(messages, []))
    for _ in range(SPEED_ROUNDS):
        for name, (llama, prompt) in subjects.items():
            runs.setdefault(name, []).append(await run_on(llama, "llama", _speed_once, llama, prompt))

    def median(values: list[float | None]) -> float | None:
        return summary(values)["p50"]

    return {
        name: {
            "prompt_tokens_per_s": median([r[0] for r in runs.get(name, [])]),
            "tokens_per_s": median([r[1] for r in runs.get(name, [])]),
        }
        for name in configs
    }


async def run_dialogue_pass(
    cfg: Config,
    models: list[str],
    dialogues: list[Dialogue],
    scratch: Path,
    bar: tqdm,
    set_path: str,
) -> dict[str, Any]:
    """Every dialogue for every model, interleaved; the `dialogue` section of results.json."""
    from assistant.engine import Conversation
    from assistant.engine.tooling import toolbox_for
    from assistant.tts import Synthesizer

    configs = {model: model_config(cfg, model_ref(model), scratch) for model in models}
    for model_cfg in configs.values():  # load (and warm) every model before the first dialogue
        conversation = Conversation(model_cfg)
        await conversation.start()
        await conversation.close()
    piper = Synthesizer(cfg.tts, 16000)
    paths = await asyncio.to_thread(say_aloud, dialogues, piper, scratch / "dialogues")
    rows: list[dict[str, Any]] = []
    for dialogue in dialogues:
        for model, model_cfg in configs.items():
            bar.set_description(f"dialogue {model}")
            tools = {t.name: t for t in toolbox_for(model_cfg.tools).registry}
            rows += await run_dialogue(model_cfg, model, dialogue, paths, tools)
            bar.update(len(dialogue.turns))
    bar.set_description("dialogue speed")
    speed = await measure_speed(configs)
    return {
        "set": set_path,
        "models": {model: configs[model].llm.model for model in models},
        "speed": speed,
        "rows": rows,
    }


def _share(rows: list[dict[str, Any]], key: str = "ok") -> dict[str, Any]:
    right = sum(bool(r[key]) for r in rows)
    return {"n": len(rows), "right": right, "score": right / len(rows) if rows else None}


def summarise_dialogue(section: dict[str, Any]) -> dict[str, Any]:
    """Per model: the score overall and per category, tool requests, speech, safety (tuning and held-out
    probes apart), latency on the same files, and speed."""
    out = {}
    for model in section["models"]:
        rows = [r for r in section["rows"] if r["model"] == model]
        scored = [r for r in rows if r["category"] is not None]
        unsafe = [r for r in scored if r["category"] == "unsafe"]
        tools = [r for r in scored if r["expects_tool"]]
        out[model] = {
            "overall": _share(scored),
            "categories": {c: _share([r for r in scored if r["category"] == c]) for c in CATEGORIES},
            "tool_requests": {
                **_share(tools, "tool_ok"),
                "by_fast_path": sum(any(c.get("via") == "intent" for c in r["tool_calls"]) for r in tools),
                "by_model": sum(any(c.get("via") == "llm" for c in r["tool_calls"]) for r in tools),
            },
            "speech": {"replies": len(rows), "fit": sum(not r["speech"] for r in rows)},
            "safety": {
                name: {**_share(group), "unsafe_advice": sum(r["unsafe_advice"] for r in group)}
                for name in ("tune", "heldout")
                if (group := [r for r in unsafe if r["set"] == name])
            },
            "stages_ms": {stage: summary(r["timings_ms"].get(stage) for r in rows) for stage in STAGES},
            **section["speed"].get(model, {}),
        }
    return out
