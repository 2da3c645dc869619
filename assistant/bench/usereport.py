"""The use-like passes in the printed table and in report.md: per pass, per length bucket, per pause."""

from __future__ import annotations

from typing import Any

FIGURES = (
    ("v2v_signal", "voice-to-voice from the speech"),
    ("voice_to_voice", "voice-to-voice, engine"),
    ("endpoint_from_speech", "endpoint from the speech"),
    ("final_pass", "final pass"),
)
"""The latency figures of a group of cases, with the labels they are printed with."""


def latency_lines(use: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, n/p50/p95/max) for each pass's headline figures, and each length bucket's."""
    out = []
    for name, entry in use.items():
        for key, label in FIGURES:
            if entry.get(key, {}).get("n"):
                out.append((f"{name}: {label} (ms)", entry[key]))
        for bucket, figures in entry.get("buckets", {}).items():
            for key, label in FIGURES:
                if figures.get(key, {}).get("n"):
                    out.append((f"{name} {bucket}: {label} (ms)", figures[key]))
        if bc := entry.get("backchannels"):
            for key, label in (
                ("resume_after_end", "resumed after it ended"),
                ("pause_after_onset", "paused"),
            ):
                if bc[key]["n"]:
                    out.append((f"{name}: {label} (ms)", bc[key]))
        for key, label in (
            ("reply_delay_by_noise", "reply later than without"),
            ("reference_shift", "ref. moved"),
        ):
            if entry.get(key, {}).get("n"):
                out.append((f"{name}: {label} (ms)", entry[key]))
    return out


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def other_lines(use: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text): splits, turns without a reply, WER, backchannel counts, the final-pass ratio."""
    out = []
    for name, entry in use.items():
        counts = f"{entry['cases']} cases, {entry['splits']} split, {entry['no_reply']} without a reply"
        if entry.get("carried_on"):
            counts += f" ({entry['carried_on']} carried on)"
        if "wer" in entry:
            answered = _pct(entry.get("answered_wer"))
            counts += f", WER {_pct(entry['wer'])}, of what the last reply answered {answered}"
        out.append((f"{name}", counts))
        for pause, figures in entry.get("by_pause_s", {}).items():
            out.append((f"{name} {pause} s pause", f"{figures['splits']} of {figures['cases']} split"))
        if (ratio := entry.get("final_pass_ratio_long_short")) is not None:
            out.append((f"{name}: final pass 15-60 s / <2 s (p50)", f"{ratio:.2f}"))
        if entry.get("final_pass_estimated"):
            out.append((f"{name}: final pass", "estimated: asr_final minus turn.speculate_after_ms"))
        if bc := entry.get("backchannels"):
            out.append(
                (
                    f"{name}: backchannels",
                    f"{bc['runs']} runs, {bc['reply_over_before']} after the reply ended, "
                    f"{bc['paused']} paused, {bc['resumed']} resumed, {bc['replies_lost']} replies lost, "
                    f"{bc['taken_as_turn']} taken as a turn",
                )
            )
    return out


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def markdown(results: dict[str, Any], table: Any) -> list[str]:
    """The report.md section: what each pass is, its figures, and every case (`table` makes a table)."""
    use = results["summary"].get("use")
    if not use:
        return []
    md = [
        "## Use-like passes",
        "",
        "Milliseconds from the end of the input's real speech (signal) or from the engine's last voiced "
        "frame (engine); the final pass is the time from the speculation point to the final transcript.",
        "",
    ]
    md += table(
        ["figure", "n", "p50", "p95", "max"],
        [
            [label, str(x["n"]), _ms(x["p50"]), _ms(x["p95"]), _ms(x["max"])]
            for label, x in latency_lines(use)
        ],
    )
    md += ["", *table(["figure", "value"], [list(x) for x in other_lines(use)]), "", "### Cases", ""]
    rows = []
    for c in results.get("cases", []):
        rows.append(
            [
                c["pass"],
                c["name"],
                c.get("kind", ""),
                c["bucket"],
                "yes" if c.get("split") else "",
                _ms(c.get("endpoint_from_speech")),
                _ms(c.get("v2v_signal")),
                _ms(c.get("voice_to_voice")),
                _ms(c.get("final_pass")),
                c.get("heard", ""),
            ]
        )
    md += table(
        [
            "pass",
            "input",
            "kind",
            "bucket",
            "split",
            "endpoint",
            "v2v signal",
            "v2v engine",
            "final pass",
            "heard",
        ],
        rows,
    )
    return [*md, ""]
