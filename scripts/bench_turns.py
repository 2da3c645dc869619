"""The use-like bench passes against a baseline engine, interleaved in one run on one machine.

    python scripts/bench_turns.py --baseline-tree PATH [--passes use] [--rounds 1] [--out out/bench_turns]
                                  [--suite DIR] [--set KEY=VALUE ...]

The benchmark itself (assistant/bench and the simulate driver) is this checkout's; the engine under it is
either this checkout's or the baseline's: the baseline is copied into a scratch folder with this
checkout's bench laid over it, so both engines are measured by the same code. For issue 15 the baseline
is main at a024c09 (`git worktree add /work/wt/base a024c09`). Each pass runs for both engines before the
next pass starts, the order alternating, so a machine that gets busier or quieter favours neither. Writes
OUT/new/results.json, OUT/baseline/results.json (all passes and rounds merged) and their comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.bench.command import resolve_passes  # noqa: E402
from assistant.bench.compare import compare, merge_results  # noqa: E402

OVERLAY = ("assistant/bench", "assistant/transports/simulate.py")
"""What of this checkout is laid over the baseline: the benchmark, not the engine."""


def overlay(baseline: Path, into: Path) -> Path:
    """A tree with the baseline's engine and this checkout's benchmark and recordings; modules the
    baseline does not have at all (which the benchmark may import, e.g. assistant/audiofile.py) are added,
    since no baseline code can import them."""
    shutil.copytree(baseline / "assistant", into / "assistant", ignore=shutil.ignore_patterns("__pycache__"))
    for source in sorted((ROOT / "assistant").rglob("*.py")):
        target = into / source.relative_to(ROOT)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for rel in OVERLAY:
        source, target = ROOT / rel, into / rel
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (into / "tests").mkdir()
    os.symlink(ROOT / "tests" / "data", into / "tests" / "data")
    for name in ("configs", "web"):
        if (baseline / name).exists():
            os.symlink(baseline / name, into / name)
    return into


def headline(use: dict) -> dict[str, float | None]:
    """The figures issue 15 asks for, by name."""
    out: dict[str, float | None] = {}
    for name, entry in use.items():
        for key in ("v2v_signal", "endpoint_from_speech", "final_pass"):
            for q in ("p50", "p95"):
                out[f"{name} {key} {q}"] = entry.get(key, {}).get(q)
        out[f"{name} splits / cases"] = entry["splits"] / entry["cases"] if entry.get("cases") else None
        out[f"{name} splits carried on"] = entry.get("carried_on")
        out[f"{name} answered WER"] = entry.get("answered_wer")
        for bucket, figures in entry.get("buckets", {}).items():
            for key in ("v2v_signal", "final_pass"):
                for q in ("p50", "p95"):
                    out[f"{name} {bucket} {key} {q}"] = figures[key][q]
        if "final_pass_ratio_long_short" in entry:
            out[f"{name} final pass 15-60s / <2s"] = entry["final_pass_ratio_long_short"]
        if bc := entry.get("backchannels"):
            out[f"{name} resumed after it ended p50"] = bc["resume_after_end"]["p50"]
            out[f"{name} replies lost"] = bc["replies_lost"]
        if "reference_shift" in entry:
            out[f"{name} reference moved by noise p50"] = entry["reference_shift"]["p50"]
            out[f"{name} reply later with noise p50"] = entry["reply_delay_by_noise"]["p50"]
    return out


def run_pass(tree: Path, pass_name: str, out: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "assistant.bench", "--passes", pass_name, "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    print(f"  {tree}: {pass_name}", flush=True)
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "results.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-tree", type=Path, required=True, help="a checkout of the baseline")
    parser.add_argument("--passes", default="use")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench_turns")
    parser.add_argument("--suite")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="both sides")
    parser.add_argument("--new-set", action="append", default=[], metavar="KEY=VALUE", help="the new side")
    args = parser.parse_args()
    args.out = args.out.resolve()  # the passes run in each tree's own folder
    passes = resolve_passes(args.passes)
    extra = (["--suite", args.suite] if args.suite else []) + [f"--set={s}" for s in args.set]
    extras = {"new": extra + [f"--set={s}" for s in args.new_set], "baseline": extra}
    runs: dict[str, list[dict]] = {"new": [], "baseline": []}
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as scratch:
        trees = {"new": ROOT, "baseline": overlay(args.baseline_tree.resolve(), Path(scratch))}
        step = 0
        for r in range(args.rounds):
            for pass_name in passes:
                sides = ["new", "baseline"] if step % 2 == 0 else ["baseline", "new"]
                step += 1
                for side in sides:
                    out = args.out / side / f"round{r + 1}-{pass_name}"
                    runs[side].append(run_pass(trees[side], pass_name, out, extras[side]))
    paths = {}
    for side, results in runs.items():
        merged = merge_results(results)
        paths[side] = args.out / side / "results.json"
        paths[side].write_text(json.dumps(merged, indent=2, ensure_ascii=False))
        from assistant.bench.report import write_outputs

        write_outputs(merged, args.out / side)
    _, target = compare(paths["baseline"], paths["new"], args.out)
    base = headline(json.loads(paths["baseline"].read_text())["summary"].get("use", {}))
    new = headline(json.loads(paths["new"].read_text())["summary"].get("use", {}))
    print(f"{'figure':<48}{'baseline':>10}{'new':>10}{'new/base':>10}")
    for name in dict.fromkeys([*base, *new]):
        a, b = base.get(name), new.get(name)
        ratio = f"{b / a:.2f}" if a and b is not None else "—"
        show = [("—" if v is None else f"{v:.0f}" if abs(v) >= 10 else f"{v:.2f}") for v in (a, b)]
        print(f"{name:<48}{show[0]:>10}{show[1]:>10}{ratio:>10}")
    print(f"Wrote {paths['new']}, {paths['baseline']}, {target / 'compare.md'}")


if __name__ == "__main__":
    main()
