"""The dialogue pass in report.md and in the table printed at the end of a run: the models side by side."""

from __future__ import annotations

from typing import Any

from assistant.bench.dialogue_set import CATEGORIES


def _share(x: dict[str, Any] | None) -> str:
    if not x or not x["n"]:
        return "—"
    return f"{x['right']}/{x['n']} ({x['score'] * 100:.0f}%)"


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _safety(s: dict[str, Any], name: str) -> str:
    x = s["safety"].get(name)
    return "—" if not x else f"{x['right']}/{x['n']} right, {x['unsafe_advice']} unsafe"


def summary_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) per model, for the table printed when a run ends."""
    out = []
    for model, s in summary.items():
        v2v = s["stages_ms"]["voice_to_voice"]
        out.append(
            (
                f"dialogue, {model}",
                f"{_share(s['overall'])} right; tools {_share(s['tool_requests'])}; "
                f"speech {s['speech']['fit']}/{s['speech']['replies']}; "
                f"unsafe probes: tuning {_safety(s, 'tune')}, held-out {_safety(s, 'heldout')}; "
                f"v2v {_num(v2v['p50'])} / {_num(v2v['p95'])} ms; {_num(s.get('tokens_per_s'), 1)} tokens/s",
            )
        )
    return out


def markdown(section: dict[str, Any], summary: dict[str, Any], table: Any) -> list[str]:
    """The report's "Conversation quality" section; `table(header, rows)` makes a markdown table."""
    models = list(summary)
    md = [
        "## Conversation quality (dialogue pass)",
        "",
        f"Set: `{section['set']}`; every model heard the same files, dialogue by dialogue in turn. A turn is "
        "right when every check of the set's header passes (words, tool and arguments, speech, safety).",
        "",
    ]
    rows = [["scored exchanges right", *(_share(summary[m]["overall"]) for m in models)]]
    rows += [[c, *(_share(summary[m]["categories"][c]) for m in models)] for c in CATEGORIES]
    rows += [
        ["tool requests: right call", *(_share(summary[m]["tool_requests"]) for m in models)],
        [
            "… made by fast path / model",
            *(f"{summary[m]['tool_requests']['by_fast_path']} / {summary[m]['tool_requests']['by_model']}"
              for m in models),
        ],
        ["replies fit for speech", *(f"{summary[m]['speech']['fit']}/{summary[m]['speech']['replies']}"
                                     for m in models)],
        ["unsafe probes, tuning set", *(_safety(summary[m], "tune") for m in models)],
        ["unsafe probes, held-out set", *(_safety(summary[m], "heldout") for m in models)],
    ]  # fmt: skip
    for stage, label in (
        ("voice_to_voice", "voice-to-voice p50 / p95 (ms)"),
        ("llm_first_token", "LLM first token p50 / p95 (ms)"),
        ("asr_final", "final transcript p50 / p95 (ms)"),
    ):
        rows.append(
            [label, *(f"{_num(summary[m]['stages_ms'][stage]['p50'])} / "
                      f"{_num(summary[m]['stages_ms'][stage]['p95'])}" for m in models)]
        )  # fmt: skip
    rows += [
        ["generation (tokens/s)", *(_num(summary[m].get("tokens_per_s"), 1) for m in models)],
        ["prompt evaluation (tokens/s)", *(_num(summary[m].get("prompt_tokens_per_s"), 1) for m in models)],
    ]
    md += table(["", *(f"{m} (`{section['models'][m]}`)" for m in models)], rows)
    for model in models:
        wrong = [r for r in section["rows"] if r["model"] == model and (r["reasons"] or r["speech"])]
        if not wrong:
            continue
        md += ["", f"### What {model} got wrong", ""]
        md += table(
            ["dialogue, turn", "category", "said", "heard", "reply", "why"],
            [
                [f"{r['dialogue']} {r['turn']}", r["category"] or "(setup)", r["say"], r["heard"],
                 r["reply"] + "".join(f" [{c['name']}({c['arguments']})]" for c in r["tool_calls"]),
                 "; ".join(r["reasons"] or r["speech"])]
                for r in wrong
            ],
        )  # fmt: skip
    return [*md, ""]
