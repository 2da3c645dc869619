"""`assistant bench`: its options and what it does with them (also `python -m assistant.bench`).

Kept inside the bench package so that the same command can run against another engine tree (the
baseline comparison of scripts/bench_turns.py puts this package over an older checkout).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path

from assistant.bench.passes import ALIASES, PASSES, QUALITY_PASSES, USE_PASSES
from assistant.bench.suite import BenchError

DEFAULT_PASSES = ",".join(PASSES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--suite", metavar="DIR", help="WAV files with same-named .txt transcripts (default: built-in)"
    )
    parser.add_argument("--out", metavar="OUTDIR", help="where results.json, report.md and the plots go")
    parser.add_argument(
        "--sessions",
        default="1",
        metavar="1,2,4",
        help="also run the plain pass with N conversations at once",
    )
    parser.add_argument(
        "--session-turns",
        type=int,
        default=1,
        metavar="K",
        help="the sessions pass: say K files one after another in each conversation (default 1: each file "
        "in a new conversation)",
    )
    parser.add_argument(
        "--passes",
        default=DEFAULT_PASSES,
        metavar="LIST",
        help=f"passes to run (default: {DEFAULT_PASSES}); the use-like ones: {','.join(USE_PASSES)}; "
        "'use' stands for all of those, 'default' for the defaults, 'all' for both; 'dialogue', the "
        "conversation-quality benchmark, only when named",
    )
    parser.add_argument(
        "--models",
        metavar="LIST",
        help="the dialogue pass: LLMs side by side, e.g. qwen2.5-0.5b,smollm2-135m,gemma-3-270m "
        "(bundled names or llm.model references; default: the configured one)",
    )
    parser.add_argument(
        "--dialogues", metavar="YAML", help="the dialogue pass's dialogue set (default: the bundled one)"
    )
    parser.add_argument(
        "--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two results.json files instead"
    )


def split_list(text: str, what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise BenchError(f"{what} must be a comma-separated list, got {text!r}")
    return items


def resolve_passes(text: str) -> list[str]:
    """Pass names (aliases expanded, duplicates dropped); BenchError names an unknown one."""
    names = []
    for item in split_list(text, "--passes"):
        names += ALIASES.get(item, (item,))
    known = (*PASSES, *USE_PASSES, *QUALITY_PASSES)
    if unknown := [p for p in names if p not in known]:
        raise BenchError(
            f"unknown pass {', '.join(unknown)}; choose from {','.join(known)} or {','.join(ALIASES)}"
        )
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace, argv: list[str], cfg_for: object) -> int:
    """Run the benchmark; `cfg_for(args)` loads the config (the CLI's own loader, tools included)."""
    from assistant.bench import builtin_suite, load_suite
    from assistant.bench.runner import run_bench

    if not args.out:
        raise BenchError("--out OUTDIR is required (where results.json, report.md and the plots go)")
    passes = resolve_passes(args.passes)
    try:
        sessions = sorted({int(n) for n in split_list(args.sessions, "--sessions")})
    except ValueError:
        raise BenchError(f"--sessions takes counts such as 1,2,4, got {args.sessions!r}") from None
    if sessions[0] < 1:
        raise BenchError("--sessions counts must be at least 1")
    if args.session_turns < 1:
        raise BenchError("--session-turns must be at least 1")
    cfg = cfg_for(args)  # type: ignore[operator]
    suite = load_suite(args.suite) if args.suite else builtin_suite()
    for skipped in suite.skipped:
        print(f"warning: {skipped['file']}: skipped, {skipped['reason']}", file=sys.stderr)
    for note in suite.notes:
        print(f"note: {note}", file=sys.stderr)
    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"cannot write {out_dir}: {exc.strerror}") from None
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK):
        raise BenchError(f"cannot write {out_dir}")
    print(
        f"Benchmarking {len(suite.files)} files of the {suite.name} suite (ASR {cfg.asr.model}, "
        f"LLM {cfg.llm.backend}:{cfg.llm.model}, VAD {cfg.vad.engine}); passes {','.join(passes)}",
        file=sys.stderr,
        flush=True,
    )
    overrides = list(args.set or [])
    if getattr(args, "llm_url", None):
        overrides += ["llm.backend=openai", f"llm.base_url={args.llm_url}"]
    models = split_list(args.models, "--models") if args.models else None
    if models and "dialogue" not in passes:
        raise BenchError("--models sets models side by side in the dialogue pass: add --passes dialogue")
    bench = run_bench(
        cfg,
        suite,
        passes,
        sessions,
        command="assistant " + shlex.join(argv),
        config_path=args.config,
        overrides=overrides,
        models=models,
        dialogue_set=args.dialogues,
        session_turns=args.session_turns,
    )
    results = asyncio.run(bench)
    from assistant.workers import wait_idle

    # A model thread still inside llama.cpp (a prefill at idle priority) when the process exits can crash
    # the library's teardown: seen once as SIGSEGV after the results were written.
    wait_idle(10.0)
    from assistant.bench.report import summary_table, write_outputs  # matplotlib: after the peak memory

    written = write_outputs(results, out_dir)
    print(summary_table(results["summary"]))
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0


def compare(args: argparse.Namespace) -> int:
    from assistant.bench.compare import compare as compare_runs

    table, target = compare_runs(args.compare[0], args.compare[1], args.out)
    print(table)
    print(f"Wrote {target / 'compare.md'} and {target / 'compare.png'}")
    return 0
