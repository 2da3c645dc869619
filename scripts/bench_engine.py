"""Measures the engine's figures on the real speech fixtures, in real time, with the given config.

    python scripts/bench_engine.py [--config configs/default.yaml] [--out out/bench.json]

Prints medians and p95s of each stage, barge-in reaction, self-interruptions under echo, false
interruptions resumed, WER against the references and against offline faster-whisper, and the resident
memory of `assistant mic` on virtual sound devices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import DATA, references  # noqa: E402

from assistant.asr import Transcriber  # noqa: E402
from assistant.asr.wer import word_error_rate  # noqa: E402
from assistant.audio import read_audio, write_wav  # noqa: E402
from assistant.config import load_config  # noqa: E402
from assistant.engine import Conversation  # noqa: E402
from assistant.transports.simulate import SimulationOptions, simulate  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 50)),
        "p95": round(pct(values, 95)),
        "max": round(max(values)),
    }


async def run(config: str | None) -> dict:
    cfg = load_config(config)
    refs = references()
    files = [DATA / name for name in refs]
    out: dict = {"config": config or "configs/default.yaml"}

    conv = Conversation(cfg)
    plain = await simulate(cfg, files, conversation=conv)
    turns = plain.report["turns"]
    stages = {
        k: [t["timings_ms"][k] for t in turns if t["timings_ms"].get(k) is not None]
        for k in ("endpoint", "asr_final", "llm_first_token", "tts_first_audio", "voice_to_voice")
    }
    out["turns"] = len(turns)
    out["stages_ms"] = {k: summary(v) for k, v in stages.items()}
    out["turn_texts"] = [t["user_text"] for t in turns]

    transcriber = Transcriber(cfg.asr)
    offline = [transcriber.transcribe_sync(read_audio(f)).text for f in files]
    ref_list = list(refs.values())
    if len(turns) == len(files):
        out["wer_engine"] = round(word_error_rate(ref_list, [t["user_text"] for t in turns]), 4)
    out["wer_offline"] = round(word_error_rate(ref_list, offline), 4)

    echo = await simulate(cfg, files, SimulationOptions(echo_db=-6))
    out["echo_-6dB"] = {
        "turns": len(echo.report["turns"]),
        "self_interruptions": echo.report["self_interruptions"],
        "interrupted_replies": sum(t["interrupted"] for t in echo.report["turns"]),
    }

    long_inputs = [f for f in files if "sense" in f.name] + [DATA / "goforward.wav", DATA / "forever.wav"]
    barge = await simulate(cfg, long_inputs, SimulationOptions(barge_in_after_s=0.5))
    reactions = [t["timings_ms"]["barge_in"] for t in barge.report["turns"] if "barge_in" in t["timings_ms"]]
    out["barge_in_ms"] = summary(reactions) if reactions else {}
    barge_echo = await simulate(cfg, long_inputs, SimulationOptions(barge_in_after_s=0.5, echo_db=-6))
    reactions = [
        t["timings_ms"]["barge_in"] for t in barge_echo.report["turns"] if "barge_in" in t["timings_ms"]
    ]
    out["barge_in_echo_-6dB_ms"] = summary(reactions) if reactions else {}

    rng = np.random.default_rng(3)
    burst = np.concatenate([np.zeros(1600), rng.standard_normal(4800) * 6000, np.zeros(1600)]).astype(
        np.int16
    )
    noise = ROOT / "out" / "burst300ms.wav"
    noise.parent.mkdir(exist_ok=True)
    write_wav(noise, burst, 16000)
    false_runs = []
    for question in [
        DATA / n
        for n in (
            "sense_and_sensibility_01_austen_64kb-0890.wav",
            "forever.wav",
            "sense_and_sensibility_01_austen_64kb-0870.wav",
        )
    ]:
        res = await simulate(cfg, [question, noise], SimulationOptions(barge_in_after_s=0.6))
        false_runs.append(
            {
                "barge_ins": res.report["barge_ins"],
                "resumed": res.report["false_interruptions_resumed"],
                "reply_dropped": any(t["interrupted"] for t in res.report["turns"]),
            }
        )
    out["noise_burst_300ms"] = false_runs
    return out


def mic_memory() -> dict:
    """Peak resident memory (VmHWM) of `assistant mic` while it answers one question on virtual devices."""
    from virtual_audio import VirtualAudio

    with VirtualAudio(rate=48000) as va:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant",
                "mic",
                "--input-device",
                "pulse",
                "--output-device",
                "pulse",
                "--sample-rate",
                "48000",
                "--duration",
                "20",
            ],
            env=va.proc_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        while "Listening at" not in (line := proc.stdout.readline()) and line:
            pass
        time.sleep(1)
        va.play_into_mic(DATA / "goforward.wav")
        peak = 0
        while proc.poll() is None:
            status = (
                Path(f"/proc/{proc.pid}/status").read_text() if Path(f"/proc/{proc.pid}").exists() else ""
            )
            for row in status.splitlines():
                if row.startswith("VmHWM:"):
                    peak = max(peak, int(row.split()[1]))
            time.sleep(0.5)
        return {"peak_rss_mib": round(peak / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--out", default=str(ROOT / "out" / "bench.json"))
    parser.add_argument("--no-mic", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.config))
    if not args.no_mic:
        result["assistant_mic"] = mic_memory()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "turn_texts"}, indent=2))
    print("medians: " + ", ".join(f"{k} {v['p50']} ms" for k, v in result["stages_ms"].items()))


if __name__ == "__main__":
    main()
