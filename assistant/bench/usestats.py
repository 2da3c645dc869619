"""The use-like passes' figures: one case per input, measured from its real speech, then summarised.

A case joins what was said (the input's label and its real speech span on the conversation's clock) with
what the engine did (its turns, endpoints and the speaker's signal, from `simulate`'s timeline):

- `endpoint_from_speech`: from the end of the real speech to the endpoint that closed the input's turn;
- `v2v_signal`: from the end of the real speech to the first reply audio after the endpoint that closed
  the input's turn (none when no turn with words closed), on the virtual sound card's own clock (the
  engine's `voice_to_voice` counts from its own last voiced frame, which noise can move);
- `final_pass`: the time from the speculation point to the final transcript: the engine's own figure when
  its report has one (`asr_final.pass_ms`, or `timings_ms.asr_final` minus `timings_ms.speculation`), else
  `asr_final` minus the configured `turn.speculate_after_ms` (marked `estimated`);
- `split`: the engine closed a turn with words before the speech was over;
- `carried_on`: a split whose last turn answered both halves as one (`engine/continuation.py`);
- `answered`: the words the input's last reply answered, scored against the whole input as
  `answered_wer` (a split not carried on answers only its last part); for an input that made no turn (a
  command such as "Stop." with nothing to stop), its final transcript, as for `heard`.

Fields the engine adds to a turn beyond the standard ones are kept in the case under `engine`.
"""

from __future__ import annotations

from typing import Any

from assistant.asr.wer import word_error_rate
from assistant.bench.stats import summary
from assistant.bench.usecases import BUCKETS, bucket

_STANDARD = {
    "user_text",
    "assistant_text",
    "interrupted",
    "timings_ms",
    "tool_calls",
    "generated_text",
    "error",
}
_STANDARD_TIMINGS = {
    "endpoint",
    "asr_final",
    "llm_first_token",
    "tts_first_audio",
    "voice_to_voice",
    "barge_in",
}
SPLIT_TOLERANCE_S = 0.1
"""An endpoint this close to the end of the speech is the speech's own end, not a split."""


def final_pass_ms(turn: dict[str, Any], speculate_after_ms: float) -> tuple[float | None, str]:
    """(ms, "engine" | "estimated") from the speculation point to the final transcript."""
    t = turn.get("timings_ms", {})
    asr = turn.get("asr_final")
    if isinstance(asr, dict) and asr.get("pass_ms") is not None:
        return float(asr["pass_ms"]), "engine"
    if t.get("final_pass") is not None:
        return float(t["final_pass"]), "engine"
    if turn.get("final_pass_ms") is not None:
        return float(turn["final_pass_ms"]), "engine"
    if t.get("asr_final") is None:
        return None, "none"
    for key in ("speculation", "final_started", "asr_final_start"):
        if t.get(key) is not None:
            return float(t["asr_final"]) - float(t[key]), "engine"
    return float(t["asr_final"]) - speculate_after_ms, "estimated"


def _engine_extra(turn: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in turn.items() if k not in _STANDARD}
    extra |= {
        f"timings_ms.{k}": v for k, v in turn.get("timings_ms", {}).items() if k not in _STANDARD_TIMINGS
    }
    return extra


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _run_at(runs: list[list[float]], t: float, slack: float = 0.05) -> list[float] | None:
    """The stretch of reply audio playing at time t."""
    return next((r for r in runs if r[0] - slack <= t <= r[1] + slack), None)


