"""`assistant mic`, `assistant simulate`, `assistant serve`, `assistant bench`, `assistant devices`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path

from assistant.audio import AudioFileError
from assistant.bench import command as bench_command
from assistant.bench.suite import BenchError
from assistant.cli_types import drift_ppm, echo_delays, echo_gain, port, seconds_into_reply
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


def _prepare_output(path: str | None, keep: tuple[Path, ...] = ()) -> Path | None:
    """Create the folder and check the file can be written before any work, so nothing is lost at the end:
    by opening it to append (root passes `os.access` even in /proc), removing it again if it was new.
    `keep`: files this run reads or writes otherwise, which the output must not replace."""
    if not path:
        return None
    target = Path(path)
    if target.exists() and any(target.resolve() == k.resolve() for k in keep if k.exists()):
        raise ConfigError(f"{target} is also an input or another output of this run: it would be replaced")
    if target.is_dir():
        raise ConfigError(f"cannot write {target}: it is a folder")
    existed = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    if not existed:
        target.unlink(missing_ok=True)
    return target


def _prepare_outputs(out: str | None, report: str | None, inputs: list[str]) -> tuple[Path | None, ...]:
    """`simulate`'s WAV and report (`_prepare_output`), neither of them an input nor the other."""
    if out and report and Path(out).absolute() == Path(report).absolute():
        raise ConfigError("--out and --report name the same file: one would replace the other")
    read = tuple(Path(p) for p in inputs)
    return _prepare_output(out, read), _prepare_output(report, read)


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
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log what happens (INFO level) to stderr"
    )


async def _run_mic(args: argparse.Namespace) -> int:
    from assistant.console import ConsoleView
    from assistant.engine import Conversation
    from assistant.models import HUB
    from assistant.transports.mic import MicrophoneTransport, pick_rates, resolve_device
    from assistant.workers import wait_idle

    if args.latency_ms <= 0:
        raise ConfigError("--latency-ms must be above 0")
    input_device = resolve_device(args.input_device, "input")
    output_device = resolve_device(args.output_device, "output")
    voice_rate = int(HUB.piper(load_config(args.config, _overrides(args)).tts).config.sample_rate)
    rates = pick_rates(input_device, output_device, args.sample_rate, voice_rate)
    cfg = _config(args, [f"audio.output_sample_rate={rates.output}"])
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
    transport = MicrophoneTransport(
        conv, rates, args.input_device, args.output_device, notify=view.note, latency_s=args.latency_ms / 1000
    )
    print(f"Listening at {rates}. Talk to me; Ctrl+C to quit.", flush=True)
    try:
        await transport.run(stop)
    finally:
        await conv.close()
        viewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await viewer
        await asyncio.to_thread(wait_idle, 10.0)
    if report_path:
        report = {"turns": conv.records, "audio": transport.summary()}
        await asyncio.to_thread(report_path.write_text, json.dumps(report, indent=2))
    return 0


