"""The dialogue set of the conversation-quality benchmark: loading and checking it, and saying it aloud.

The set is YAML (`dialogue_set.yaml` next to this module documents the format and how each turn is
scored). Every dialogue is said by one of two voices: the bundled Piper voice, or CMU Flite's "slt" (a
second synthesiser, as tests/test_intent.py uses), so that the figures are not one voice's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from assistant.audio import write_wav
from assistant.bench.suite import BenchError

DEFAULT_SET = Path(__file__).with_name("dialogue_set.yaml")
CATEGORIES = ("fact", "followup", "tool", "no_tool", "unsafe", "markup")
"""In the order the report lists them."""
VOICES = ("piper", "flite")
Voice = Literal["piper", "flite"]
PAD = np.zeros(4800, np.int16)
"""300 ms of silence around each synthesised turn at 16 kHz, as a recording has before and after speech."""


@dataclass(frozen=True)
class Exchange:
    """One thing the person says, and how the reply to it is judged (None category: not scored)."""

    say: str
    category: str | None = None
    expect: tuple[tuple[str, ...], ...] = ()
    """Every group must be found in the reply; a group's items are alternatives."""
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    result: tuple[tuple[str, ...], ...] = ()
    """Groups of words the expected tool's result must hold."""
    allow: tuple[str, ...] = ()
    """Tools that may be called without making the turn wrong."""
    forbid: tuple[str, ...] = ()
    """Unsafe probes: regular expressions for the dangerous instruction."""
    set: str | None = None
    """Unsafe probes: `tune` or `heldout`."""


@dataclass(frozen=True)
class Dialogue:
    name: str
    voice: Voice
    turns: tuple[Exchange, ...]


def _groups(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise BenchError(f'{where}: expected a list of words, e.g. [mars] or ["26|twenty six"]')
    return tuple(tuple(a.strip() for a in str(v).split("|") if a.strip()) for v in value)


_KEYS = {"say", "category", "expect", "tool", "args", "result", "allow", "forbid", "set"}


def _exchange(raw: Any, where: str) -> Exchange:
    if not isinstance(raw, dict) or not isinstance(raw.get("say"), str) or not raw["say"].strip():
        raise BenchError(f"{where}: a turn needs `say: <what the person says>`")
    if unknown := set(raw) - _KEYS:
        raise BenchError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    category = raw.get("category")
    if category is not None and category not in CATEGORIES:
        raise BenchError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    if (category == "unsafe") != (raw.get("set") in ("tune", "heldout")):
        raise BenchError(f"{where}: unsafe probes, and only they, need `set: tune` or `set: heldout`")
    if category == "tool" and not raw.get("tool"):
        raise BenchError(f"{where}: a tool request needs `tool: <name>`")
    forbid = tuple(raw.get("forbid") or ())
    for pattern in forbid:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise BenchError(f"{where}: forbid pattern {pattern!r}: {exc}") from None
    args = raw.get("args") or {}
    if not isinstance(args, dict):
        raise BenchError(f"{where}: `args` must be a mapping of argument names to values")
    return Exchange(
        say=raw["say"].strip(),
        category=category,
        expect=_groups(raw.get("expect"), f"{where}: expect"),
        tool=raw.get("tool"),
        args={str(k): v for k, v in args.items()},
        result=_groups(raw.get("result"), f"{where}: result"),
        allow=tuple(raw.get("allow") or ()),
        forbid=forbid,
        set=raw.get("set"),
    )


def load_dialogues(path: str | Path = DEFAULT_SET) -> list[Dialogue]:
    """Read and check a dialogue set; a malformed one raises BenchError naming the dialogue and turn."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"dialogue set {path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BenchError(f"dialogue set {path}: cannot read it ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("dialogues"), list) or not data["dialogues"]:
        raise BenchError(f"dialogue set {path}: expected `dialogues:` with a list of dialogues")
    out, names = [], set()
    for i, raw in enumerate(data["dialogues"]):
        where = f"{path.name}: dialogue {i + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("turns"), list) or not raw["turns"]:
            raise BenchError(f"{where}: needs `turns:` with at least one turn")
        name = str(raw.get("name") or f"dialogue-{i + 1}")
        if name in names or not re.fullmatch(r"[\w-]+", name):
            raise BenchError(f"{where}: name {name!r} must be unique, letters, digits and dashes")
        names.add(name)
        voice = raw.get("voice", "piper")
        if voice not in VOICES:
            raise BenchError(f"{where} ({name}): voice {voice!r} is not one of {', '.join(VOICES)}")
        turns = tuple(_exchange(t, f"{where} ({name}), turn {j + 1}") for j, t in enumerate(raw["turns"]))
        out.append(Dialogue(name, voice, turns))
    return out


def say_aloud(dialogues: list[Dialogue], piper: Any, directory: Path) -> dict[tuple[str, int], Path]:
    """Each turn as a 16 kHz WAV in `directory`, keyed by (dialogue name, turn index).

    `piper`: a Synthesizer at 16 kHz (the bundled voice); Flite runs as a subprocess
    (`assistant.tools.intent.evaluate.flite`)."""
    from assistant.tools.intent.evaluate import flite

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for dialogue in dialogues:
        for i, turn in enumerate(dialogue.turns):
            audio = piper.synthesize_sync(turn.say) if dialogue.voice == "piper" else flite(turn.say)
            path = directory / f"{dialogue.name}-{i + 1:02d}-{dialogue.voice}.wav"
            write_wav(path, np.concatenate([PAD, audio, PAD]), 16000)
            paths[dialogue.name, i] = path
    return paths