def cases(
    pass_name: str,
    labels: list[dict[str, Any]],
    report: dict[str, Any],
    speculate_after_ms: float,
    scenario: int,
) -> list[dict[str, Any]]:
    """One case per input of a use-like conversation."""
    timeline = report.get("timeline") or {}
    inputs, endpoints = timeline.get("inputs", []), timeline.get("endpoints", [])
    runs = [list(r) for r in timeline.get("reply_audio_s", [])]
    turns, turn_inputs = report["turns"], report.get("turn_inputs", [])
    out = []
    for i, label in enumerate(labels):
        case: dict[str, Any] = {"pass": pass_name, "scenario": scenario, "input": i, **label}
        case["bucket"] = bucket(label["speech_s"])
        if i >= len(inputs):
            case["said"] = False
            out.append(case)
            continue
        said = inputs[i]
        s0, s1 = said["speech_start_s"], said["speech_end_s"]
        following = inputs[i + 1]["start_s"] if i + 1 < len(inputs) else float("inf")
        mine = [e for e in endpoints if e.get("input") == i and e["text"]]
        early = [e for e in mine if e["at_s"] < s1 - SPLIT_TOLERANCE_S]
        closing = next((e for e in mine if e["at_s"] >= s1 - SPLIT_TOLERANCE_S), None)
        own = [turns[k] for k, ti in enumerate(turn_inputs) if ti == i and k < len(turns)]
        # The reply to this input is released at its closing endpoint: audio before that is an older reply's.
        reply = next((r for r in runs if closing and r[0] >= closing["at_s"] - 0.03), None)
        # An input that made no turn record at all (a command: "Stop." with nothing to stop) was still
        # heard: its final transcripts are what it said and what the engine acted on.
        commanded = " ".join(e["text"] for e in mine) if not own else ""
        case |= {
            "said": True,
            "turns": len(own),
            "endpoints": len(mine),
            "split": bool(early),
            # A turn carried on into the next holds no words of its own: the next one has them all.
            "heard": " ".join(t["user_text"] for t in own if t["user_text"] and not t.get("continued"))
            or commanded,
            "answered": own[-1]["user_text"] if own else commanded,
            "carried_on": bool(early) and bool(own) and bool(own[-1].get("continues")),
            "endpoint_from_speech": _ms(closing["at_s"] - s1) if closing else None,
            "v2v_signal": _ms(reply[0] - s1) if reply and reply[0] < following else None,
        }
        if own:
            last = own[-1]
            t = last["timings_ms"]
            fp, source = final_pass_ms(last, speculate_after_ms)
            case |= {
                "endpoint": t.get("endpoint"),
                "voice_to_voice": t.get("voice_to_voice"),
                "filler": t.get("filler"),
                "asr_final": t.get("asr_final"),
                "final_pass": fp,
                "final_pass_source": source,
                "interrupted": last["interrupted"],
                "assistant_text": last["assistant_text"],
            }
            if extra := _engine_extra(last):
                case["engine"] = extra
        if label.get("reference"):
            case["wer"] = word_error_rate([label["reference"]], [case["heard"]])
            case["answered_wer"] = word_error_rate([label["reference"]], [case["answered"]])
        if label.get("kind") == "backchannel":
            talked_over = [
                turns[k] for k, ti in enumerate(turn_inputs) if ti is not None and ti < i and k < len(turns)
            ]
            case |= _backchannel(runs, s0, s1, following, report, talked_over[-1:])
        out.append(case)
    return out


def _backchannel(
    runs: list[list[float]], s0: float, s1: float, following: float, report: dict[str, Any], turns: list[Any]
) -> dict[str, Any]:
    """Was the reply audible at the backchannel's onset; did it pause, resume (how soon after the
    backchannel's end), or was it lost? `turns`: the turn whose reply it was said over (if any)."""
    playing = _run_at(runs, s0)
    if playing is None:
        return {"reply_at_onset": False}
    paused = playing[1] < s1 + 2.0
    after = next((r for r in runs if r[0] > playing[1] + 1e-6 and r[0] < following), None)
    lost = any(t["interrupted"] for t in turns)
    resumed = paused and after is not None and not lost and report.get("false_interruptions_resumed", 0) > 0
    return {
        "reply_at_onset": True,
        "paused": paused,
        "pause_after_onset": _ms(playing[1] - s0) if paused else None,
        "resumed": resumed,
        "resume_after_end": _ms(after[0] - s1) if resumed and after else None,
        "reply_lost": lost,
    }


def _figures(group: list[dict[str, Any]]) -> dict[str, Any]:
    said = [c for c in group if c.get("said")]
    refs = [c for c in said if c.get("reference")]
    out: dict[str, Any] = {
        "cases": len(said),
        "voice_to_voice": summary(c.get("voice_to_voice") for c in said),
        "v2v_signal": summary(c.get("v2v_signal") for c in said),
        "endpoint": summary(c.get("endpoint") for c in said),
        "endpoint_from_speech": summary(c.get("endpoint_from_speech") for c in said),
        "final_pass": summary(c.get("final_pass") for c in said),
        "splits": sum(bool(c.get("split")) for c in said),
        "carried_on": sum(bool(c.get("carried_on")) for c in said),
        "no_reply": sum(c.get("v2v_signal") is None for c in said),
    }
    if refs:
        out["wer"] = word_error_rate([c["reference"] for c in refs], [c.get("heard", "") for c in refs])
        out["answered_wer"] = word_error_rate(
            [c["reference"] for c in refs], [c.get("answered", "") for c in refs]
        )
    if any(c.get("final_pass_source") == "estimated" for c in said):
        out["final_pass_estimated"] = True
    return out


