"""A fast-path call the tool cannot read is tried again from ASR's other hypotheses (the beam).

Whisper tiny.en heard "Convert seventy degrees Fahrenheit to Celsius." as "... to soles.", "... to
solstice." and "... to solsis." in the spoken dialogue pass; the units tool knows no such unit, and the
model, handed the turn, made up "70 degrees Fahrenheit is 14.83 soles.". The beam searched again from the
final pass's kept encoding had "... to Celsius." among its hypotheses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from lone_reply import lone_reply
from scripted import ScriptedLLM
from spoken import say, steady_voice

from assistant.asr import Transcriber
from assistant.asr.streaming import StreamingRecognizer
from assistant.audio import read_audio
from assistant.config import load_config
from assistant.engine import Conversation
from assistant.engine.claims import TOOL_FAILED
from assistant.engine.reply import Reply
from assistant.engine.tooling import ToolHost, toolbox_for
from assistant.llm import Message
from assistant.transports.simulate import simulate

MODEL_SAYS = "Seventy degrees Fahrenheit is 14.83 soles."
ASKED = "Convert seventy degrees Fahrenheit to Celsius."


async def _fast_path(tmp_path: Path, heard: str, hypotheses: Sequence[str]) -> tuple[Reply, str, list[int]]:
    """One reply to `heard` with the built-in tools, whose beam (asked for on demand) gives
    `hypotheses`; what it said, and how often the beam was asked."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda text: None, asyncio.ensure_future, True)
    asked: list[int] = []

    async def rehear() -> tuple[str, ...]:
        asked.append(1)
        return tuple(hypotheses)

    messages = [Message("system", "You are a helpful assistant."), Message("user", heard)]
    reply, said = await lone_reply(cfg, messages, ScriptedLLM(MODEL_SAYS), tools=host, rehear=rehear)
    host.close()
    return reply, said, asked


async def test_a_unit_that_sounds_like_one_is_read_without_the_beam(tmp_path: Path) -> None:
    """ "soles", "solace", "solsis": the units tool takes a name that sounds exactly like an everyday
    unit for that unit, and says which it used."""
    reply, said, asked = await _fast_path(
        tmp_path, "Convert 70 degrees Fahrenheit to soles.", ["Convert 70 degrees Fahrenheit to Celsius."]
    )
    assert [(c.name, c.error) for c in reply.tool_calls] == [("convert_units", None)], reply.tool_calls
    assert said == "70 degrees Fahrenheit is 21.1 degrees Celsius." and asked == [], said


async def test_a_unit_the_tool_does_not_know_is_looked_for_in_the_beam(tmp_path: Path) -> None:
    reply, said, asked = await _fast_path(
        tmp_path,
        "Convert 70 degrees Fahrenheit to solstice.",
        ["Convert 70 degrees Fahrenheit dysolceus.", "Convert 70 degrees Fahrenheit to Celsius."],
    )
    misread, right = reply.tool_calls
    assert misread.name == right.name == "convert_units" and misread.misread and misread.error
    assert right.error is None and right.extra["heard_as"] == "Convert 70 degrees Fahrenheit to Celsius."
    assert "21" in said and "Celsius" in said and "solstice" not in said, said
    assert asked == [1]


async def test_without_a_readable_hypothesis_the_model_answers_as_before(tmp_path: Path) -> None:
    """ "How many meters is a football pitch?": no hypothesis names a unit; the model's turn."""
    reply, said, asked = await _fast_path(
        tmp_path,
        "How many meters is a football pitch?",
        ["How many metres is a football pitch?", "How many meters is the football pitch?"],
    )
    assert all(c.name == "convert_units" and c.misread for c in reply.tool_calls), reply.tool_calls
    assert said.removeprefix("One moment.").strip() == MODEL_SAYS and asked == [1]


async def test_another_tool_in_the_beam_is_not_taken(tmp_path: Path) -> None:
    """The hypotheses refine the misread call's arguments; a different request further down the beam is
    a different request, not a mishearing of this one."""
    reply, said, _ = await _fast_path(
        tmp_path, "Convert 70 degrees Fahrenheit to solstice.", ["Set a timer for seventy seconds."]
    )
    assert [c.name for c in reply.tool_calls] == ["convert_units"], reply.tool_calls
    assert said == f"{TOOL_FAILED}: I don't know the unit solstice.", said


