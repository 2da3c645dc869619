"""The three pictures of a run (PNG, matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from assistant.bench.stats import STAGES

STAGE_LABELS = {
    "endpoint": "endpoint",
    "asr_final": "ASR final",
    "llm_first_token": "LLM first token",
    "tts_first_audio": "TTS first audio",
    "voice_to_voice": "voice-to-voice",
}
COLOURS = dict(zip(STAGES, ("#9e9e9e", "#4c72b0", "#dd8452", "#55a868", "#c44e52"), strict=True))


def waterfall(rows: list[dict[str, Any]], path: Path) -> Path:
    """Per turn, one bar per stage from the user's last voiced frame: where each turn's time went."""
    height = 0.8 / len(STAGES)
    fig, ax = plt.subplots(figsize=(10, 1.8 + 0.55 * len(rows)))
    for i, row in enumerate(rows):
        for j, stage in enumerate(STAGES):
            value = row["timings_ms"].get(stage)
            if value is not None:
                y = i - 0.4 + (j + 0.5) * height
                ax.barh(
                    y,
                    value,
                    height=height,
                    color=COLOURS[stage],
                    label=STAGE_LABELS[stage] if i == 0 else None,
                )
    ax.set_yticks(range(len(rows)), [f"{r['file']}" for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms after the user's last voiced frame")
    ax.set_title("Latency per turn (plain pass)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / (1 + 0.5 * len(rows))), ncol=5, fontsize=8)
    return _save(fig, path)


def v2v_by_sessions(rows: list[dict[str, Any]], path: Path) -> Path:
    """Voice-to-voice per count of concurrent conversations: how the shared models queue."""
    groups: dict[int, list[float]] = {}
    for row in rows:
        value = row["timings_ms"].get("voice_to_voice")
        if value is not None:
            groups.setdefault(row["sessions"], []).append(value)
    counts = sorted(groups)
    fig, ax = plt.subplots(figsize=(3 + 1.2 * len(counts), 4.5))
    ax.boxplot([groups[n] for n in counts], showfliers=False)
    for i, n in enumerate(counts, start=1):  # every turn as a dot: a box of 12 turns hides little
        spread = np.linspace(-0.12, 0.12, len(groups[n])) if len(groups[n]) > 1 else [0.0]
        ax.scatter([i + d for d in spread], groups[n], s=10, color="#4c72b0", alpha=0.6, zorder=3)
    ax.set_xticks(range(1, len(counts) + 1), [f"{n}\n({len(groups[n])} turns)" for n in counts])
    ax.set_xlabel("conversations at once")
    ax.set_ylabel("voice-to-voice (ms)")
    ax.set_title("Voice-to-voice by session count")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def wer_per_file(per_file: dict[str, float], path: Path) -> Path:
    names = list(per_file)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * len(names)))
    bars = ax.barh(range(len(names)), [per_file[n] * 100 for n in names], color="#4c72b0")
    ax.bar_label(bars, fmt="%.0f%%", fontsize=8, padding=2)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("word error rate (%)")
    ax.set_xlim(0, max(10.0, max((v * 100 for v in per_file.values()), default=0) * 1.15))
    ax.set_title("WER per file (engine's final transcripts)")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def compare_stages(a: dict[str, Any], b: dict[str, Any], labels: tuple[str, str], path: Path) -> Path:
    """Grouped bars of each stage's p50 and p95 in two runs."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.2
    series = [(labels[0], a, "p50"), (labels[1], b, "p50"), (labels[0], a, "p95"), (labels[1], b, "p95")]
    colours = ("#4c72b0", "#dd8452", "#a6bddb", "#fdd0a2")
    for k, (label, stages, q) in enumerate(series):
        values = [(stages.get(s) or {}).get(q) or 0 for s in STAGES]
        ax.bar(
            [i + (k - 1.5) * width for i in range(len(STAGES))],
            values,
            width,
            label=f"{label} {q}",
            color=colours[k],
        )
    ax.set_xticks(range(len(STAGES)), [STAGE_LABELS[s] for s in STAGES])
    ax.set_ylabel("ms after the user's last voiced frame")
    ax.set_title("Stage latencies, A vs B")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
