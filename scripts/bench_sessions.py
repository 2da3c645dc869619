"""Many conversations at once, in process and through a local OpenAI-compatible server, in one run.

    python scripts/bench_sessions.py [--sessions 2,4,8] [--out out/bench_sessions] [--set KEY=VALUE ...]

With `--set server.max_queue_wait_ms=500` the sessions pass admits conversations as `assistant serve`
would (admission by load): a refused one is counted, not expected to be answered.

Runs `assistant bench --passes plain,sessions` twice, one backend after the other, each in its own
process on the same machine: the in-process llama.cpp default, then `llm.backend: openai` against
llama-cpp-python's real HTTP server (`python -m llama_cpp.server`, the same GGUF, 2 threads, started here
with `--interrupt_requests False` so that one conversation's request does not cut another's reply). Each
count N says every file of the built-in suite in N conversations at once, in real time. Prints, per backend
and count: turns answered, voice-to-voice p50/p95 and their ratio to one conversation, CPU seconds and
model-thread seconds per conversation-minute, and the largest count whose p95 stays within 2x of one
conversation's (issue 16). Writes OUT/<backend>/results.json and report.md, and OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from llm_server import llama_server  # noqa: E402

from assistant.config import load_config  # noqa: E402

P95_LIMIT = 2.0
"""Issue 16: the largest session count whose voice-to-voice p95 stays within this factor of one's."""


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / 100.0


def run_bench(out: Path, sessions: str, overrides: list[str], session_turns: int = 1) -> dict[str, Any]:
    # Several files a conversation: one conversation is measured the same way, not by the plain pass.
    passes, counts = ("plain,sessions", sessions) if session_turns == 1 else ("sessions", f"1,{sessions}")
    command = [sys.executable, "-m", "assistant", "bench", "--passes", passes]
    command += ["--sessions", counts, "--session-turns", str(session_turns), "--out", str(out)]
    command += [f"--set={o}" for o in overrides]
    print("  $", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "results.json").read_text())


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per conversation count: answered turns, voice-to-voice and capacity figures."""
    files = len(results["suite"]["files"])
    summary = results["summary"]
    one = summary["sessions"]["1"]["voice_to_voice"]
    out = []
    for n, figures in summary["sessions"].items():
        v2v = figures["voice_to_voice"]
        capacity = summary.get("capacity", {}).get(n, {})
        out.append(
            {
                "sessions": int(n),
                "turns_expected": int(n) * files - figures.get("refused_turns", 0),
                "turns_answered": v2v["n"],
                "refused": figures.get("refused", 0),
                "v2v_p50_ms": v2v["p50"],
                "v2v_p95_ms": v2v["p95"],
                "p50_ratio": round(v2v["p50"] / one["p50"], 2) if v2v["p50"] and one["p50"] else None,
                "p95_ratio": round(v2v["p95"] / one["p95"], 2) if v2v["p95"] and one["p95"] else None,
                "llm_first_token_p50_ms": figures["llm_first_token"]["p50"],
                "cpu_s_per_conversation_minute": capacity.get("cpu_s_per_conversation_minute"),
                "model_s_per_conversation_minute": capacity.get("model_s_per_conversation_minute", {}),
                "utilisation": capacity.get("utilisation", {}),
            }
        )
    return sorted(out, key=lambda r: r["sessions"])


def largest_within(table: list[dict[str, Any]]) -> int | None:
    """The largest count whose p95 is within P95_LIMIT of one conversation's with every turn answered (a
    conversation refused at the door, with `server.max_queue_wait_ms` set, is not a turn expected)."""
    good = [
        r["sessions"]
        for r in table
        if r["p95_ratio"] is not None
        and r["p95_ratio"] <= P95_LIMIT
        and r["turns_answered"] == r["turns_expected"]
    ]
    return max(good) if good else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", default="2,4,8", help="counts besides 1 (default: 2,4,8)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench_sessions")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument(
        "--session-turns", type=int, default=1, help="files said in each conversation (default 1)"
    )
    args = parser.parse_args()
    model = load_config(None, args.set).llm.model
    summary: dict[str, Any] = {"model": model, "backends": {}}

    print("in process (llama.cpp in the assistant's process)", flush=True)
    results = run_bench(args.out / "in_process", args.sessions, args.set, args.session_turns)
    summary["backends"]["in_process"] = {"rows": rows(results), "machine": results["machine"]}

    print("through llama_cpp.server (OpenAI-compatible HTTP)", flush=True)
    with llama_server(model=model, alias="served", interrupt_requests=False) as (base_url, proc):
        cpu0, t0 = process_cpu_s(proc.pid), time.monotonic()
        overrides = [*args.set, "llm.backend=openai", f"llm.base_url={base_url}", "llm.model=served"]
        results = run_bench(args.out / "server", args.sessions, overrides, args.session_turns)
        server_cpu = process_cpu_s(proc.pid) - cpu0
        wall = time.monotonic() - t0
    summary["backends"]["server"] = {
        "rows": rows(results),
        "server_cpu_s": round(server_cpu, 1),
        "server_wall_s": round(wall, 1),
    }

    for name, backend in summary["backends"].items():
        backend["largest_within_2x_p95"] = largest_within(backend["rows"])
        print(f"\n{name}: largest count within {P95_LIMIT}x p95 of one: {backend['largest_within_2x_p95']}")
        print("sessions  answered  refused  v2v p50  v2v p95  p50 x  p95 x  CPU s/conv-min  llama util")
        for r in backend["rows"]:
            util = r["utilisation"].get("llama")
            print(
                f"{r['sessions']:>8}  {r['turns_answered']:>3}/{r['turns_expected']:<4}  {r['refused']:>7}"
                f"  {r['v2v_p50_ms']:>7}"
                f"  {r['v2v_p95_ms']:>7}  {r['p50_ratio']!s:>5}  {r['p95_ratio']!s:>5}"
                f"  {r['cpu_s_per_conversation_minute']!s:>14}  {util!s:>10}"
            )
    if "server_cpu_s" in summary["backends"]["server"]:
        s = summary["backends"]["server"]
        print(
            f"\nllama_cpp.server used {s['server_cpu_s']} CPU s over {s['server_wall_s']} s of the server run"
        )
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