async def test_a_command_no_hypothesis_makes_readable_is_answered_by_the_tool_not_made_up(
    tmp_path: Path,
) -> None:
    """ "Convert 70 degrees Fahrenheit to solstice." (spoken pass of 2026-12-04; the beam had "solace"
    and "solesus", which now read as Celsius by their sound; here two that sound like no unit): the
    model, handed the turn, said "... is 46.2 degrees Celsius."; now the user hears that the unit was not
    understood, and the model is not asked. A question of the same shape still goes to the model (above:
    the football pitch)."""
    reply, said, asked = await _fast_path(
        tmp_path,
        "Convert 70 degrees Fahrenheit to solstice.",
        ["Convert 70 degrees Fahrenheit to sole cues.", "Convert 70 degrees Fahrenheit to cell cells"],
    )
    assert len(reply.tool_calls) == 3 and all(c.misread for c in reply.tool_calls), reply.tool_calls
    assert said == f"{TOOL_FAILED}: I don't know the unit solstice.", said
    assert MODEL_SAYS not in said and asked == [1]


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(load_config().asr)


def test_a_final_pass_keeps_its_beam_for_later(transcriber: Transcriber, tmp_path: Path) -> None:
    """Real Whisper on the bundled voice: a final pass that needed no second look keeps what the beam
    needs, and searching it later gives the beam's other hypotheses, none of them the best one; a final
    pass without tools keeps nothing."""
    path = say(steady_voice(), ASKED, tmp_path / "c.wav")
    audio = read_audio(path)
    final = StreamingRecognizer(transcriber).final_sync(audio, second_look=lambda _: False)
    assert final.transcript.text and final.transcript.alternatives == ()
    assert final.transcript.rehear is not None
    hypotheses = asyncio.run(final.transcript.rehear())
    assert hypotheses and final.transcript.text not in hypotheses, hypotheses
    assert any("fahrenheit" in h.lower() for h in hypotheses), hypotheses
    assert StreamingRecognizer(transcriber).final_sync(audio).transcript.rehear is None


async def test_spoken_conversion_is_answered_by_the_tool(tmp_path: Path) -> None:
    """Through VAD and Whisper with the built-in tools, in the tests' steady voice: the fast path calls the
    conversion; when the tool cannot read the unit Whisper heard, the beam's other hypotheses are tried;
    the answer comes from the tool when one of them reads, and the model is not asked then.

    In this voice tiny.en hears "to soles" or "to solesus" and the beam holds no "Celsius": for an
    English word the user hears that the unit was not understood, and the model is not asked (it had made
    the result up); for a word no lexicon knows the model is made to write the call (`required`). With
    Piper's noise on, about half the renderings are mended from the beam; this test had asserted that
    every one was, and failed on 2 of 4 runs."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    llm = ScriptedLLM(MODEL_SAYS)
    question = say(steady_voice(), ASKED, tmp_path / "q.wav")
    result = await simulate(cfg, [question], conversation=Conversation(cfg, llm=llm))
    (turn,) = [t for t in result.report["turns"] if t["user_text"]]
    calls = turn["tool_calls"]
    assert calls and calls[0]["name"] == "convert_units", turn
    if "error" in calls[0]:  # misheard: the beam's hypotheses are tried, each heard otherwise
        assert len(calls) >= 2 and all(c["name"] == "convert_units" for c in calls), calls
        assert all(c["heard_as"] != turn["user_text"] for c in calls[1:]), calls
    if "error" not in calls[-1]:
        assert "21" in turn["assistant_text"] and "soles" not in turn["assistant_text"], turn
        assert not any(m.content == turn["user_text"] for call in llm.calls for m in call[-1:]), llm.calls
    elif llm.calls:  # a word no lexicon knows ("solesus"): the model must write the call
        assert llm.required[:1] == ["convert_units"], (turn, llm.required)
    else:  # an English word ("soles"): the user hears that the unit was not understood
        assert "don't know the unit" in turn["assistant_text"], turn
