"""Two runs side by side: every summarised figure of A and B, the difference and the ratio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.bench import plots
from assistant.bench.report import markdown_table
from assistant.bench.suite import BenchError

_SKIP = {"n", "per_file", "full"}


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        results = json.loads(path.read_text())
    except FileNotFoundError:
        raise BenchError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchError(f"{path}: not a results.json ({exc})") from None
    if not isinstance(results, dict) or not isinstance(results.get("summary"), dict):
        raise BenchError(f"{path}: not a results.json of `assistant bench` (no summary)")
    return results


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Dotted names of every numeric figure, e.g. `stages_ms.voice_to_voice.p95`."""
    out: dict[str, float | None] = {}
    for key, value in summary.items():
        if key in _SKIP:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            out[name] = value
    return out


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """(figure, A, B) over the figures either run has, in A's order, then B's new ones.

    One session is the plain pass (`stages_ms`) again, and a figure neither run has is left out.
    """
    fa, fb = flatten(a), flatten(b)
    names = [n for n in dict.fromkeys([*fa, *fb]) if not n.startswith("sessions.1.")]
    return [(n, fa.get(n), fb.get(n)) for n in names if fa.get(n) is not None or fb.get(n) is not None]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _row(name: str, a: float | None, b: float | None) -> list[str]:
    diff = None if a is None or b is None else b - a
    ratio = f"{b / a:.2f}" if a and b is not None else "—"
    sign = "+" if diff is not None and diff > 0 else ""
    return [name, _fmt(a), _fmt(b), sign + _fmt(diff), ratio]


def compare(a_path: str | Path, b_path: str | Path, out_dir: str | Path | None = None) -> tuple[str, Path]:
    """Print-ready table of A, B, B−A and B/A; writes compare.md and compare.png to `out_dir`
    (default: B's folder). Returns the table and the folder."""
    a, b = load_results(a_path), load_results(b_path)
    target = Path(out_dir) if out_dir else Path(b_path).parent
    target.mkdir(parents=True, exist_ok=True)
    rows = [_row(*d) for d in differences(a["summary"], b["summary"])]
    header = ["figure", "A", "B", "B−A", "B/A"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    text = "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    )
    plots.compare_stages(
        a["summary"]["stages_ms"], b["summary"]["stages_ms"], ("A", "B"), target / "compare.png"
    )

    def describe(label: str, path: str | Path, res: dict[str, Any]) -> str:
        cfg = res.get("config", {})
        models = f"{cfg.get('asr')}, {cfg.get('llm')}, VAD {cfg.get('vad')}"
        return f"- {label}: `{path}` ({res.get('date', '?')}; {models})"

    md = [
        "# Benchmark comparison",
        "",
        describe("A", a_path, a),
        describe("B", b_path, b),
        "",
        *markdown_table(header, rows),
        "",
        "![stage latencies, A vs B](compare.png)",
        "",
    ]
    (target / "compare.md").write_text("\n".join(md))
    return text, target


def merge_results(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several results.json of one engine (passes run separately, or rounds) as one, summary recomputed."""
    from assistant.bench.stats import summarise

    if not runs:
        raise BenchError("nothing to merge")
    merged = {**runs[0], "rows": [], "scenarios": [], "cases": [], "offline_asr": [], "tts": []}
    merged |= {"passes": {}, "session_usage": {}}
    merged["command"] = "; ".join(dict.fromkeys(r.get("command", "") for r in runs))
    for run in runs:
        for key in ("rows", "scenarios", "cases", "offline_asr", "tts"):
            merged[key] += run.get(key) or []
        for key in ("passes", "session_usage"):
            for name, usage in (run.get(key) or {}).items():
                _add_usage(merged[key].setdefault(name, {"cpu_s": 0.0, "wall_s": 0.0}), usage)
        merged["peak_rss_mib"] = max(merged["peak_rss_mib"], run.get("peak_rss_mib", 0))
    merged["summary"] = summarise(merged)
    return merged


def _add_usage(into: dict[str, Any], usage: dict[str, Any]) -> None:
    """Add one pass's CPU, wall and model-thread seconds to a running total."""
    for key in ("cpu_s", "wall_s"):
        into[key] = round(into[key] + usage[key], 2)
    busy = into.setdefault("model_busy_s", {})
    for model, seconds in usage.get("model_busy_s", {}).items():
        busy[model] = round(busy.get(model, 0.0) + seconds, 2)
