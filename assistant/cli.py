"""`assistant mic`, `assistant simulate`, `assistant serve`, `assistant bench`, `assistant devices`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

from assistant.audio import AudioFileError
from assistant.bench.suite import BenchError
from assistant.config import Config, ConfigError, load_config
from assistant.models import ModelError
from assistant.tools import ToolLoadError


def _overrides(args: argparse.Namespace) -> list[str]:
    overrides = list(args.set or [])
    if getattr(args, "llm_url", None):
        overrides += ["llm.backend=openai", f"llm.base_url={args.llm_url}"]
    return overrides


def _config(args: argparse.Namespace, extra: list[str] | None = None) -> Config:
    """The config with flags applied; tools are loaded here so that a broken tools file stops the start."""
    from assistant.engine.tooling import toolbox_for

    cfg = load_config(args.config, _overrides(args) + (extra or []))
    cfg.tools.load = [*cfg.tools.load, *(getattr(args, "tools", None) or [])]
    toolbox_for(cfg.tools)
    return cfg


def _prepare_output(path: str | None) -> Path | None:
    """Create the folder and check the file can be written before any work, so nothing is lost at the end."""
    if not path:
        return None
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
    if target.is_dir() or not os.access(target if target.exists() else target.parent, os.W_OK):
        raise ConfigError(f"cannot write {target}")
    return target


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config (default: configs/default.yaml)")
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config key, e.g. asr.model=bundled:base",
    )
    parser.add_argument("--llm-url", help="use an OpenAI-compatible server at this base URL")
    parser.add_argument(
        "--tools",
        action="append",
        metavar="PATH_OR_MODULE",
        help="load tools from a .py file or an importable module (repeatable)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")


async def _run_mic(args: argparse.Namespace) -> int:
    from assistant.console import ConsoleView
    from assistant.engine import Conversation
    from assistant.transports.mic import MicrophoneTransport, pick_rate, resolve_device

    input_device = resolve_device(args.input_device, "input")
    output_device = resolve_device(args.output_device, "output")
    rate = pick_rate(input_device, output_device, args.sample_rate)
    cfg = _config(args, [f"audio.output_sample_rate={rate}"])
    report_path = _prepare_output(args.report)
    print(f"Loading models (ASR {cfg.asr.model}, LLM {cfg.llm.model}, voice {cfg.tts.voice}) …", flush=True)
    conv = Conversation(cfg)
    await conv.start()
    view = ConsoleView()
    viewer = asyncio.create_task(view.run(conv.bus.subscribe()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if args.duration:
        loop.call_later(args.duration, stop.set)
    transport = MicrophoneTransport(conv, rate, input_device, output_device)
    print(f"Listening at {rate} Hz. Talk to me; Ctrl+C to quit.", flush=True)
    try:
        await transport.run(stop)
    finally:
        await conv.close()
        viewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await viewer
    if report_path:
        await asyncio.to_thread(report_path.write_text, json.dumps({"turns": conv.records}, indent=2))
    return 0


async def _run_simulate(args: argparse.Namespace) -> int:
    from assistant.console import ConsoleView
    from assistant.transports.simulate import SimulationOptions, simulate, write_conversation

    cfg = _config(args)
    out_path, report_path = _prepare_output(args.out), _prepare_output(args.report)
    options = SimulationOptions(
        barge_in_after_s=args.barge_in_after,
        echo_db=args.echo,
        echo_delay_ms=args.echo_delay_ms,
        allow_damaged=args.allow_damaged,
    )
    view = ConsoleView() if not args.quiet else None
    result = await simulate(cfg, [Path(p) for p in args.inputs], options)
    if view:
        for event in result.events:
            view.show(event)
    if out_path:
        write_conversation(result, out_path)
    if report_path:
        await asyncio.to_thread(report_path.write_text, json.dumps(result.report, indent=2))
    for warning in result.report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.report["errors"]:
        print(f"error during the conversation: {error}", file=sys.stderr)
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.server import create_app

    cfg = _config(args, [f"server.max_sessions={args.max_sessions}"] if args.max_sessions else None)
    logging.getLogger("assistant.turns").setLevel(logging.INFO)  # one structured line per turn
    print(f"Loading models (ASR {cfg.asr.model}, LLM {cfg.llm.model}, voice {cfg.tts.voice}) …", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.ssl_certfile:
        print(
            "warning: browsers only allow the microphone on https:// or localhost; "
            "see the README for reaching the server from another device",
            file=sys.stderr,
        )
    uvicorn.run(
        create_app(cfg),
        host=args.host,
        port=args.port,
        log_level="info" if args.verbose else "warning",
        ws_max_size=1 << 20,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    return 0


def _split_list(text: str, what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise BenchError(f"{what} must be a comma-separated list, got {text!r}")
    return items


def _run_bench(args: argparse.Namespace, argv: list[str]) -> int:
    from assistant.bench import builtin_suite, load_suite
    from assistant.bench.dialogues import PASSES
    from assistant.bench.runner import run_bench

    if not args.out:
        raise BenchError("--out OUTDIR is required (where results.json, report.md and the plots go)")
    passes = _split_list(args.passes, "--passes")
    if unknown := [p for p in passes if p not in PASSES]:
        raise BenchError(f"unknown pass {', '.join(unknown)}; choose from {','.join(PASSES)}")
    try:
        sessions = sorted({int(n) for n in _split_list(args.sessions, "--sessions")})
    except ValueError:
        raise BenchError(f"--sessions takes counts such as 1,2,4, got {args.sessions!r}") from None
    if sessions[0] < 1:
        raise BenchError("--sessions counts must be at least 1")
    cfg = _config(args)
    suite = load_suite(args.suite) if args.suite else builtin_suite()
    for skipped in suite.skipped:
        print(f"warning: {skipped['file']}: skipped, {skipped['reason']}", file=sys.stderr)
    for note in suite.notes:
        print(f"note: {note}", file=sys.stderr)
    out_dir = Path(args.out)
    _prepare_output(str(out_dir / "results.json"))
    print(
        f"Benchmarking {len(suite.files)} files of the {suite.name} suite (ASR {cfg.asr.model}, "
        f"LLM {cfg.llm.backend}:{cfg.llm.model}, VAD {cfg.vad.engine}); passes {','.join(passes)}",
        file=sys.stderr,
        flush=True,
    )
    models = _split_list(args.models, "--models") if args.models else None
    if models and "dialogue" not in passes:
        raise BenchError("--models sets models side by side in the dialogue pass: add --passes dialogue")
    bench = run_bench(
        cfg,
        suite,
        passes,
        sessions,
        command="assistant " + shlex.join(argv),
        config_path=args.config,
        overrides=_overrides(args),
        models=models,
        dialogue_set=args.dialogues,
    )
    results = asyncio.run(bench)
    from assistant.bench.report import summary_table, write_outputs  # matplotlib: after the peak memory

    written = write_outputs(results, out_dir)
    print(summary_table(results["summary"]))
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0


def _run_compare(args: argparse.Namespace) -> int:
    from assistant.bench.compare import compare

    table, target = compare(args.compare[0], args.compare[1], args.out)
    print(table)
    print(f"Wrote {target / 'compare.md'} and {target / 'compare.png'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant", description="A full-duplex voice assistant.")
    sub = parser.add_subparsers(dest="command", required=True)

    mic = sub.add_parser("mic", help="talk to it at the desktop microphone")
    _common(mic)
    mic.add_argument("--input-device", help="index or name (see `assistant devices`)")
    mic.add_argument("--output-device", help="index or name")
    mic.add_argument("--sample-rate", type=int, help="device rate (default: the output device's)")
    mic.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    mic.add_argument("--duration", type=float, help="stop after this many seconds")
    mic.add_argument("--report", help="write the turns as JSON here on exit")

    sim = sub.add_parser("simulate", help="drive the engine with recorded speech in real time")
    _common(sim)
    sim.add_argument("inputs", nargs="+", help="WAV (or any audio) files, said one after another")
    sim.add_argument("--out", help="stereo WAV of the conversation (left: microphone, right: assistant)")
    sim.add_argument("--report", help="JSON report with one entry per user turn")
    sim.add_argument(
        "--barge-in-after", type=float, metavar="SECONDS", help="interrupt each reply after this long"
    )
    sim.add_argument(
        "--echo", type=float, metavar="GAIN_DB", help="mix the assistant's output into the mic (e.g. -6)"
    )
    sim.add_argument("--echo-delay-ms", type=int, default=40)
    sim.add_argument(
        "--allow-damaged",
        action="store_true",
        help="say what decodes of a truncated or corrupt input, with a warning, instead of refusing it",
    )
    sim.add_argument("--quiet", action="store_true")

    serve = sub.add_parser("serve", help="serve the web client (WebRTC) and the WebSocket transport")
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--max-sessions", type=int, help="conversations at once (default 4)")
    serve.add_argument("--ssl-certfile", help="serve HTTPS (browsers need it for the mic off localhost)")
    serve.add_argument("--ssl-keyfile")

    bench = sub.add_parser("bench", help="measure latency, WER and interruptions on a suite, in real time")
    _common(bench)
    bench.add_argument(
        "--suite", metavar="DIR", help="WAV files with same-named .txt transcripts (default: built-in)"
    )
    bench.add_argument("--out", metavar="OUTDIR", help="where results.json, report.md and the plots go")
    bench.add_argument(
        "--sessions",
        default="1",
        metavar="1,2,4",
        help="also run the plain pass with N conversations at once",
    )
    bench.add_argument(
        "--passes",
        default="rtf,plain,barge_in,noise,echo,sessions",
        metavar="LIST",
        help="passes to run (default: all of rtf,plain,barge_in,noise,echo,sessions; "
        "`dialogue`, the conversation-quality benchmark, only when named)",
    )
    bench.add_argument(
        "--models",
        metavar="LIST",
        help="the dialogue pass: LLMs side by side, e.g. qwen2.5-0.5b,smollm2-135m,gemma-3-270m "
        "(bundled names or llm.model references; default: the configured one)",
    )
    bench.add_argument(
        "--dialogues", metavar="YAML", help="the dialogue pass's dialogue set (default: the bundled one)"
    )
    bench.add_argument(
        "--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two results.json files instead"
    )

    sub.add_parser("devices", help="list audio devices")

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from assistant.transports.mic import AudioDeviceError, list_devices

    try:
        if args.command == "devices" or getattr(args, "list_devices", False):
            print(list_devices())
            return 0
        if args.command == "mic":
            return asyncio.run(_run_mic(args))
        if args.command == "serve":
            return _run_serve(args)
        if args.command == "bench":
            return _run_compare(args) if args.compare else _run_bench(args, argv)
        return asyncio.run(_run_simulate(args))
    except (ConfigError, AudioFileError, ModelError, AudioDeviceError, BenchError, ToolLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc, AudioFileError) and exc.damaged and args.command == "simulate":
            print("(--allow-damaged says what decodes of it, with a warning)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
