"""Faults in the model path, through whole conversations with real speech: each is said aloud within 2 s,
the session survives, nothing stored is lost, and the next turn works once the fault clears.

The LLM faults go through a real reverse proxy (mitmproxy, tests/fault_proxy.py) in front of
llama-cpp-python's real server; the TTS fault wraps the real Piper voice; the disk faults are a real tmpfs
filled up and remounted read-only. Each test prints its figures (time to the spoken explanation, the next
turn's voice-to-voice) for docs/reliability.md.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fault_proxy import fault_proxy
from llm_server import llama_server
from scripted import ScriptedLLM
from spoken import say, steady_voice

from assistant.config import Config, load_config
from assistant.engine import Conversation
from assistant.engine.notices import FAULT_NOTICES, TTS_FAILED
from assistant.engine.tool_turn import FILLER
from assistant.events import ErrorOccurred, ReplyEnded, ReplySpoken, ReplyStarted
from assistant.transports.simulate import SimulationOptions, SimulationResult, simulate
from assistant.tts import Synthesizer

EXPLAIN_WITHIN_MS = 2000


def replies(result: SimulationResult) -> list[dict[str, Any]]:
    """Per reply that started playing: when it started (the endpoint), its first error, what was heard
    and when, from the events the simulation saw (seconds from its start, to one 20 ms frame)."""
    out: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    early: float | None = None  # an error of the speculative reply, before the endpoint started it
    for t, event in zip(result.event_times, result.events, strict=True):
        if isinstance(event, ErrorOccurred):
            if current is not None:
                current["error"] = current["error"] or t
            elif early is None:
                early = t
        elif isinstance(event, ReplyStarted):
            current = out[event.reply_id] = {"started": t, "error": early, "spoken": []}
            early = None
        elif isinstance(event, ReplySpoken) and event.reply_id in out:
            out[event.reply_id]["spoken"].append((t, event.text))
        elif isinstance(event, ReplyEnded) and event.reply_id in out:
            current = None
    return list(out.values())


def explanation_ms(reply: dict[str, Any], sentence: str) -> float:
    """From when the reply would have started (or the fault, if later) to the explanation's first sample."""
    start = max(reply["started"], reply["error"] or 0.0)
    heard = [t for t, text in reply["spoken"] if text == sentence]
    assert heard, f"{sentence!r} was not said: {reply['spoken']}"
    return round((heard[0] - start) * 1000, 1)


def voice_to_voice(turn: dict[str, Any]) -> float:
    return turn["timings_ms"]["voice_to_voice"]


def first_audio(turn: dict[str, Any]) -> float:
    """The first thing the user hears: the "One moment." filler when it played, else the answer."""
    timings = turn["timings_ms"]
    return timings.get("filler") or timings["voice_to_voice"]


# ----------------------------------------------------------------------------- the LLM server


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # One thread: the server's speed is not under test, and a lone thread keeps its pace on a busy machine
    # where two spin at every barrier.
    with llama_server(n_threads=1) as (base, _), fault_proxy(base, tmp_path_factory.mktemp("proxy")) as proxy:
        yield proxy


def server_cfg(base_url: str, *extra: str) -> Config:
    return load_config(
        overrides=[
            "llm.backend=openai",
            f"llm.base_url={base_url}",
            "llm.model=gemma",
            "llm.prompt=fewshot",
            "llm.temperature=0",
            "llm.max_tokens=24",
            "tools.llm_calls=false",
            *extra,
        ]
    )


LLM_FAULTS = [  # (fault, what the user must hear, reported error)
    ("refuse", "Sorry, I lost my connection to the language model.", "dropped the answer"),
    ("down", "Sorry, I lost my connection to the language model.", "answered 502"),
    ("garbage", "Sorry, the language model sent an answer I can't read.", "not a completion stream"),
    # A cut body ends cleanly without a finish_reason, or breaks the chunked encoding: either is a drop.
    ("cut", "Sorry, I lost my connection to the language model.", "dropped the answer"),
    ("hang", "Sorry, the language model is not answering.", "sent nothing for 8 s"),
]


