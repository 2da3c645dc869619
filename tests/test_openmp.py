"""OpenMP threads spin briefly (assistant/openmp.py): set on import, before any model library loads,
unless the user chose a spin count or a wait policy. The figures behind it are in docs/reliability.md
(`scripts/cpu_load.py` beside `scripts/soak.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import os, assistant, llama_cpp, ctranslate2; "
    "maps = open('/proc/self/maps').read(); "
    "print(os.environ.get('GOMP_SPINCOUNT'), 'libgomp' in maps)"
)


def probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_the_spin_count_is_set_before_the_model_libraries_load() -> None:
    assert probe() == "10000 True"  # libgomp is loaded, and after the variable was set


def test_the_users_choice_wins() -> None:
    assert probe(GOMP_SPINCOUNT="500") == "500 True"
    assert probe(OMP_WAIT_POLICY="PASSIVE") == "None True"
