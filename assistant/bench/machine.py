"""What a benchmark ran on: figures from another machine or another config are not comparable."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from assistant.config import Config


def _proc_field(path: str, key: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.split(":", 1)[0].strip() == key), None)


def describe_machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and Python of this machine."""
    mem_kib = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kib.split()[0]) / 1024**2, 1) if mem_kib else None,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def describe_config(cfg: Config, path: str | None, overrides: list[str]) -> dict[str, Any]:
    """The models and engines that decide the figures, and how to get the same config again."""
    return {
        "file": path or "configs/default.yaml",
        "overrides": overrides,
        "asr": cfg.asr.model,
        "llm": f"{cfg.llm.backend}:{cfg.llm.model}",
        "vad": cfg.vad.engine,
        "tts": cfg.tts.voice,
        "full": cfg.model_dump(mode="json"),
    }