async def test_llm_server_faults_through_a_proxy_are_said_and_the_next_turn_works(proxied_server, speech):
    """ok, then each fault followed by a turn with the fault cleared, then a slow server that answers."""
    proxy = proxied_server
    schedule = ["ok"]
    for fault, _, _ in LLM_FAULTS:
        schedule += [fault, "ok"]
    schedule.append("slow")
    voices = ["cards-001", "cards-003", "goforward", "cards-002", "forever"]
    inputs = [speech[voices[i % len(voices)]] for i in range(len(schedule))]
    cfg = server_cfg(proxy.base_url)

    def before(i: int) -> None:
        proxy.set(schedule[i])
        # Give up on the hung server after 8 s; elsewhere wait as long as a user would (the server is
        # only slow when the machine is busy, and that is not the fault under test).
        cfg.llm.request_timeout_s = 8 if schedule[i] == "hang" else 30

    options = SimulationOptions(before_input=before, reply_timeout_s=40)
    try:
        result = await simulate(cfg, inputs, options, Conversation(cfg))
    finally:
        proxy.set("ok")
    turns, spoken = result.report["turns"], replies(result)
    assert len(turns) == len(schedule) == len(spoken), [t["user_text"] for t in turns]
    baseline = voice_to_voice(turns[0])
    assert "error" not in turns[0] and turns[0]["assistant_text"].removeprefix(FILLER).strip()
    figures = []
    for k, (fault, sentence, reported) in enumerate(LLM_FAULTS):
        i = 1 + 2 * k
        turn, after = turns[i], turns[i + 1]
        assert reported in turn["error"], (fault, turn)
        assert turn["assistant_text"].endswith(sentence), (fault, turn["assistant_text"])
        # From the fault (or the endpoint, if later) to the explanation; a cut answer is heard up to the
        # cut, a hung one gets "One moment." first and the apology when request_timeout_s runs out.
        delay = explanation_ms(spoken[i], sentence)
        first_sound = first_audio(turn) - turn["timings_ms"]["endpoint"]
        if fault == "hang":
            assert spoken[i]["spoken"][0][1] == FILLER, spoken[i]
        assert first_sound < EXPLAIN_WITHIN_MS and delay < EXPLAIN_WITHIN_MS, (fault, first_sound, delay)
        assert "error" not in after and after["assistant_text"].removeprefix(FILLER).strip(), (fault, after)
        # The next turn tells of no fault; what the model answers is the base model's (a read-back may get
        # the engine's "could you tell me a bit more?", which is a working turn).
        assert not any(text in FAULT_NOTICES for _, text in spoken[i + 1]["spoken"]), (fault, after)
        figures.append((fault, first_sound, delay, voice_to_voice(after)))
    slow = turns[-1]
    assert "error" not in slow and slow["assistant_text"].startswith(FILLER), slow
    assert len(slow["assistant_text"]) > len(FILLER) + 3, "the slow server's answer must follow"
    print(f"\nbaseline voice-to-voice {baseline:.0f} ms")
    for fault, first, delay, recovered in figures:
        print(f"{fault}: first sound {first:.0f} ms, explained {delay:.0f} ms, next turn {recovered:.0f} ms")
    slow_notice = spoken[-1]["spoken"][0][0] - spoken[-1]["started"]
    print(f"slow (3 s): 'One moment.' at {slow_notice * 1000:.0f} ms, then the answer")


# ----------------------------------------------------------------------------- text-to-speech


class FlakySynthesizer(Synthesizer):
    """The real Piper voice, made to raise on any text with `trigger` in it while `broken`."""

    broken = False
    trigger = "meters"

    async def synthesize(self, text: str, urgent: bool = False) -> np.ndarray:
        if self.broken and self.trigger in text:
            raise RuntimeError(f"onnxruntime failed on {text!r}")
        return await super().synthesize(text, urgent)


async def test_tts_raising_on_a_text_is_said_and_the_next_turn_works(cfg, speech):
    """The LLM is scripted so that the failing clause is known: "Right." is said, the clause Piper fails
    on is replaced by the apology, and the next turn is said whole. (Not "Sure." to "Go forward 10
    meters.", nor "Driving forward ...": with no tool called, they claim the deed and are cut.)"""
    llm = ScriptedLLM("Right. Ten meters is far.")  # short: said again, it is no repeat
    conv = Conversation(cfg, llm=llm)
    flaky = FlakySynthesizer(cfg.tts, cfg.audio.output_sample_rate)
    conv.tts = flaky

    def before(i: int) -> None:
        flaky.broken = i == 1

    inputs = [speech["cards-001"], speech["goforward"], speech["cards-003"]]
    result = await simulate(cfg, inputs, SimulationOptions(before_input=before), conv)
    assert len(result.report["turns"]) == 3, result.report
    first, failed, after = result.report["turns"]
    spoken = replies(result)
    assert first["assistant_text"] == after["assistant_text"] == llm.reply
    assert failed["assistant_text"] == f"Right. {TTS_FAILED}", failed
    assert any(e.startswith("tts: could not synthesise") for e in result.report["errors"])
    delay = explanation_ms(spoken[1], TTS_FAILED)
    assert delay < EXPLAIN_WITHIN_MS
    # The model's history holds what of its words was heard, not the clause that was never said.
    assert [m.content for m in conv.history if m.role == "assistant"][1] == "Right."
    print(f"\ntts: explained {delay:.0f} ms after the reply began, next turn {voice_to_voice(after):.0f} ms")


