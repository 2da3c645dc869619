"""results.json, report.md with its plots, and the summary table printed at the end of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.bench import dialogue_report, plots, usereport
from assistant.bench.stats import STAGES, hypotheses


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def latency_lines(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, n/p50/p95/max) for every latency figure of a run, in reading order."""
    out = []
    if summary["stages_ms"]["voice_to_voice"]["n"]:  # the plain pass ran
        out += [(f"{plots.STAGE_LABELS[s]} (ms)", summary["stages_ms"][s]) for s in STAGES]
    for count, stages in summary.get("sessions", {}).items():
        if count != "1":
            out.append((f"voice-to-voice, {count} sessions (ms)", stages["voice_to_voice"]))
    if "barge_in_ms" in summary:
        out.append(("barge-in (ms)", summary["barge_in_ms"]))
    if "barge_in_echo_ms" in summary:
        out.append(("barge-in, -6 dB echo (ms)", summary["barge_in_echo_ms"]))
    if "barge_in_echo_drift_ms" in summary:
        out.append(("barge-in, -6 dB echo, clocks drifting (ms)", summary["barge_in_echo_drift_ms"]))
    return out + usereport.latency_lines(summary.get("use", {}))


def other_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for the figures that are not latency distributions."""
    out = []
    if wer := summary.get("wer"):
        out.append(
            (
                "WER engine / offline ASR",
                f"{_pct(wer['engine'])} / {_pct(wer['offline'])} ({wer['files']} files)",
            )
        )
    for kind, label in (("noise", "false interruptions, noise bursts"), ("backchannel", "backchannels")):
        if fi := (summary.get("false_interruptions") or {}).get(kind):
            out.append(
                (
                    label,
                    f"{fi['runs']} runs: {fi['barge_ins']} barge-ins, {fi['resumed']} resumed, "
                    f"{fi['replies_dropped']} replies dropped",
                )
            )
    for key, label in (
        ("self_interruptions", "self-interruptions, -6 dB echo"),
        ("self_interruptions_drift", "self-interruptions, -6 dB echo, clocks drifting"),
    ):
        if si := summary.get(key):
            out.append(
                (
                    label,
                    f"{si['self_interruptions']} in {si['turns']} turns ({si['interrupted_replies']} "
                    f"replies cut, {si.get('own_echoes_resumed', 0)} heard as its own voice)",
                )
            )
    if rtf := summary.get("rtf"):
        out.append(("real-time factor ASR / TTS", f"{_num(rtf['asr'], 3)} / {_num(rtf['tts'], 3)}"))
    out += usereport.other_lines(summary.get("use", {}))
    out += dialogue_report.summary_lines(summary.get("dialogue") or {})
    out.append(("CPU time (s)", ", ".join(f"{k} {v:.1f}" for k, v in summary["cpu_s"].items())))
    out.append(("peak memory (ru_maxrss)", f"{summary['peak_rss_mib']:.0f} MiB"))
    return out


def summary_table(summary: dict[str, Any]) -> str:
    """The plain-text table printed when a run ends."""
    latency, other = latency_lines(summary), other_lines(summary)
    width = max(len(label) for label in ["figure", *dict(latency), *dict(other)]) + 2
    text = [f"{'figure':<{width}}{'n':>5}{'p50':>8}{'p95':>8}{'max':>8}"]
    for label, s in latency:
        text.append(f"{label:<{width}}{s['n']:>5}{_ms(s['p50']):>8}{_ms(s['p95']):>8}{_ms(s['max']):>8}")
    text += [f"{label:<{width}}{value}" for label, value in other]
    return "\n".join(text)


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]


def markdown(results: dict[str, Any], images: dict[str, str]) -> str:
    """Human-readable report: the same figures as results.json, plots by relative path."""
    s, machine, cfg = results["summary"], results["machine"], results["config"]
    md = [
        f"# Benchmark, {results['date']}",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        results["command"],
        "```",
        "",
        f"Suite: {results['suite']['name']} ({len(results['suite']['files'])} files). "
        f"Passes: {', '.join(results['passes'])}.",
        "",
        "## Machine and config",
        "",
        *markdown_table(
            ["", ""],
            [
                ["CPU", f"{machine['cpu']}, {machine['cores']} cores"],
                ["RAM", f"{machine['ram_gib']} GiB"],
                ["OS / Python", f"{machine['os']} / {machine['python']}"],
                ["config", f"{cfg['file']} {' '.join('--set ' + o for o in cfg['overrides'])}".strip()],
                ["ASR / LLM", f"{cfg['asr']} / {cfg['llm']}"],
                ["VAD / TTS voice", f"{cfg['vad']} / {cfg['tts']}"],
            ],
        ),
        "",
        "## Latency",
        "",
        "Milliseconds after the user's last voiced frame (barge-in: from the interrupting speech's onset to "
        "the reply's audio stopping).",
        "",
        *markdown_table(
            ["figure", "n", "p50", "p95", "max"],
            [
                [label, str(x["n"]), _ms(x["p50"]), _ms(x["p95"]), _ms(x["max"])]
                for label, x in latency_lines(s)
            ],
        ),
        "",
    ]
    if "waterfall" in images:
        md += [f"![latency waterfall]({images['waterfall']})", ""]
    if len(s.get("sessions", {})) > 1 or "v2v" in images:
        md += ["### Concurrent sessions", ""]
        md += markdown_table(
            [
                "sessions",
                "turns",
                "refused",
                *[f"{plots.STAGE_LABELS[st]} p50" for st in STAGES],
                "voice-to-voice p95",
            ],
            [
                [
                    n,
                    str(x["turns"]),
                    str(x.get("refused", 0)),
                    *[_ms(x[st]["p50"]) for st in STAGES],
                    _ms(x["voice_to_voice"]["p95"]),
                ]
                for n, x in s.get("sessions", {}).items()
            ],
        )
        md += [""] + ([f"![voice-to-voice by session count]({images['v2v']})", ""] if "v2v" in images else [])
    md += [
        "## Other figures",
        "",
        *markdown_table(["figure", "value"], [list(x) for x in other_lines(s)]),
        "",
    ]
    if s.get("wer", {}).get("per_file"):
        refs = {f["file"]: f["reference"] for f in results["suite"]["files"]}
        recognised = hypotheses([r for r in results["rows"] if r["pass"] == "plain"])
        md += ["## Word error rate per file", ""]
        md += markdown_table(
            ["file", "reference", "recognised", "WER"],
            [
                [name, refs[name], recognised.get(name, ""), _pct(wer)]
                for name, wer in s["wer"]["per_file"].items()
            ],
        )
        md += [""] + ([f"![WER per file]({images['wer']})", ""] if "wer" in images else [])
    md += usereport.markdown(results, markdown_table)
    if results.get("dialogue"):
        md += dialogue_report.markdown(results["dialogue"], s["dialogue"], markdown_table)
    md += ["## Passes", ""]
    md += markdown_table(
        ["pass", "CPU s", "wall s", "cores busy"],
        [
            [
                name,
                f"{p['cpu_s']:.1f}",
                f"{p['wall_s']:.1f}",
                _num(p["cpu_s"] / p["wall_s"] if p["wall_s"] else None),
            ]
            for name, p in results["passes"].items()
        ],
    )
    if capacity := s.get("capacity"):
        models = sorted({m for c in capacity.values() for m in c["utilisation"]})
        md += ["", "## Capacity", "", "Per minute of one simulated conversation (real time):", ""]
        md += markdown_table(
            ["sessions", "conversation-min", "CPU s / conv-min"]
            + [f"{m} busy s / conv-min" for m in models]
            + [f"{m} utilisation" for m in models],
            [
                [n, f"{c['conversation_minutes']:.1f}", f"{c['cpu_s_per_conversation_minute']:.1f}"]
                + [_num(c["model_s_per_conversation_minute"].get(m)) for m in models]
                + [_num(c["utilisation"].get(m)) for m in models]
                for n, c in capacity.items()
            ],
        )
    problems = [f"{x['file']}: skipped, {x['reason']}" for x in results["suite"]["skipped"]]
    problems += results["suite"]["notes"]
    problems += [
        f"{sc['pass']} pass, {'+'.join(sc['inputs'])}: {m}"
        for sc in results["scenarios"]
        for m in sc["warnings"] + sc["errors"]
    ]
    if problems:
        md += ["", "## Skipped files, notes and warnings", "", *[f"- {p}" for p in problems]]
    return "\n".join(md) + "\n"


def write_outputs(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """results.json, the plots that have data, and report.md, all in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "results.json"]
    written[0].write_text(json.dumps(results, indent=2, ensure_ascii=False))
    images: dict[str, str] = {}
    plain = [r for r in results["rows"] if r["pass"] == "plain"]
    if plain:
        images["waterfall"] = plots.waterfall(plain, out_dir / "waterfall.png").name
    by_sessions = [r for r in results["rows"] if r["pass"] in ("plain", "sessions")]
    if by_sessions:
        images["v2v"] = plots.v2v_by_sessions(by_sessions, out_dir / "v2v_by_sessions.png").name
    if per_file := results["summary"].get("wer", {}).get("per_file"):
        images["wer"] = plots.wer_per_file(per_file, out_dir / "wer_per_file.png").name
    report = out_dir / "report.md"
    report.write_text(markdown(results, images))
    return [*written, *(out_dir / name for name in images.values()), report]
