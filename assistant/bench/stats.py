"""From raw rows to the figures people compare: percentiles, word error rates, real-time factors.

Everything here is a pure function of results.json, so a summary can always be recomputed from the raw
rows it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from assistant.asr.wer import word_error_rate

STAGES = ("endpoint", "asr_final", "llm_first_token", "tts_first_audio", "voice_to_voice")
"""The `timings_ms` of a turn, in the order they usually happen, ms after the user's last voiced frame."""


def summary(values: Iterable[float | None]) -> dict[str, Any]:
    """n, p50, p95 and max: a median alone hides the slow turns that users remember."""
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(vals),
        "p50": float(np.percentile(vals, 50)),
        "p95": float(np.percentile(vals, 95)),
        "max": max(vals),
    }


def stage_summaries(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {stage: summary(r["timings_ms"].get(stage) for r in rows) for stage in STAGES}


def hypotheses(rows: list[dict[str, Any]]) -> dict[str, str]:
    """What was recognised in each file: its turns' words joined (a pause can split one file in two),
    less the turns carried on into the next (`continued`), whose words the next turn holds again."""
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["file"], []).append("" if row.get("continued") else row["user_text"])
    return {name: " ".join(t for t in texts if t) for name, texts in out.items()}


def wer_per_file(references: dict[str, str], recognised: dict[str, str]) -> dict[str, float]:
    """A file that produced no turn at all counts as every word deleted."""
    return {name: word_error_rate([ref], [recognised.get(name, "")]) for name, ref in references.items()}


def overall_wer(references: dict[str, str], recognised: dict[str, str]) -> float | None:
    """Word-weighted over the files (jiwer pools the edits), not the mean of the per-file rates."""
    if not references:
        return None
    names = list(references)
    return word_error_rate([references[n] for n in names], [recognised.get(n, "") for n in names])


def real_time_factor(items: list[dict[str, Any]]) -> float | None:
    """Compute seconds per second of audio over all items: below 1 keeps up with real time."""
    audio = sum(i["audio_s"] for i in items)
    return sum(i["compute_s"] for i in items) / audio if audio > 0 else None


def _false_interruptions(scenarios: list[dict[str, Any]], noise: bool) -> dict[str, int] | None:
    runs = [s for s in scenarios if s["pass"] == "noise" and (s["distraction"] == "noise") == noise]
    if not runs:
        return None
    return {
        "runs": len(runs),
        "barge_ins": sum(s["barge_ins"] for s in runs),
        "resumed": sum(s["resumed"] for s in runs),
        "replies_dropped": sum(s["interrupted"] for s in runs),
    }


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """Every summarised figure of a run, from its raw rows, scenarios and offline timings."""
    rows = results["rows"]
    plain = [r for r in rows if r["pass"] == "plain"]
    references = {f["file"]: f["reference"] for f in results["suite"]["files"] if f["reference"]}
    out: dict[str, Any] = {"stages_ms": stage_summaries(plain)}

    by_count: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["pass"] in ("plain", "sessions"):
            by_count.setdefault(row["sessions"], []).append(row)
    refused: dict[int, list[int]] = {}  # refused at the door (admission by load): [conversations, files]
    for sc in results["scenarios"]:
        if sc.get("refused"):
            tally = refused.setdefault(sc["sessions"], [0, 0])
            tally[0] += 1
            tally[1] += len(sc["inputs"])
    out["sessions"] = {}
    for n in sorted(by_count.keys() | refused.keys()):  # a count whose conversations were all refused too
        group = by_count.get(n, [])
        out["sessions"][str(n)] = {
            "turns": len(group),
            "refused": refused.get(n, [0, 0])[0],
            "refused_turns": refused.get(n, [0, 0])[1],
            **stage_summaries(group),
        }

    offline = results.get("offline_asr") or []
    if plain or offline:
        recognised = hypotheses(plain)
        per_file = wer_per_file(references, recognised) if plain else {}
        offline_refs = {o["file"]: references[o["file"]] for o in offline if o["file"] in references}
        out["wer"] = {
            "engine": overall_wer(references, recognised) if plain else None,
            "offline": overall_wer(offline_refs, {o["file"]: o["text"] for o in offline}),
            "files": len(per_file),
            "per_file": per_file,
        }

    for name, pass_name in (
        ("barge_in_ms", "barge_in"),
        ("barge_in_echo_ms", "barge_in_echo"),
        ("barge_in_echo_drift_ms", "barge_in_echo_drift"),
    ):
        if any(r["pass"] == pass_name for r in rows):
            out[name] = summary(r["timings_ms"].get("barge_in") for r in rows if r["pass"] == pass_name)

    noise = _false_interruptions(results["scenarios"], noise=True)
    backchannel = _false_interruptions(results["scenarios"], noise=False)
    if noise or backchannel:
        out["false_interruptions"] = {"noise": noise, "backchannel": backchannel}

    for key, pass_name in (("self_interruptions", "echo"), ("self_interruptions_drift", "echo_drift")):
        echo = [s for s in results["scenarios"] if s["pass"] == pass_name]
        if echo:
            out[key] = {
                "turns": sum(s["turns"] for s in echo),
                "self_interruptions": sum(s["self_interruptions"] for s in echo),
                "interrupted_replies": sum(s["interrupted"] for s in echo),
                "own_echoes_resumed": sum(s.get("own_echoes_resumed", 0) for s in echo),
            }

    if offline or results.get("tts"):
        out["rtf"] = {"asr": real_time_factor(offline), "tts": real_time_factor(results.get("tts") or [])}
    if results.get("cases"):
        from assistant.bench.usestats import summarise_use

        out["use"] = summarise_use(results["cases"])
    if results.get("dialogue"):
        from assistant.bench.dialogue_pass import summarise_dialogue

        out["dialogue"] = summarise_dialogue(results["dialogue"])
    out["cpu_s"] = {name: p["cpu_s"] for name, p in results["passes"].items()}
    if found := capacity(results):
        out["capacity"] = found
    out["peak_rss_mib"] = results["peak_rss_mib"]
    return out


def capacity(results: dict[str, Any]) -> dict[str, Any]:
    """Per conversation count (the plain pass is 1, the sessions pass the others): CPU seconds and each
    model thread's busy seconds per conversation-minute, and each model thread's utilisation (busy / wall;
    1.0 = saturated: conversations queue). A conversation-minute is a minute of one simulated
    conversation in real time, the user's speech, the waits and the replies included."""
    usage = dict(results.get("session_usage") or {})
    if "plain" in results["passes"]:
        usage.setdefault("1", results["passes"]["plain"])
    out: dict[str, Any] = {}
    for n, used in sorted(usage.items(), key=lambda item: int(item[0])):
        minutes = int(n) * used["wall_s"] / 60
        if minutes <= 0:
            continue
        busy = used.get("model_busy_s", {})
        out[n] = {
            "conversation_minutes": round(minutes, 2),
            "cpu_s_per_conversation_minute": round(used["cpu_s"] / minutes, 2),
            "model_s_per_conversation_minute": {m: round(b / minutes, 2) for m, b in sorted(busy.items())},
            "utilisation": {m: round(b / used["wall_s"], 3) for m, b in sorted(busy.items())},
        }
    return out
