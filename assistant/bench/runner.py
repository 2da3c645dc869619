"""Runs the passes through the real engine, in real time, and keeps every raw figure.

Models are shared process-wide (assistant.models.HUB), so the first conversation loads them and every
later one, including concurrent sessions, uses the same ones, as `assistant serve` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.audio import read_audio
from assistant.bench import dialogues, usecases
from assistant.bench.dialogue_set import DEFAULT_SET, load_dialogues
from assistant.bench.dialogues import Scenario
from assistant.bench.machine import describe_config, describe_machine
from assistant.bench.passes import PASSES, QUALITY_PASSES, USE_PASSES
from assistant.bench.stats import summarise
from assistant.bench.suite import Suite
from assistant.bench.usestats import cases
from assistant.config import Config
from assistant.transports.admission import LoadGate, load_gate
from assistant.transports.simulate import simulate

TTS_TEXTS = 50
"""The TTS real-time factor is timed on at most this many reply texts."""
RETRY_AFTER_S = 5.0
"""A person refused at the door (sessions pass, admission by load) waits this long, then says the next
file in a new conversation: the refused file is not said again."""


def _occupancy() -> dict[str, float]:
    """Busy seconds of each model thread so far; {} from an engine without the figure (an older one under
    scripts/bench_turns.py)."""
    from assistant import workers

    read = getattr(workers, "occupancy", None)
    return {name: busy for name, (busy, _) in read().items()} if read else {}


@contextlib.contextmanager
def _usage(into: dict[str, dict[str, Any]], name: str) -> Iterator[None]:
    """CPU time (user + system, every thread of the process), wall time and each model thread's busy time
    (`model_busy_s`) spent in a pass."""
    start, t0, busy0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter(), _occupancy()
    try:
        yield
    finally:
        end = resource.getrusage(resource.RUSAGE_SELF)
        cpu = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
        entry = into.setdefault(name, {"cpu_s": 0.0, "wall_s": 0.0})
        entry["cpu_s"] = round(entry["cpu_s"] + cpu, 2)
        entry["wall_s"] = round(entry["wall_s"] + time.perf_counter() - t0, 2)
        busy = entry.setdefault("model_busy_s", {})
        for model, seconds in _occupancy().items():
            busy[model] = round(busy.get(model, 0.0) + seconds - busy0.get(model, 0.0), 2)


class _Run:
    """One benchmark run: the suite, the config, the progress bar and the raw results as they come."""

    def __init__(self, cfg: Config, suite: Suite, bar: tqdm) -> None:
        self.cfg, self.suite, self.bar = cfg, suite, bar
        self.rows: list[dict[str, Any]] = []
        self.scenarios: list[dict[str, Any]] = []
        self.offline_asr: list[dict[str, Any]] = []
        self.tts: list[dict[str, Any]] = []
        self.cases: list[dict[str, Any]] = []

    async def scenario(self, sc: Scenario, sessions: int = 1, session: int = 0) -> None:
        """One conversation; its turns become rows, named after the input they answer."""
        result = await simulate(self.cfg, sc.inputs, sc.options)
        report, names = result.report, [p.name for p in sc.inputs]
        turns = report["turns"]
        if sc.labels:
            names = [label["name"] for label in sc.labels]
        turn_inputs = report.get("turn_inputs", [])
        for i, turn in enumerate(turns):
            if sc.labels and i < len(turn_inputs) and turn_inputs[i] is not None:
                name = names[turn_inputs[i]]
            elif len(turns) == len(names):
                name = names[i]
            elif len(names) == 1 or sc.distraction:
                name = names[0]
            else:  # a recording gave no turn, or two: which turn answers which is unknown
                name = "+".join(names)
            row = {
                "file": name,
                "pass": sc.pass_name,
                "sessions": sessions,
                "session": session,
                "timings_ms": turn["timings_ms"],
                "user_text": turn["user_text"],
                "reference": self.suite.reference(name) if not sc.labels else None,
                "interrupted": turn["interrupted"],
                "assistant_text": turn["assistant_text"],
            }
            if turn.get("continued"):  # taken back: the next turn, which carries it on, has its words
                row["continued"] = True
            if "end_of_turn" in turn:  # which rule ended the turn, and the models' probabilities
                row["end_of_turn"] = turn["end_of_turn"]
            if "error" in turn:
                row["error"] = turn["error"]
            self.rows.append(row)
        if sc.labels:
            speculate = getattr(getattr(self.cfg, "turn", None), "speculate_after_ms", 120)
            self.cases += cases(sc.pass_name, sc.labels, report, speculate, len(self.scenarios))
        self.scenarios.append(
            {
                "pass": sc.pass_name,
                "inputs": names,
                "distraction": sc.distraction,
                "sessions": sessions,
                "session": session,
                "turns": len(turns),
                "interrupted": sum(bool(t["interrupted"]) for t in turns),
                "barge_ins": report["barge_ins"],
                "resumed": report["false_interruptions_resumed"],
                "self_interruptions": report["self_interruptions"],
                "own_echoes_resumed": report.get("own_echoes_resumed", 0),
                "warnings": report["warnings"],
                "errors": report["errors"],
                **({"timeline": report["timeline"]} if sc.labels and "timeline" in report else {}),
            }
        )
        for message in report["warnings"] + report["errors"]:
            self.bar.write(f"warning: {sc.pass_name} pass, {'+'.join(names)}: {message}", file=sys.stderr)
        self.bar.update(len(names))

    async def scenarios_in_turn(
        self, scenarios: list[Scenario], sessions: int = 1, session: int = 0, gate: LoadGate | None = None
    ) -> None:
        """Each scenario in a new conversation, one after the other. `gate`: admission by load, as
        `assistant serve` applies it at a session's start: a conversation it refuses is counted and
        skipped (`refused` in its scenario entry), and the person tries again `RETRY_AFTER_S` later."""
        for sc in scenarios:
            load = gate.measure() if gate is not None else None
            if load is None or load.open:
                if gate is not None:
                    gate.admitted()
                await self.scenario(sc, sessions, session)
                continue
            names = [p.name for p in sc.inputs]
            self.scenarios.append(
                {
                    "pass": sc.pass_name,
                    "inputs": names,
                    "sessions": sessions,
                    "session": session,
                    "distraction": sc.distraction,
                    "turns": 0,
                    "warnings": [],
                    "errors": [],
                    "refused": True,
                    "queue_wait_p90_ms": round(load.wait_ms, 1),
                }
            )
            self.bar.update(len(names))
            await asyncio.sleep(RETRY_AFTER_S)

    async def asr_offline(self) -> None:
        """Whisper on each whole file, outside the engine: its real-time factor and its own WER."""
        from assistant.asr import Transcriber

        transcriber = Transcriber(self.cfg.asr)
        for i, item in enumerate(self.suite.files):
            audio = await asyncio.to_thread(read_audio, item.path)
            if i == 0:  # the first call pays one-off costs (allocations, caches) that no turn pays
                await transcriber.transcribe(audio)
            result = await transcriber.transcribe(audio, final=True)
            self.offline_asr.append(
                {
                    "file": item.path.name,
                    "text": result.text,
                    "audio_s": result.audio_ms / 1000,
                    "compute_s": result.compute_ms / 1000,
                }
            )
            self.bar.update(1)

    async def tts_offline(self) -> None:
        """Piper on the replies the engine gave (the references if no pass gave any)."""
        from assistant.tts import Synthesizer

        texts = list(dict.fromkeys(r["assistant_text"] for r in self.rows if r["assistant_text"]))
        texts = texts or [f.reference for f in self.suite.files if f.reference]
        tts = Synthesizer(self.cfg.tts, self.cfg.audio.output_sample_rate)
        await tts.synthesize("Warming up.")
        for text in texts[:TTS_TEXTS]:
            t0 = time.perf_counter()
            audio = await tts.synthesize(text)
            compute = time.perf_counter() - t0
            self.tts.append({"text": text, "audio_s": audio.size / tts.output_rate, "compute_s": compute})


async def _load_models(cfg: Config) -> None:
    """Load every model before the first pass, so that no pass's CPU time carries the loading."""
    from assistant.engine import Conversation

    conversation = Conversation(cfg)
    await conversation.start()
    await conversation.close()