def summarise_use(all_cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Per pass, per length bucket (multi-turn sessions), per pause length, per transient kind and voice."""
    out: dict[str, Any] = {}
    by_pass: dict[str, list[dict[str, Any]]] = {}
    for c in all_cases:
        by_pass.setdefault(c["pass"], []).append(c)
    for name, group in by_pass.items():
        entry = _figures([c for c in group if c.get("kind") != "backchannel"])
        if name == "multiturn":
            entry["buckets"] = {
                b: _figures([c for c in group if c["bucket"] == b])
                for _, _, b in BUCKETS
                if any(c["bucket"] == b for c in group)
            }
            entry |= _final_pass_ratio(entry["buckets"])
        elif name == "pauses":
            entry["by_pause_s"] = {
                f"{p:.1f}": _figures([c for c in group if c.get("pause_s") == p])
                for p in sorted({c["pause_s"] for c in group if "pause_s" in c})
            }
        elif name in ("short", "claps"):
            entry["by_kind"] = {k: _figures([c for c in group if c["kind"] == k]) for k in _kinds(group)}
            if name == "claps":
                entry |= _claps(group)
        elif name == "backchannel":
            entry["backchannels"] = _backchannels([c for c in group if c.get("kind") == "backchannel"])
        out[name] = entry
    return out


def _kinds(group: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(c["kind"] for c in group))


def _final_pass_ratio(buckets: dict[str, Any]) -> dict[str, Any]:
    """The issue's figure: the final pass of 15-60 s turns over that of turns under 2 s (p50s)."""
    short, long = (
        buckets.get("<2s", {}).get("final_pass", {}),
        buckets.get("15-60s", {}).get("final_pass", {}),
    )
    if short.get("p50") and long.get("p50") is not None:
        return {"final_pass_ratio_long_short": long["p50"] / short["p50"]}
    return {}


def _claps(group: list[dict[str, Any]]) -> dict[str, Any]:
    """Plain against with-transients, per question: how much later the reply came (from the speech), and
    how far the engine's reference moved (signal voice-to-voice minus the engine's)."""
    plain = {c["question"]: c for c in group if c["kind"] == "plain" and c.get("said")}
    delays, shifts, shifts_plain = [], [], []
    for c in group:
        if c["kind"] == "plain" or not c.get("said"):
            continue
        p = plain.get(c["question"])
        if p and p.get("v2v_signal") is not None and c.get("v2v_signal") is not None:
            delays.append(c["v2v_signal"] - p["v2v_signal"])
        if c.get("v2v_signal") is not None and c.get("voice_to_voice") is not None:
            shifts.append(c["v2v_signal"] - c["voice_to_voice"])
    for p in plain.values():
        if p.get("v2v_signal") is not None and p.get("voice_to_voice") is not None:
            shifts_plain.append(p["v2v_signal"] - p["voice_to_voice"])
    return {
        "reply_delay_by_noise": summary(delays),
        "reference_shift": summary(shifts),
        "reference_shift_plain": summary(shifts_plain),
    }


def _backchannels(group: list[dict[str, Any]]) -> dict[str, Any]:
    measured = [c for c in group if c.get("reply_at_onset")]
    return {
        "runs": len(group),
        "reply_over_before": len(group) - len(measured),
        "paused": sum(bool(c.get("paused")) for c in measured),
        "resumed": sum(bool(c.get("resumed")) for c in measured),
        "replies_lost": sum(bool(c.get("reply_lost")) for c in measured),
        "taken_as_turn": sum(c.get("endpoints", 0) > 0 for c in measured),
        "resume_after_end": summary(c.get("resume_after_end") for c in measured),
        "pause_after_onset": summary(c.get("pause_after_onset") for c in measured),
    }
