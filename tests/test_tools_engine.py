"""Tools inside whole conversations: real VAD, Whisper, Piper and real-time simulation.

The LLM is scripted where the test needs a model that asks for a tool on cue (Gemma 270M does not);
the fast path, the timers and the real OpenAI-compatible server tests use real models throughout.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scripted import ScriptedLLM
from spoken import say, steady_voice

from assistant.audio import write_wav
from assistant.config import Config, load_config
from assistant.engine import Conversation
from assistant.events import ReplySpoken
from assistant.llm import ToolRequest
from assistant.tools.intent.evaluate import PAD, flite
from assistant.transports.simulate import SimulationOptions, simulate
from assistant.tts import Synthesizer

TOOLS = '''
import asyncio
import json
from pathlib import Path
from typing import Annotated

from assistant.tools import tool

STATE = Path(__file__).with_suffix(".state.json")


def _log(event: str) -> None:
    log = json.loads(STATE.read_text()) if STATE.exists() else []
    STATE.write_text(json.dumps([*log, event]))


@tool
def order_status(order_id: Annotated[int, "the order number"]) -> dict:
    """Look up where an order is."""
    _log(f"status {order_id}")
    return {"order": order_id, "status": "shipped", "arrives": "Tuesday"}


@tool
def broken_lookup(order_id: int) -> str:
    """Look up an order in a database that is down."""
    raise ConnectionError("the order database is down")


@tool(timeout_s=30)
async def slow_search(query: str) -> str:
    """Search a slow archive."""
    _log("search started")
    try:
        await asyncio.sleep(8)
    except asyncio.CancelledError:
        _log("search cancelled")
        raise
    _log("search finished")
    return "nothing found"


@tool(confirm=True, cancel_on_interrupt=False)
def delete_account(confirmed: bool = False) -> str:
    """Delete the user's account."""
    _log(f"deleted confirmed={confirmed}")
    return "Your account is deleted."