async def _plan(
    cfg: Config, suite: Suite, passes: list[str], scratch: Path, session_turns: int = 1
) -> dict[str, list[Scenario]]:
    """The conversations of each pass; the noise pass's distractions are generated into `scratch`."""
    plan = {
        "plain": dialogues.plain(suite),
        "barge_in": dialogues.barge_in(suite),
        "echo": dialogues.echo(suite),
        "sessions": dialogues.sessions(suite, session_turns),
    }
    if "noise" in passes:
        noise = dialogues.noise_burst(scratch / "noise-burst-300ms.wav")
        spoken = await asyncio.to_thread(dialogues.backchannels, cfg, scratch)
        plan["noise"] = dialogues.false_interruptions(suite, noise, spoken)
    if any(p in USE_PASSES for p in passes):
        use = scratch / "use"
        use.mkdir()
        plan |= await asyncio.to_thread(usecases.plan, cfg, suite.use_pool, passes, use)
    return plan


def _gate(cfg: Config) -> LoadGate | None:
    """The serve's admission by load (`server.max_queue_wait_ms`), shared by the sessions pass's
    conversations as by a server's; None when that is off."""
    limits = cfg.server
    if limits.max_queue_wait_ms is None:
        return None
    return load_gate(limits)


def _session_counts(passes: list[str], sessions: list[int]) -> list[int]:
    if "sessions" not in passes:
        return []
    return [n for n in sessions if n > 1 or "plain" not in passes]


