"""What a user's devices are doing is read by a tool, never made up; a question never changes it; "it" is
the thing named before.

A newcomer's thermostat and washing machine (probe of 2026-12-07), with Qwen2.5-Coder 0.5B: "Is the
heating on?" got "The heating is on." and "What is the thermostat set to?" "The thermostat is set to auto."
(no tool called; `get_thermostat` was there); "Is the washing machine running?" started it; "Okay, turn it
off then." got "The heating is off." (nothing called), and once made to call the one tool "turn it off"
matched, it cancelled a timer; "Put it on high." got "The thermostat is on off, 21 degrees, fan high.", the
last tool result with a value changed, and no call. The models here are the bundled Qwen for what a real
model does, and scripted ones for the orchestration around it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM
from user_tools import THERMOSTAT, WritesUnlessMade, conversation, host, user_cfg, written

from assistant.config import load_config
from assistant.engine.claims import reports_reading
from assistant.engine.guard import ReplyGuard
from assistant.engine.notices import UNCHECKED
from assistant.engine.referent import noun_lemmas, phrases, resolved
from assistant.engine.said_back import _echo_words, copies_result
from assistant.llm import Message, ToolRequest, make_llm
from assistant.tools.intent.deeds import asks_how_things_are

TOOLS = (
    THERMOSTAT
    + '''
STARTED = []


@tool
def get_thermostat() -> str:
    """Read the thermostat: its mode, target temperature and fan speed."""
    return f"The thermostat is on {STATE['mode']}, {STATE['temperature']} degrees, fan {STATE['fan']}."


@tool
def start_washing_machine(program: Literal["cotton", "wool", "quick", "eco"], hours: int = 0) -> str:
    """Start the washing machine on a program, now or in some hours."""
    STARTED.append(program)
    return f"The washing machine starts {program}."
'''
)
RESULT = "The thermostat is on auto, 21 degrees, fan auto."


@pytest.fixture(scope="module")
def tools_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return written(tmp_path_factory.mktemp("tools"), "home_climate.py", TOOLS)


def admit_all(guard: ReplyGuard, clauses: list[str]) -> None:
    for i, clause in enumerate(clauses):
        guard.admit(clause, last=i == len(clauses) - 1)


# ------------------------------------------------------------------ "it"


@pytest.mark.parametrize(
    ("said", "earlier", "meant"),
    [
        ("Okay, turn it off then.", ["Is the heating on?"], "Okay, turn the heating off then."),
        ("Turn them off.", ["Switch on the kitchen lights.", "Thanks."], "Turn the kitchen lights off."),
        ("Turn it off.", [], "Turn it off."),  # nothing named before
        ("Put it on the list.", ["Buy milk."], "Put it on the list."),  # it names a thing itself
        ("Cancel that.", ["Set a timer for the pasta."], "Cancel that."),  # takes a request back
        ("And the heater too.", ["Switch off the pump."], "Switch off the heater."),  # the command again
        ("And the bread.", ["Put eggs on the shopping list."], "And the bread."),  # an item, not the list
    ],
)
def test_it_stands_for_the_thing_named_last(said: str, earlier: list[str], meant: str) -> None:
    assert resolved(said, earlier) == meant


@settings(max_examples=80, deadline=None)
@given(said=st.text(max_size=60), earlier=st.lists(st.text(max_size=60), max_size=3))
def test_words_without_it_are_meant_as_said(said: str, earlier: list[str]) -> None:
    """Any text: read without error, and changed only where it says "it", "them" or "they", or is "and"
    a thing after a command (`referent.elided`)."""
    meant = resolved(said, earlier)
    assert isinstance(asks_how_things_are(meant), bool)
    assert isinstance(reports_reading(said, noun_lemmas(meant.split()) | {"heating"}), bool)
    assert isinstance(copies_result(_echo_words(said), {_echo_words(RESULT)}), bool)
    words = said.lower().split()
    if not {"it", "them", "they"} & {w.strip(".,!?;:") for w in words} and words[:1] not in (
        ["and"],
        ["also"],
    ):
        assert meant == said


# ------------------------------------------------------------------ what the guard cuts


@pytest.mark.parametrize(
    ("sentence", "made_up"),
    [
        ("The heating is on.", True),
        ("Yes, it is.", True),
        ("Yes.", True),
        ("No, it is not.", True),
        ("The heating isn't on.", True),
        ("Your heating is currently on.", True),
        ("Would you like me to check the heating?", False),
        ("Heating a room takes time.", False),
        ("The heating is not a thing to leave on at night.", False),  # what kind of thing: advice
        ("I can turn the heating on for you.", False),
    ],
)
def test_a_state_told_of_what_was_asked_about(sentence: str, made_up: bool) -> None:
    assert reports_reading(sentence, frozenset({"heating"})) is made_up


@pytest.mark.parametrize(
    ("said", "about_state"),
    [
        ("Is the washing machine running?", True),
        ("What is the thermostat set to?", True),
        ("So, are the lights on?", True),
        ("Can you start a wash?", False),
        ("Could you turn it up?", False),
        ("How about some jazz?", False),
        ("Is it possible to turn on the heating?", False),
        ("Should I leave the garage door open overnight?", True),  # advice: it had opened the door
        ("Do you have a timer?", False),
        ("Turn the heating on.", False),
    ],
)
def test_a_question_about_how_things_are(said: str, about_state: bool) -> None:
    assert asks_how_things_are(said) is about_state


def test_a_tool_result_said_again_with_other_values_is_a_copy() -> None:
    told = {_echo_words(RESULT), _echo_words("It is 15 degrees and sunny in Paris.")}
    assert copies_result(_echo_words("The thermostat is on auto, 21 degrees, fan high."), told)
    assert copies_result(_echo_words("It is 12 degrees and cloudy in London."), told)
    assert not copies_result(_echo_words(RESULT), told)  # the same: a repeat, another rule
    assert not copies_result(_echo_words("The thermostat is a device."), told)
    assert not copies_result(_echo_words("The answer is Paris."), {_echo_words("The answer is 42.")})


def test_the_guard_cuts_a_reading_a_claim_on_it_and_a_copy_when_no_tool_was_called() -> None:
    reading = ReplyGuard(heard="Is the heating on?", asked_about=frozenset({"heating"}))
    admit_all(reading, ["The heating is on."])
    assert reading.stopped == "unread"
    read = ReplyGuard(heard="Is the heating on?", asked_about=frozenset({"heating"}))
    read.tool_called()
    read.tool_answered(RESULT)
    admit_all(read, ["The heating is on."])
    assert read.stopped is None
    claim = ReplyGuard(heard="Okay, turn it off then.", meant="Okay, turn the heating off then.")
    admit_all(claim, ["The heating is off."])
    assert claim.stopped == "claim"
    for heard, acted_on, cut in (
        ("Book a taxi to the station.", frozenset(), "claim"),
        ("Could you start the dishwasher?", frozenset(), "claim"),
        ("Go forward 10 meters.", frozenset(), "claim"),  # no robot: "Okay." would say it moved
        ("Can you make the thermostat warmer?", frozenset({"thermostat"}), None),  # "make": left open
        ("Can you keep it short?", frozenset(), None),
        ("Tell me a joke.", frozenset(), None),
    ):
        yes = ReplyGuard(heard=heard, acted_on=acted_on)
        admit_all(yes, ["Sure!"])
        assert yes.stopped == cut, heard
    split = ReplyGuard(heard="Is it bright enough?", asked_about=frozenset({"bedroom", "light"}))
    assert split.admit("Yes, the bedroom lights").text == ""  # held until the sentence ends
    assert split.admit("are bright enough.", last=True).stop == "unread"
    copy = ReplyGuard(heard="Put it on high.", results=[RESULT])
    admit_all(copy, ["The thermostat is on auto,", "21 degrees,", "fan high."])
    assert copy.stopped == "claim"


# ------------------------------------------------------------------ the reply around them (scripted)


async def test_a_made_up_reading_makes_the_model_call_the_tool_that_reads(
    tools_file: Path, tmp_path: Path
) -> None:
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    llm = WritesUnlessMade("The thermostat is set to auto.", {})
    said = "What is the thermostat set to?"
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host(cfg))
    assert llm.required == [None, "get_thermostat"]
    assert [c.name for c in reply.tool_calls] == ["get_thermostat"]
    assert heard.startswith("The thermostat is on"), heard


async def test_a_made_up_reading_with_no_tool_that_reads_is_not_said(
    tools_file: Path, tmp_path: Path
) -> None:
    """Only `set_thermostat` knows "heating" (its mode "heat"): it is never made to answer a question."""
    cfg = user_cfg(tools_file, tmp_path)
    llm = WritesUnlessMade("The heating is on.", {"mode": "heat"})
    reply, heard = await lone_reply(cfg, [Message("user", "Is the heating on?")], llm, tools=host(cfg))
    assert (reply.tool_calls, llm.required, heard) == ([], [None], UNCHECKED)


async def test_a_question_does_not_run_a_tool_that_acts(tools_file: Path, tmp_path: Path) -> None:
    cfg = user_cfg(tools_file, tmp_path)
    start = ToolRequest("call_1", "start_washing_machine", json.dumps({"program": "cotton"}))
    llm = ScriptedLLM("NULL", delay_s=0.001, tool_requests=[start])
    said = "Is the washing machine running?"
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host(cfg))
    (call,) = reply.tool_calls
    assert call.extra.get("not_run") and "asked how things are" in (call.error or ""), call
    assert heard == UNCHECKED, heard  # not "NULL", the model's words after the refusal


async def test_it_is_the_heating_for_a_claim_and_the_call_it_makes(tools_file: Path, tmp_path: Path) -> None:
    """The question it refers to left the history (answered by a notice): the reply is told of it."""
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    llm = WritesUnlessMade("The heating is off.", {"mode": "off"})
    said = "Okay, turn it off then."
    reply, heard = await lone_reply(
        cfg, [Message("user", said)], llm, tools=host(cfg), earlier=["Is the heating on?"]
    )
    assert llm.required == [None, "set_thermostat"]
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("set_thermostat", {"mode": "off"})]
    assert heard.startswith("The thermostat is set to off"), heard
    unknown = WritesUnlessMade("It is off.", {})
    alone, _ = await lone_reply(cfg, [Message("user", "Turn it off.")], unknown, tools=host(cfg))
    assert alone.tool_calls == [] and unknown.required == [None]  # "it" may be anything


async def test_the_fast_path_reads_it_and_never_switches_for_a_question(tmp_path: Path) -> None:
    """examples/home_tools.py's `set_lights` (with examples): "Are the kitchen lights on?" had switched
    them on, matched on "kitchen lights on"; "Turn them off." after it matched nothing."""
    cfg = load_config(
        overrides=[
            "tools.load=[examples/home_tools.py]",
            f"tools.data_dir={tmp_path}",
            "tools.entry_points=false",
            "tools.results=tool",
        ]
    )
    tools = host(cfg)
    assert tools.match("Are the kitchen lights on?") is None
    assert tools.match("Turn on the kitchen lights.") is not None
    llm = ScriptedLLM("Sorry, I can't.", delay_s=0.001)
    said = "Turn them off."
    reply, heard = await lone_reply(
        cfg, [Message("user", said)], llm, tools=tools, earlier=["Are the kitchen lights on?"]
    )
    (call,) = reply.tool_calls
    assert (call.name, call.arguments, call.via) == ("set_lights", {"room": "kitchen", "on": False}, "intent")
    assert call.extra["heard_as"] == "Turn the kitchen lights off." and llm.calls == []
    assert heard.startswith("The kitchen lights are off"), heard
    notes = await lone_reply(
        cfg, [Message("user", "Delete them.")], llm, tools=tools, earlier=["What are my notes?"]
    )
    assert notes[0].tool_calls == [] and tools.pending is None  # its object never said: nothing asked


def test_a_file_that_marks_some_tools_says_which_it_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A newcomer marked only the tools with examples; the oven's unmarked functions were left out
    without a word, and the model made the oven's answers up (trial of 2026-12-08)."""
    source = '''
    from assistant.tools import tool

    @tool(examples=["open the garage door"])
    def set_garage_door(open: bool) -> str:
        """Open or close the garage door."""
        return "done"

    def get_oven_temperature() -> str:
        """Read the oven's temperature setting."""
        return "off"
    '''
    cfg = user_cfg(written(tmp_path, "mixed.py", source), tmp_path)
    with caplog.at_level("WARNING"):
        names = {t.name for t in host(cfg).registry}
    assert "set_garage_door" in names and "get_oven_temperature" not in names
    assert "get_oven_temperature" in caplog.text and "@tool" in caplog.text