'''


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop_tools.py"
    path.write_text(textwrap.dedent(TOOLS))
    return path


def tool_log(tools_file: Path) -> list[str]:
    import json

    state = tools_file.with_suffix(".state.json")
    return json.loads(state.read_text()) if state.exists() else []


@pytest.fixture(scope="module")
def voice() -> Synthesizer:
    return steady_voice()


def tool_cfg(tools_file: Path | None, tmp_path: Path, *extra: str) -> Config:
    overrides = [
        "llm.temperature=0",
        f"tools.data_dir={tmp_path / 'data'}",
        "tools.entry_points=false",
        *extra,
    ]
    if tools_file is not None:
        overrides += ["tools.builtin=false", "tools.intent=false", "tools.llm_calls=true"]
    cfg = load_config(overrides=overrides)
    if tools_file is not None:
        cfg.tools.load = [str(tools_file)]
    return cfg


async def test_llm_tool_call_result_goes_back_to_the_model(tmp_path, tools_file, voice):
    cfg = tool_cfg(tools_file, tmp_path)
    llm = ScriptedLLM(
        "Your order has shipped and arrives on Tuesday.",
        tool_requests=[ToolRequest("call_1", "order_status", '{"order_id": "42"}')],
    )
    question = say(voice, "Where is my order forty two?", tmp_path / "q.wav")
    result = await simulate(cfg, [question], conversation=Conversation(cfg, llm=llm))
    (turn,) = result.report["turns"]
    (call,) = turn["tool_calls"]
    assert call["name"] == "order_status" and call["via"] == "llm"
    assert call["arguments"] == {"order_id": "42"}
    assert call["result"] == {"order": 42, "status": "shipped", "arrives": "Tuesday"}
    assert call["ms"] >= 0
    assert [t.name for t in llm.offered[0]] == [
        "order_status",
        "broken_lookup",
        "slow_search",
        "delete_account",
    ]
    # The second round saw the request and its result, as data.
    second = llm.calls[-1]
    assert second[-2].tool_calls[0].name == "order_status"
    assert second[-1].role == "tool" and '"shipped"' in second[-1].content
    assert "shipped" in turn["assistant_text"] and tool_log(tools_file) == ["status 42"]


class EchoingCaller(ScriptedLLM):
    """A small model's habit, seen from vLLM's Qwen: after the result it calls the tool again with the
    result's fields as arguments (refused), then asks once more, and never says anything itself."""

    async def stream(self, messages, tools=(), allowed=None, required=None):  # type: ignore[no-untyped-def]
        self.calls.append(list(messages))
        await asyncio.sleep(self.delay_s)
        if messages[-1].role == "user":
            yield ToolRequest("c1", "order_status", '{"order_id": 42}')
        else:
            yield ToolRequest("c2", "order_status", '{"order_id": 42, "status": "shipped"}')


async def test_a_bad_repeat_of_a_call_does_not_hide_the_answer(tmp_path, tools_file, voice):
    """The user hears the order's status, not the refusal of the model's confused second call."""
    cfg = tool_cfg(tools_file, tmp_path)
    llm = EchoingCaller("")
    question = say(voice, "Where is my order forty two?", tmp_path / "q.wav")
    result = await simulate(cfg, [question], conversation=Conversation(cfg, llm=llm))
    (turn,) = result.report["turns"]
    good, bad = turn["tool_calls"]
    assert good["result"]["status"] == "shipped" and bad["error"].startswith("invalid arguments")
    assert "tuesday" in turn["assistant_text"].lower() and "didn't work" not in turn["assistant_text"]
    assert tool_log(tools_file) == ["status 42"]


async def test_a_raising_tool_is_explained_and_the_session_goes_on(tmp_path, tools_file, voice, speech):
    cfg = tool_cfg(tools_file, tmp_path)
    llm = ScriptedLLM(
        "Sorry, I can't reach the order system right now.",
        tool_requests=[
            ToolRequest("c1", "broken_lookup", '{"order_id": 7}'),
            ToolRequest("c2", "no_such_tool", "{}"),
            ToolRequest("c3", "order_status", '{"order_id": "seven"}'),
        ],
    )
    question = say(voice, "Where is order seven?", tmp_path / "q.wav")
    result = await simulate(cfg, [question, speech["goforward"]], conversation=Conversation(cfg, llm=llm))
    first, second = result.report["turns"]
    errors = [c["error"] for c in first["tool_calls"]]
    assert errors[0] == "ConnectionError: the order database is down"
    assert errors[1] == "there is no tool named 'no_such_tool'"
    assert errors[2].startswith("invalid arguments: order_id:")
    assert all(m.content.startswith('{"error"') for m in llm.calls[1][-3:])
    assert "can't reach" in first["assistant_text"]
    assert second["assistant_text"] and result.report["errors"] == []


async def test_a_call_the_user_did_not_ask_for_is_not_run_nor_its_refusal_said(tmp_path, voice, speech):
    """A server's model calls calculate for a statement: the call is refused and its error (written for
    the model: "the user did not ask for ...") goes back to the model, never to the user's ears."""
    cfg = tool_cfg(None, tmp_path, "tools.llm_calls=true")
    llm = ScriptedLLM("", tool_requests=[ToolRequest("c1", "calculate", '{"expression": "2 + 2"}')])
    result = await simulate(cfg, [speech["forever"]], conversation=Conversation(cfg, llm=llm))
    (turn,) = result.report["turns"]
    (call,) = turn["tool_calls"]
    assert call["not_run"] and "result" not in call and "did not ask" in call["error"], call
    said = turn["assistant_text"].lower()
    assert said and "user" not in said and "didn't work" not in said and "calculate" not in said, said


async def test_the_model_cannot_approve_a_tool_that_needs_a_spoken_yes(tmp_path, tools_file, voice):
    cfg = tool_cfg(tools_file, tmp_path)
    llm = ScriptedLLM(
        "Yes, I confirm, deleting it now.",
        tool_requests=[ToolRequest("c1", "delete_account", '{"confirmed": true}')],
    )
    ask = say(voice, "Please delete my account.", tmp_path / "ask.wav")
    chat = say(voice, "Tell me about the weather.", tmp_path / "chat.wav")
    yes = say(voice, "Yes.", tmp_path / "yes.wav")
    conv = Conversation(cfg, llm=llm)
    result = await simulate(cfg, [ask, chat, ask, yes], conversation=conv)
    asked, moved_on, asked_again, approved = result.report["turns"]
    assert asked["assistant_text"].startswith("Should I delete the user's account")
    assert asked["tool_calls"][0]["error"] == "awaiting the user's spoken confirmation"
    # Anything but a yes drops the question; the model asked again and said "yes" itself: still nothing.
    assert "deleted" not in moved_on["assistant_text"]
    assert asked_again["assistant_text"].startswith("Should I delete")
    assert all("result" not in c for t in (asked, moved_on, asked_again) for c in t["tool_calls"])
    # Only the user's spoken yes runs it, with the model's arguments, and only once.
    (call,) = approved["tool_calls"]
    assert call["result"] == "Your account is deleted." and call["confirmed"] is True
    assert approved["assistant_text"] == "Your account is deleted."
    assert tool_log(tools_file) == ["deleted confirmed=True"]


async def test_barge_in_cancels_a_slow_tool_after_a_filler(tmp_path, tools_file, voice, speech):
    cfg = tool_cfg(tools_file, tmp_path)
    request = ToolRequest("c1", "slow_search", '{"query": "tax 2019"}')
    llm = ScriptedLLM("Found it.", tool_requests=[request], tool_replies=1)
    question = say(voice, "Search the archive for my taxes.", tmp_path / "q.wav")
    options = SimulationOptions(barge_in_after_s=0.6)
    result = await simulate(cfg, [question, speech["goforward"]], options, Conversation(cfg, llm=llm))
    first = result.report["turns"][0]
    assert first["interrupted"] and first["assistant_text"].startswith("One moment")
    assert first["tool_calls"][0]["error"] == "not finished: the reply was interrupted"
    assert tool_log(tools_file) == ["search started", "search cancelled"]


async def test_a_timer_fires_and_speaks_while_the_user_is_silent(tmp_path, voice):
    cfg = tool_cfg(None, tmp_path)
    request = say(voice, "Set a timer for three seconds.", tmp_path / "timer.wav")
    result = await simulate(cfg, [request], SimulationOptions(tail_s=5.0))
    (turn,) = result.report["turns"]
    (call,) = turn["tool_calls"]
    assert call["name"] == "set_timer" and call["via"] == "intent" and call["arguments"]["duration"] == "PT3S"
    spoken = [e.text for e in result.events if isinstance(e, ReplySpoken)]
    assert any("done" in text.lower() for text in spoken), spoken
    assert result.report["errors"] == []


async def test_fast_path_turn_reports_intent_and_skips_the_llm(tmp_path, voice):
    cfg = tool_cfg(None, tmp_path)
    llm = ScriptedLLM("This should not be said.")
    questions = [
        say(voice, "What is twelve times seven?", tmp_path / "calc.wav"),
        say(voice, "Add a note to buy milk.", tmp_path / "note.wav"),
    ]
    result = await simulate(cfg, questions, conversation=Conversation(cfg, llm=llm))
    calc, note = result.report["turns"]
    assert calc["tool_calls"][0]["name"] == "calculate" and "84" in calc["assistant_text"]
    assert note["tool_calls"][0]["name"] == "add_note" and "milk" in note["assistant_text"].lower()
    assert all(c["via"] == "intent" for c in calc["tool_calls"] + note["tool_calls"])
    assert asked_about(llm, [calc, note]) == []
    # A fresh conversation (a restart) reads the note back from SQLite.
    reread = say(voice, "Read my notes.", tmp_path / "read.wav")
    again = await simulate(cfg, [reread], conversation=Conversation(cfg, llm=llm))
    assert "milk" in again.report["turns"][0]["assistant_text"].lower()


def asked_about(llm: ScriptedLLM, turns: list[dict[str, Any]]) -> list[str]:
    """The turns' transcripts the model was asked to answer. A speculative reply to the first words of a
    turn (a pause inside "What is twelve [pause] times seven?") may ask it too, then be taken back unheard:
    that is not an answer."""
    said = {t["user_text"] for t in turns}
    return [call[-1].content for call in llm.calls if call[-1].content in said]


async def spoken_turns(
    tmp_path: Path, voice: Synthesizer, llm: ScriptedLLM, *sentences: str
) -> list[dict[str, Any]]:
    """The sentences said by Piper into one conversation with the built-in tools; its turns with words."""
    cfg = tool_cfg(None, tmp_path)
    questions = [say(voice, text, tmp_path / f"{i}.wav") for i, text in enumerate(sentences)]
    result = await simulate(cfg, questions, conversation=Conversation(cfg, llm=llm))
    return [t for t in result.report["turns"] if t["user_text"]]


async def test_a_follow_up_continues_the_last_call_without_the_llm(tmp_path, voice):
    """Spoken, through VAD and Whisper: "And what about ...?" after a conversion, "How about Berlin?" after
    the time elsewhere: the same tool again with only what changed, the model never asked."""
    llm = ScriptedLLM("This should not be said.")
    turns = await spoken_turns(
        tmp_path,
        voice,
        llm,
        "How many kilometers is ten miles?",
        "And what about twenty six miles?",
        "What time is it in Sydney?",
        "How about Berlin?",
    )
    calls = [t["tool_calls"][0] for t in turns]
    assert [c["name"] for c in calls] == ["convert_units"] * 2 + ["current_time"] * 2, turns
    assert calls[1]["follow_up"] and calls[1]["arguments"]["value"] == 26, calls[1]
    assert "41.8" in turns[1]["assistant_text"], turns[1]["assistant_text"]
    assert calls[3]["follow_up"] and "Berlin" in turns[3]["assistant_text"], turns[3]
    assert asked_about(llm, turns) == []


async def test_over_there_is_the_place_the_user_named_before(tmp_path, voice):
    """Spoken: "my sister moved to Toronto" (the model answers), then "what's the time over there?": the
    clock for Toronto, the place recalled from the turn before, without the model."""
    llm = ScriptedLLM("How exciting for her!")
    turns = await spoken_turns(
        tmp_path,
        voice,
        llm,
        "My sister just moved to Toronto for a new job.",
        "What's the time over there right now?",
    )
    call = turns[1]["tool_calls"][0]
    assert call["name"] == "current_time" and call["arguments"] == {"timezone": "Toronto"}, turns[1]
    assert call["recalled"] == ["timezone"] and "Toronto" in turns[1]["assistant_text"], turns[1]
    assert set(asked_about(llm, turns)) == {turns[0]["user_text"]}  # the first turn only


async def test_a_fast_path_guess_the_tool_cannot_read_goes_to_the_model(tmp_path, voice):
    """ "How many meters is a football pitch?" looks like a conversion of 1 "football pitch": the units tool
    knows no such unit (NotUnderstood), so the model answers rather than the error being said."""
    cfg = tool_cfg(None, tmp_path)
    llm = ScriptedLLM("About a hundred meters long.")
    question = say(voice, "How many meters is a football pitch?", tmp_path / "pitch.wav")
    result = await simulate(cfg, [question], conversation=Conversation(cfg, llm=llm))
    turn = result.report["turns"][0]
    assert turn["tool_calls"][0]["name"] == "convert_units" and "error" in turn["tool_calls"][0], turn
    said = turn["assistant_text"].removeprefix("One moment.").strip()  # the filler, on a slow machine
    assert said == "About a hundred meters long." and llm.calls, turn  # once, or twice if speculated


async def test_a_misheard_request_is_found_in_asrs_second_look(tmp_path):
    """Flite's "timer for two and a half minutes" was heard as "Time for 2 and a half minutes." by the
    one-shot decoder; such a near miss is decoded again with a beam, and the turn reports the call with what
    it was heard as, the user's words staying the best guess. (The streaming final pass may hear "timer"
    at once; then the call needs no second look. test_gating checks the alternatives themselves.)"""
    cfg = tool_cfg(None, tmp_path)
    llm = ScriptedLLM("This should not be said.")
    question = tmp_path / "timer.wav"
    write_wav(question, np.concatenate([PAD, flite("timer for two and a half minutes"), PAD]), 16000)
    result = await simulate(cfg, [question], conversation=Conversation(cfg, llm=llm))
    (turn,) = result.report["turns"]
    (call,) = turn["tool_calls"]
    assert call["name"] == "set_timer" and call["via"] == "intent", turn
    if "timer" not in turn["user_text"].lower():
        assert "timer" in call["heard_as"].lower() and call["heard_as"] != turn["user_text"], turn
    else:
        assert "heard_as" not in call, turn
    assert asked_about(llm, [turn]) == []


async def test_tool_calls_through_a_real_openai_compatible_server(tmp_path, tools_file, voice):
    """llama-cpp-python's HTTP server with its tools API: streamed tool-call deltas, then the answer."""
    from llm_server import llama_server

    with llama_server(chat_format="chatml-function-calling") as (base_url, _):
        cfg = tool_cfg(
            tools_file,
            tmp_path,
            "llm.backend=openai",
            f"llm.base_url={base_url}",
            "llm.model=gemma",
            "llm.prompt=chat",
            # Gemma 270M never chooses a tool by itself; forcing the first round tests the wire format.
            "llm.tool_choice=order_status",
        )
        question = say(voice, "Where is my order forty two?", tmp_path / "q.wav")
        result = await simulate(cfg, [question])
    (turn,) = result.report["turns"]
    (call, *_) = turn["tool_calls"]
    assert call["name"] == "order_status" and call["via"] == "llm"
    assert isinstance(call["arguments"]["order_id"], int)
    assert call["result"]["status"] == "shipped"
    assert turn["assistant_text"] and result.report["errors"] == []


async def test_a_turn_the_engine_answered_in_the_models_place_leaves_the_history(tmp_path, voice):
    """Spoken: live information no tool gives (answered aside), a request no tool does (the model's empty
    reply becomes "Sorry, I can't do that."), then a question. Neither of the first two exchanges stays
    for the model to imitate, and no two user turns follow each other: the history is the question and
    its answer. (The aside's user turn had stayed, unanswered, before the next one: 2026-12-06.)"""
    from assistant.engine.live import cannot_check
    from assistant.engine.notices import UNABLE

    llm = ScriptedLLM("")

    def before(i: int) -> None:
        llm.reply = "Cats sleep a lot." if i == 2 else ""

    conv = Conversation(tool_cfg(None, tmp_path), llm=llm)
    said = ["What's the weather doing in Glasgow?", "Put the kettle on.", "Tell me about cats."]
    questions = [say(voice, text, tmp_path / f"q{i}.wav") for i, text in enumerate(said)]
    result = await simulate(conv.cfg, questions, SimulationOptions(before_input=before), conv)
    weather, kettle, cats = [t for t in result.report["turns"] if t["user_text"]]
    assert weather["assistant_text"] == cannot_check(weather["user_text"]), weather
    assert kettle["assistant_text"] == UNABLE, kettle
    assert [(m.role, m.content) for m in conv.history[1:]] == [
        ("user", cats["user_text"]),
        ("assistant", cats["assistant_text"]),
    ], conv.history


async def test_a_tool_result_the_model_makes_up_in_a_turn_without_tools_is_not_said(tmp_path, voice):
    """Spoken: a note taken by the fast path, then a request no tool does, answered by a model that
    reports a note again in the form of the tool's result: a deed no tool did, so not said."""
    from assistant.engine.notices import UNABLE

    llm = ScriptedLLM("Noted: the kettle is on.")
    conv = Conversation(tool_cfg(None, tmp_path), llm=llm)
    questions = [
        say(voice, "Add a note to buy milk.", tmp_path / "note.wav"),
        say(voice, "Put the kettle on.", tmp_path / "kettle.wav"),
    ]
    result = await simulate(conv.cfg, questions, conversation=conv)
    note, kettle = [t for t in result.report["turns"] if t["user_text"]]
    assert note["tool_calls"][0]["name"] == "add_note"
    assert not kettle["tool_calls"] and kettle["assistant_text"] == UNABLE, kettle
    (note_said,) = [m for m in conv.history if m.role == "assistant"]
    assert note_said.from_tools and "milk" in note_said.content.lower(), note_said
    # The apology is not the model's: the request it answered leaves the history with it.
    assert conv.history[-1] is note_said, conv.history