# ----------------------------------------------------------------------------- tools and notes

HANGING_TOOL = '''
import time
from pathlib import Path
from typing import Literal

from assistant.tools import tool

STUCK = Path(__file__).with_suffix(".stuck")


@tool(timeout_s=2, examples=["go forward ten meters", "drive back two meters"])
def drive(direction: Literal["forward", "back"], meters: int) -> str:
    """Drive the floor robot forward or back."""
    while STUCK.exists():  # the robot's controller does not answer
        time.sleep(0.05)
    return f"Driving {direction} {meters} meters."
'''


async def test_a_tool_hanging_past_its_timeout_is_said_and_the_next_turn_works(tmp_path, speech):
    tools_file = tmp_path / "robot.py"
    tools_file.write_text(textwrap.dedent(HANGING_TOOL))
    stuck = tools_file.with_suffix(".stuck")
    cfg = load_config(
        overrides=["llm.temperature=0", f"tools.data_dir={tmp_path}", "tools.entry_points=false"]
    )
    cfg.tools.load = [str(tools_file)]

    def before(i: int) -> None:
        stuck.touch() if i == 0 else stuck.unlink(missing_ok=True)

    try:
        options = SimulationOptions(before_input=before)
        result = await simulate(cfg, [speech["goforward"], speech["goforward"]], options, Conversation(cfg))
    finally:
        stuck.unlink(missing_ok=True)  # lets the hung thread go
    hung, after = result.report["turns"]
    (call,) = hung["tool_calls"]
    assert call["name"] == "drive" and call["error"] == "timed out after 2 s", call
    assert hung["assistant_text"] == "One moment. Sorry, that didn't work: timed out after 2 s", hung
    first_sound = first_audio(hung) - hung["timings_ms"]["endpoint"]
    assert first_sound < EXPLAIN_WITHIN_MS
    assert after["tool_calls"][0].get("result") == "Driving forward 10 meters.", after
    assert after["assistant_text"] == "Driving forward 10 meters."
    print(f"\ntool hang: 'One moment.' {first_sound:.0f} ms, next turn {voice_to_voice(after):.0f} ms")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB tmpfs (CI runs as root, as this machine does)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


async def test_a_full_or_read_only_notes_disk_is_said_and_nothing_stored_is_lost(tmp_path, small_disk):
    voice = steady_voice()
    data = small_disk / "notes"
    cfg = load_config(overrides=["llm.temperature=0", f"tools.data_dir={data}", "tools.entry_points=false"])
    add_milk = say(voice, "Add a note to buy milk.", tmp_path / "milk.wav")
    add_plumber = say(voice, "Add a note to call the plumber.", tmp_path / "plumber.wav")
    read = say(voice, "Read my notes.", tmp_path / "read.wav")
    steps = [  # (what happens to the disk before the turn, what is said)
        (lambda: None, add_milk),
        (lambda: fill(small_disk), add_plumber),
        (lambda: None, read),
        (lambda: ((small_disk / "filler").unlink(), remount(small_disk, "ro")), add_plumber),
        (lambda: None, read),
        (lambda: remount(small_disk, "rw"), add_plumber),
    ]
    options = SimulationOptions(before_input=lambda i: steps[i][0]())
    result = await simulate(cfg, [path for _, path in steps], options, Conversation(cfg))
    turns = result.report["turns"]
    texts = [t["assistant_text"] for t in turns]
    assert texts[0] == "Noted: buy milk."
    assert texts[1] == "Sorry, that didn't work: the disk is full, so nothing was changed", turns[1]
    assert texts[2] == "You have 1 note: buy milk."
    assert texts[3] == "Sorry, that didn't work: the notes folder is read-only, so nothing was changed", texts
    assert texts[4] == "You have 1 note: buy milk."
    assert texts[5] == "Noted: call the plumber."
    for i in (1, 3):
        assert voice_to_voice(turns[i]) - turns[i]["timings_ms"]["endpoint"] < EXPLAIN_WITHIN_MS
    # A restart reads both notes back: nothing stored was lost.
    again = await simulate(cfg, [read], conversation=Conversation(cfg))
    reread = again.report["turns"][0]["assistant_text"]
    assert reread == "You have 2 notes, newest first: call the plumber; buy milk.", reread
    delays = [voice_to_voice(turns[i]) - turns[i]["timings_ms"]["endpoint"] for i in (1, 3)]
    print(f"\nnotes: disk full said at {delays[0]:.0f} ms, read-only at {delays[1]:.0f} ms")
