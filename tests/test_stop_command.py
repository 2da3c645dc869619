"""A spoken "stop" while the assistant talks: the reply is cut, nothing answers "stop", and no tool runs.

Real VAD, Whisper tiny.en and Piper throughout, in real time; the speech is synthesised with the bundled
Piper voice. The LLM is scripted where the test counts how often it was asked; the command-line test runs
`assistant simulate` with every bundled model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scripted import ScriptedLLM
from spoken import say, steady_voice
from test_conversation import spoken_segments

from assistant.config import load_config
from assistant.engine import Conversation
from assistant.engine.commands import is_stop_command, retracted
from assistant.engine.notices import model_words
from assistant.engine.replies import without_a_short_cut
from assistant.events import FinalTranscript, ReplyStarted
from assistant.llm import ToolRequest
from assistant.tools.builtin.notes import DB_NAME
from assistant.transports.simulate import SimulationOptions, simulate
from assistant.tts import Synthesizer

LONG_REPLY = (
    "Well, let me tell you a long story about the sea, the ships that sail on it, the sailors who steer "
    "them through storms, and the harbours where they rest at night, far from home."
)


@pytest.fixture(scope="module")
def voice() -> Synthesizer:
    return steady_voice()


def _cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(
        overrides=["llm.temperature=0", f"tools.data_dir={tmp_path / 'data'}", "tools.entry_points=false"]
    )


def _notes(tmp_path: Path) -> int:
    import sqlite3

    path = tmp_path / "data" / DB_NAME
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0])


@pytest.mark.parametrize("command", ["Stop.", "Please stop talking now."])
async def test_stop_during_a_reply_cuts_it_and_starts_no_other(tmp_path, voice, command) -> None:  # type: ignore[no-untyped-def]
    """A short "Stop." is judged once transcribed; a longer command is an interruption by its length
    first: either way the reply stops, history keeps what was heard, and no new reply answers it."""
    cfg = _cfg(tmp_path)
    llm = ScriptedLLM(LONG_REPLY, tool_requests=[ToolRequest("c1", "delete_notes", "{}")])
    question = say(voice, "Tell me a story about the sea.", tmp_path / "q.wav")
    stop = say(voice, command, tmp_path / "stop.wav")
    conv = Conversation(cfg, llm=llm)
    result = await simulate(cfg, [question, stop], SimulationOptions(barge_in_after_s=1.0), conv)
    report = result.report
    assert len(report["turns"]) == 1, report["turns"]  # the command is no turn of its own: no answer
    (turn,) = report["turns"]
    assert turn["interrupted"] and turn["timings_ms"]["barge_in"] < 600
    assert len(turn["assistant_text"]) < len(LONG_REPLY)
    # The model's call may arrive before the command (a fast stream): the gate refuses it, nothing runs.
    assert all(c.get("error") and "result" not in c for c in turn["tool_calls"]), turn["tool_calls"]
    # One reply (a refused call may give the model a second round within it, never a second reply).
    assert sum(isinstance(e, ReplyStarted) for e in result.events) == 1
    finals = [e.text for e in result.events if isinstance(e, FinalTranscript)]
    assert len(finals) == 2 and "stop" in finals[1].lower()
    assert [m.role for m in conv.history] == ["system", "user", "assistant"]
    # What was heard, less the short sentence it was cut in ("Well, let me tell": a small model copies it).
    kept = without_a_short_cut(model_words(turn["assistant_text"], interrupted=True))
    assert conv.history[-1].interrupted and conv.history[-1].content == kept
    # The speaker fell silent for good: one stretch of speech, ending soon after the command began.
    assert len(spoken_segments(result.speaker, result.output_rate)) == 1
    last_sound_s = np.flatnonzero(result.speaker)[-1] / result.output_rate
    assert last_sound_s < report["user_speech_s"][1][0] + 0.6
    assert _notes(tmp_path) == 0 and report["errors"] == []


async def test_never_mind_when_nothing_plays_gets_no_reply_and_no_tool(tmp_path, voice) -> None:  # type: ignore[no-untyped-def]
    """ "Delete it." comes first, with nothing done that it could take back (right after the note it
    would take that note back: tests/test_take_back.py)."""
    cfg = _cfg(tmp_path)
    llm = ScriptedLLM("Sure.", tool_requests=[ToolRequest("c1", "delete_notes", "{}")])
    vague = say(voice, "Delete it.", tmp_path / "vague.wav")
    note = say(voice, "Take a note: buy milk.", tmp_path / "note.wav")
    never = say(voice, "Never mind.", tmp_path / "never.wav")
    result = await simulate(cfg, [vague, note, never], conversation=Conversation(cfg, llm=llm))
    turns = result.report["turns"]
    heard = [(t["user_text"], t["assistant_text"]) for t in turns]
    questions = [i for i, t in enumerate(turns) if t["assistant_text"].startswith("Should I delete")]
    # Nothing asked, "Never mind." gets no turn and the note is taken. A pause at the note's colon may end
    # a turn on "Take a note.", which the scripted model answers with delete_notes: the assistant asks
    # first, and what the user says next ("buy milk", or else "Never mind") is no "yes": nothing is deleted.
    for i, (text, answer) in enumerate(heard):
        if is_stop_command(text):
            assert i - 1 in questions and answer == "Okay, I won't.", heard
    if not questions:
        assert any(c["name"] == "add_note" for t in turns[1:] for c in t["tool_calls"]), turns
    assert not any(c["name"] == "delete_notes" and "result" in c for t in turns for c in t["tool_calls"])
    vague_turn = turns[0]
    # "Delete it." names nothing: the model may call no tool (its prompt keeps them, for the cache), and
    # a call it makes anyway is refused.
    assert "delete it" in vague_turn["user_text"].lower()
    # (A speculative reply to the first words of a turn, taken back unheard, may have asked it before.)
    asked = [i for i, call in enumerate(llm.calls) if call[-1].content == vague_turn["user_text"]]
    assert asked and all(llm.allowed[i] == set() for i in asked), (llm.calls, llm.allowed)
    assert all("result" not in c for c in vague_turn["tool_calls"])
    assert _notes(tmp_path) == (0 if questions else 1)


async def test_a_pending_question_is_declined_by_cancel_and_a_later_yes_runs_nothing(tmp_path, voice) -> None:  # type: ignore[no-untyped-def]
    cfg = _cfg(tmp_path)
    llm = ScriptedLLM("Alright.")
    note = say(voice, "Take a note: call the plumber.", tmp_path / "note.wav")
    delete = say(voice, "Delete all my notes.", tmp_path / "delete.wav")
    cancel = say(voice, "Cancel.", tmp_path / "cancel.wav")
    yes = say(voice, "Yes.", tmp_path / "yes.wav")
    result = await simulate(cfg, [note, delete, cancel, yes], conversation=Conversation(cfg, llm=llm))
    _, asked, declined, late_yes = result.report["turns"]
    assert asked["assistant_text"].startswith("Should I delete all your notes")
    assert declined["assistant_text"] == "Okay, I won't."
    assert not late_yes["tool_calls"] and _notes(tmp_path) == 1


def test_assistant_simulate_stops_talking_when_told(tmp_path, voice) -> None:  # type: ignore[no-untyped-def]
    """The command line with the bundled models (Whisper tiny.en, Gemma, Piper): "Stop." cuts the reply
    and gets none of its own."""
    question = say(voice, "Tell me about the history of the city of Rome.", tmp_path / "q.wav")
    stop = say(voice, "Stop.", tmp_path / "stop.wav")
    report_path = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "assistant.cli", "simulate", str(question), str(stop), "--quiet",
           "--barge-in-after", "0.6", "--report", str(report_path), "--set", "llm.temperature=0",
           "--set", f"tools.data_dir={tmp_path / 'data'}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(report_path.read_text())
    (turn,) = report["turns"]
    assert turn["interrupted"] and turn["generated_text"].strip().startswith(turn["assistant_text"])
    assert not turn["tool_calls"] and report["errors"] == []


REQUESTS = [
    "Set a timer for ten minutes",
    "Call mom",
    "Delete my notes",
    "Play some jazz",
    "Add milk to my list",
]
REPAIRS = [
    ", no wait, cancel that.",
    " no wait cancel that",
    ". Actually, never mind.",
    ", sorry, forget it.",
    ", scratch that.",
]


@given(st.sampled_from(REQUESTS), st.sampled_from(REPAIRS))
def test_a_request_taken_back_at_its_end_is_a_command(request: str, repair: str) -> None:
    assert retracted(request + repair) and not is_stop_command(request + repair)


@pytest.mark.parametrize(
    "text",
    [
        "Turn off the lights, no wait, the kitchen lights.",  # a repair that says something else
        "Tell me a joke, no wait, tell me a story.",
        "Set a timer, then wait for me.",  # "wait" is the request's own verb
        "What is the time, sorry?",
        "No, wait, set a timer.",
        "Stop.",  # a stop command itself, not a request taken back
    ],
)
def test_a_repair_that_asks_for_something_else_is_a_request(text: str) -> None:
    assert not retracted(text)


async def test_a_request_taken_back_runs_no_tool_and_gets_no_reply(tmp_path, voice) -> None:  # type: ignore[no-untyped-def]
    """Said in one breath through VAD and Whisper, "Set a timer for ten minutes, no wait, cancel that."
    had the model say "I set a timer for 10 minutes, no wait." (2026-12-05): now nothing runs, nothing
    is said, and nothing of it stays in the history. (Every hold is 1.5 s here, so the pause at the comma
    ends no turn: when it does, the timer is set, and "No, wait, cancel that." cuts the reply and
    cancels it: tests/test_take_back.py.)"""
    holds = ("complete", "default", "incomplete", "sure_unfinished")
    cfg = load_config(
        overrides=[
            "llm.temperature=0",
            f"tools.data_dir={tmp_path / 'data'}",
            "tools.entry_points=false",
            *(f"turn.endpoint_{k}_ms=1500" for k in holds),
        ]
    )
    llm = ScriptedLLM("I set a timer for 10 minutes.")
    taken_back = say(voice, "Set a timer for ten minutes, no wait, cancel that.", tmp_path / "back.wav")
    conv = Conversation(cfg, llm=llm)
    result = await simulate(cfg, [taken_back], conversation=conv)
    finals = [e.text for e in result.events if isinstance(e, FinalTranscript)]
    assert finals and retracted(" ".join(finals)), finals
    assert result.report["turns"] == [] and not any(isinstance(e, ReplyStarted) for e in result.events)
    assert [m.role for m in conv.history] == ["system"] and not conv.tools.scheduler.pending(), conv.history
