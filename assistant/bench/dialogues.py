"""The scripted dialogues of each pass: which recordings are said into one conversation, and how.

A scenario is one `simulate` call, so one conversation. The plain pass gives every file a conversation of
its own, so that each turn is known to belong to its file (WER per file needs that).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import write_wav
from assistant.bench.passes import PASSES
from assistant.bench.suite import Suite
from assistant.config import Config
from assistant.transports.simulate import SimulationOptions

__all__ = ["PASSES", "Scenario"]

BACKCHANNELS = ("Mm-hmm.", "Yeah.")


@dataclass(frozen=True)
class Scenario:
    pass_name: str
    inputs: list[Path]
    options: SimulationOptions
    distraction: str | None = None
    """What is played over the reply: "noise" or a backchannel's words; None for ordinary turns."""
    labels: list[dict[str, Any]] = field(default_factory=list)
    """Per input of a use-like pass (usecases.py): what it is (name, kind, reference, speech_s, ...)."""


def noise_burst(path: Path) -> Path:
    """300 ms of loud broadband noise (a cough, a door) between 100 ms silences."""
    rng = np.random.default_rng(3)
    burst = rng.standard_normal(4800) * 6000
    write_wav(path, np.concatenate([np.zeros(1600), burst, np.zeros(1600)]).astype(np.int16), 16000)
    return path


def backchannels(cfg: Config, directory: Path) -> dict[str, Path]:
    """ "Mm-hmm" and "yeah" in the configured voice at 16 kHz, with 200 ms of silence around them."""
    from assistant.tts import Synthesizer

    tts = Synthesizer(cfg.tts, 16000)
    pad = np.zeros(3200, np.int16)
    out = {}
    for words in BACKCHANNELS:
        path = directory / f"{words.strip('.').lower()}.wav"
        write_wav(path, np.concatenate([pad, tts.synthesize_sync(words), pad]), 16000)
        out[words] = path
    return out


def plain(suite: Suite) -> list[Scenario]:
    return [Scenario("plain", [f.path], SimulationOptions()) for f in suite.files]


def sessions(suite: Suite, turns: int = 1) -> list[Scenario]:
    """The plain pass again, run by each of several conversations at once; with `turns` above 1, that many
    files said one after another in each conversation (its history grows as people's does)."""
    if turns <= 1:
        return [replace(sc, pass_name="sessions") for sc in plain(suite)]
    paths = [f.path for f in suite.files]
    return [
        Scenario("sessions", paths[i : i + turns], SimulationOptions()) for i in range(0, len(paths), turns)
    ]


def barge_in(suite: Suite) -> list[Scenario]:
    """Each recording starts 0.5 s into the reply to the one before, as an impatient user would."""
    return [Scenario("barge_in", suite.barge_in, SimulationOptions(barge_in_after_s=0.5))]


def false_interruptions(suite: Suite, noise: Path, spoken: dict[str, Path]) -> list[Scenario]:
    """A question, then 0.6 s into the reply a noise burst or a backchannel: the reply should resume."""
    options = SimulationOptions(barge_in_after_s=0.6)
    out = [Scenario("noise", [q, noise], options, "noise") for q in suite.questions]
    for i, (words, path) in enumerate(spoken.items()):
        question = suite.questions[i % len(suite.questions)]
        out.append(Scenario("noise", [question, path], options, words))
    return out


DRIFT_PPM = 300.0
"""The drifting loudspeaker of the echo pass: a microphone whose clock runs this much faster than the
speaker's (two USB devices drift by tens to hundreds of ppm)."""


def echo(suite: Suite) -> list[Scenario]:
    """The assistant's voice mixed back at -6 dB like a loudspeaker: once over the whole suite in one
    conversation (self-interruptions), once with real interruptions (barge-in through the echo); then both
    again with the microphone's clock drifting from the speaker's (`DRIFT_PPM`), which the canceller does
    not follow (`engine/echo_gate.py`, `MEASURED_MS`)."""
    files = [f.path for f in suite.files]
    drifting = SimulationOptions(echo_db=-6, echo_drift_ppm=DRIFT_PPM)
    barging = SimulationOptions(barge_in_after_s=0.5, echo_db=-6, echo_drift_ppm=DRIFT_PPM)
    return [
        Scenario("echo", files, SimulationOptions(echo_db=-6)),
        Scenario("barge_in_echo", suite.barge_in, SimulationOptions(barge_in_after_s=0.5, echo_db=-6)),
        Scenario("echo_drift", files, drifting),
        Scenario("barge_in_echo_drift", suite.barge_in, barging),
    ]
