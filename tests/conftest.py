"""Shared fixtures: real speech, generated noise, configs. Models are loaded once per test process."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import write_wav
from assistant.bench.suite import references as references  # the data README's table, for the tests
from assistant.config import Config, load_config

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def speech() -> dict[str, Path]:
    return {p.stem: p for p in DATA.glob("*.wav")}


@pytest.fixture
def cfg() -> Config:
    """The default config with greedy decoding, so that replies (and their lengths) are repeatable."""
    return load_config(overrides=["llm.temperature=0"])


@pytest.fixture(scope="session")
def noise_burst(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 ms of loud broadband noise (a cough, a door), with silence around it."""
    rng = np.random.default_rng(7)
    burst = (rng.standard_normal(4800) * 6000).astype(np.int16)
    audio = np.concatenate([np.zeros(1600, np.int16), burst, np.zeros(1600, np.int16)])
    path = tmp_path_factory.mktemp("noise") / "burst300ms.wav"
    write_wav(path, audio, 16000)
    return path


@pytest.fixture(scope="session")
def silence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("silence") / "silence.wav"
    write_wav(path, np.zeros(16000 * 2, np.int16), 16000)
    return path


def pytest_terminal_summary(terminalreporter) -> None:
    """The fuzz tests' case counts (tests/fuzzing.py), so that CI logs say how much was tried."""
    from fuzzing import TALLIES

    if TALLIES:
        terminalreporter.section("generated cases (hypothesis)")
        for tally in TALLIES:
            terminalreporter.line(tally.line())