# ------------------------------------------------------------------ the real model


async def test_qwen_reads_what_it_is_asked_and_changes_only_what_it_is_told(
    tools_file: Path, tmp_path: Path
) -> None:
    """One conversation with the bundled Qwen: each question is answered by `get_thermostat` or not at
    all (never a state made up), no question starts the washing machine, and "it" is the heating."""
    cfg = user_cfg(tools_file, tmp_path, "llm.model=bundled:qwen2.5-0.5b", "tools.results=tool")
    tools, llm = host(cfg), make_llm(cfg.llm)
    turns = ["What is the thermostat set to?", "Is the washing machine running?", "Is the heating on?"]
    turns.append("Okay, turn it off then.")
    async for text, reply, heard in conversation(cfg, llm, tools, turns):
        ran = [c.name for c in reply.tool_calls if not c.extra.get("not_run")]
        if text.endswith("?"):
            assert not {"start_washing_machine", "set_thermostat"} & set(ran), (text, reply.tool_calls)
            asked = noun_lemmas(w for phrase in phrases(text) for w in phrase)
            told = [s for s in heard.split(".") if reports_reading(s, asked)]
            assert "get_thermostat" in ran or not told, (text, heard)
        else:
            assert ran == ["set_thermostat"], (text, reply.tool_calls, heard)
            assert reply.tool_calls[-1].arguments.get("mode") == "off", reply.tool_calls