def _stop_on_signals(stop: asyncio.Event) -> None:
    """Ctrl+C or SIGTERM sets `stop` (the run ends and writes what it has; it had aborted inside llama.cpp
    and written nothing); a second one stops at once."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def first() -> None:
        stop.set()
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, first)


async def _run_simulate(args: argparse.Namespace) -> int:
    from assistant.console import ConsoleView
    from assistant.transports.simulate import SimulationOptions, simulate, write_conversation
    from assistant.workers import wait_idle

    cfg = _config(args)
    out_path, report_path = _prepare_outputs(args.out, args.report, args.inputs)
    options = SimulationOptions(
        barge_in_after_s=args.barge_in_after,
        echo_db=args.echo,
        echo_delay_ms=args.echo_delay_ms[-1],
        echo_delays_ms=args.echo_delay_ms if len(args.echo_delay_ms) > 1 else None,
        echo_drift_ppm=args.echo_drift_ppm,
        allow_damaged=args.allow_damaged,
        stop=(stop := asyncio.Event()),
    )
    _stop_on_signals(stop)
    view = ConsoleView() if not args.quiet else None
    result = await simulate(cfg, [Path(p) for p in args.inputs], options)
    await asyncio.to_thread(wait_idle, 10.0)  # no model thread left inside a library at exit
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
    return 130 if stop.is_set() else 0


def _run_serve(args: argparse.Namespace) -> int:
    from assistant.access import Access
    from assistant.server import create_app
    from assistant.serving import bind_problem, serve

    if (problem := bind_problem(args.host, args.port)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    cfg = _config(args, [f"server.max_sessions={args.max_sessions}"] if args.max_sessions else None)
    access = Access.for_bind(
        args.host,
        args.token or os.environ.get("ASSISTANT_TOKEN") or None,
        args.insecure,
        args.metrics_token or os.environ.get("ASSISTANT_METRICS_TOKEN") or None,
        cfg.server.session_token_ttl_s,
        behind_proxy=bool(cfg.server.trusted_proxies),
    )
    logging.getLogger("assistant.turns").setLevel(logging.INFO)  # one structured line per turn
    print(f"Loading models (ASR {cfg.asr.model}, LLM {cfg.llm.model}, voice {cfg.tts.voice}) …", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.ssl_certfile:
        print(
            "warning: browsers only allow the microphone on https:// or localhost; "
            "see the README for reaching the server from another device",
            file=sys.stderr,
        )
    if access.secret is None and not access.loopback_only:
        print(
            f"warning: --insecure: anyone who can reach {args.host}:{args.port} gets a conversation",
            file=sys.stderr,
        )
    started = serve(  # says "Listening on http://HOST:PORT" once the socket is bound
        create_app(cfg, access=access, freeze=True),
        host=args.host,
        port=args.port,
        log_level="info" if args.verbose else "warning",
        ws_max_size=1 << 20,
        proxy_headers=False,  # X-Forwarded-For only from server.trusted_proxies (see create_app)
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    return 0 if started else 3  # uvicorn's exit status for a server that never started


def build_parser() -> argparse.ArgumentParser:
    """`assistant`'s parser: its subcommands and every option, each with its help."""
    parser = argparse.ArgumentParser(prog="assistant", description="A full-duplex voice assistant.")
    sub = parser.add_subparsers(dest="command", required=True)

    mic = sub.add_parser("mic", help="talk to it at the desktop microphone")
    _common(mic)
    mic.add_argument("--input-device", help="index or name (see `assistant devices`)")
    mic.add_argument("--output-device", help="index or name")
    mic.add_argument(
        "--sample-rate", type=int, help="one rate for both devices (default: 16 kHz in, the voice's rate out)"
    )
    mic.add_argument(
        "--latency-ms", type=float, default=20.0, help="device buffer (default 20 ms; more if it crackles)"
    )
    mic.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    mic.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds (default: at Ctrl+C)"
    )
    mic.add_argument("--report", help="write the turns as JSON here on exit")

    sim = sub.add_parser("simulate", help="drive the engine with recorded speech in real time")
    _common(sim)
    sim.add_argument("inputs", nargs="+", help="WAV (or any audio) files, said one after another")
    sim.add_argument("--out", help="stereo WAV of the conversation (left: microphone, right: assistant)")
    sim.add_argument("--report", help="JSON report with one entry per user turn")
    sim.add_argument(
        "--barge-in-after",
        type=seconds_into_reply,
        metavar="SECONDS",
        help="interrupt each reply after this long",
    )
    sim.add_argument(
        "--echo", type=echo_gain, metavar="GAIN_DB", help="mix the assistant's output into the mic (e.g. -6)"
    )
    sim.add_argument(
        "--echo-delay-ms",
        type=echo_delays,
        default=[40],
        metavar="MS[,MS...]",
        help="the echo's delay; several: one per input, as if the path moved between replies",
    )
    sim.add_argument(
        "--echo-drift-ppm",
        type=drift_ppm,
        default=0.0,
        help="the microphone's clock runs this much faster than the speaker's (the echo's delay drifts)",
    )
    sim.add_argument(
        "--allow-damaged",
        action="store_true",
        help="say what decodes of a truncated or corrupt input, with a warning, instead of refusing it",
    )
    sim.add_argument(
        "--quiet", action="store_true", help="print no transcript or turns (warnings and errors still show)"
    )

    serve = sub.add_parser("serve", help="serve the web client (WebRTC) and the WebSocket transport")
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument(
        "--port", type=port, default=8000, help="port to listen on (default 8000; 0: any free one)"
    )
    serve.add_argument("--max-sessions", type=int, help="conversations at once (default 4)")
    serve.add_argument("--ssl-certfile", help="serve HTTPS (browsers need it for the mic off localhost)")
    serve.add_argument("--ssl-keyfile", help="the private key of --ssl-certfile (when not inside it)")
    serve.add_argument(
        "--token",
        help="the server's secret (better: ASSISTANT_TOKEN in the environment); required off loopback",
    )
    serve.add_argument(
        "--insecure", action="store_true", help="serve off loopback without a secret: anyone may talk"
    )
    serve.add_argument(
        "--metrics-token", help="Bearer token for /metrics (or ASSISTANT_METRICS_TOKEN; default: the secret)"
    )

    bench = sub.add_parser("bench", help="measure latency, WER and interruptions on a suite, in real time")
    _common(bench)
    bench_command.add_arguments(bench)

    sub.add_parser("devices", help="list audio devices")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command `argv` names (default: the process's arguments); the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from assistant.privacy import keep_speech_out_of_logs

    keep_speech_out_of_logs()
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
            return bench_command.compare(args) if args.compare else bench_command.run(args, argv, _config)
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