async def run_bench(
    cfg: Config,
    suite: Suite,
    passes: list[str],
    sessions: list[int],
    *,
    command: str,
    config_path: str | None = None,
    overrides: list[str] | None = None,
    progress: bool = True,
    models: list[str] | None = None,
    dialogue_set: str | Path | None = None,
    session_turns: int = 1,
) -> dict[str, Any]:
    """Run `passes` (names from passes.py) on `suite`; the results.json document, summary included.

    `sessions`: conversation counts for the sessions pass; 1 is the plain pass itself. `session_turns`:
    files said in each of the sessions pass's conversations (1: each file in a new one). `models`: the
    LLMs the dialogue pass sets side by side (default: the configured one); `dialogue_set`: its YAML.
    """
    order = [p for p in (*PASSES, *USE_PASSES, *QUALITY_PASSES) if p in passes]
    counts = _session_counts(order, sessions)
    usage: dict[str, dict[str, Any]] = {}
    session_usage: dict[str, dict[str, Any]] = {}
    """Per conversation count of the sessions pass (the plain pass is the count of 1)."""
    started = datetime.datetime.now(datetime.UTC)
    dialogue_path = Path(dialogue_set or DEFAULT_SET)
    dialogue_list = load_dialogues(dialogue_path) if "dialogue" in order else []
    models = models or [cfg.llm.model.removeprefix("bundled:")]
    dialogue: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        if order != ["dialogue"]:  # the dialogue pass loads the models it compares itself
            await _load_models(cfg)
        plan = await _plan(cfg, suite, order, Path(scratch), session_turns)
        total = len(models) * sum(len(d.turns) for d in dialogue_list)
        total += len(suite.files) * ("rtf" in order) + sum(
            len(sc.inputs) * (sum(counts) if name == "sessions" else 1)
            for name in order
            for sc in plan.get(name, [])
        )
        with tqdm(total=total, unit="file", file=sys.stderr, disable=not progress) as bar:
            run = _Run(cfg, suite, bar)
            for name in order:
                bar.set_description(name)
                with _usage(usage, name):
                    if name == "rtf":
                        await run.asr_offline()
                    elif name == "dialogue":
                        # Imported here: the dialogue pass scores with the engine's own fallbacks, which an
                        # older engine under scripts/bench_turns.py may not have.
                        from assistant.bench.dialogue_pass import run_dialogue_pass

                        dialogue = await run_dialogue_pass(
                            cfg, models, dialogue_list, Path(scratch), bar, str(dialogue_path)
                        )
                    elif name == "sessions":
                        for n in counts:
                            bar.set_description(f"sessions={n}")
                            gate = _gate(cfg)
                            with _usage(session_usage, str(n)):
                                await asyncio.gather(
                                    *(run.scenarios_in_turn(plan[name], n, k, gate) for k in range(n))
                                )
                    else:
                        await run.scenarios_in_turn(plan[name])
            if "rtf" in order:
                bar.set_description("rtf")
                with _usage(usage, "rtf"):
                    await run.tts_offline()
    results: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "command": command,
        "machine": describe_machine(),
        "config": describe_config(cfg, config_path, overrides or []),
        "suite": {
            "name": suite.name,
            "files": [
                {"file": f.path.name, "reference": f.reference, "audio_s": round(f.audio_s, 3)}
                for f in suite.files
            ],
            "skipped": suite.skipped,
            "notes": suite.notes,
        },
        "passes": usage,
        "session_usage": session_usage,
        "sessions": [1, *counts] if "plain" in order else counts,
        "session_turns": session_turns,
        "rows": run.rows,
        "scenarios": run.scenarios,
        "offline_asr": run.offline_asr,
        "tts": run.tts,
        "cases": run.cases,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if dialogue is not None:
        results["dialogue"] = dialogue
    results["summary"] = summarise(results)
    return results
