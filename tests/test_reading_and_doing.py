"""A request for a deed is done by a tool that does it, a question by one that reads, and "it" is the thing
named before, not the place it was named in.

A newcomer's oven and robot vacuum (probe of 2026-12-08), with Qwen2.5-Coder 0.5B: "Turn the oven on to
180." called `oven_status` and said the oven's temperature, and once that call was refused the model could
call nothing more (llama.cpp offered no tool after a tool's result), so it was said as "Sorry, I can't do
that."; "Is it ready?" after heating the oven read the user's notes (the fast path took "ready" for a
misheard "read"); "What is it doing now?" after "Start the vacuum in the hall." asked about "the vacuum
hall", and `vacuum_status`, whose name says it reads, was never taken for a tool that reads. The tools
here are another newcomer's: a sauna and a robot mower.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from lone_reply import lone_reply
from scripted import ScriptedLLM
from user_tools import WritesUnlessMade, conversation, host, user_cfg, written

from assistant.config import load_config
from assistant.engine.claims import requested_verbs
from assistant.engine.referent import resolved
from assistant.engine.unsaid import Said, says_the_opposite
from assistant.llm import Message, ToolRequest, make_llm
from assistant.llm.prompt import system_prompt
from assistant.tools.intent.deeds import reads_things, refused_for_deed
from assistant.tools.intent.gate import refusal

TOOLS = '''
from typing import Literal

from assistant.tools import tool

SAUNA = {"on": False, "celsius": 0}
MOWER = {"zone": None}


@tool
def set_sauna(celsius: int) -> str:
    """Heat the sauna to a temperature in degrees Celsius."""
    SAUNA.update(on=True, celsius=celsius)
    return f"The sauna is heating to {celsius} degrees."


@tool
def sauna_off() -> str:
    """Switch the sauna off."""
    SAUNA.update(on=False, celsius=0)
    return "The sauna is off."


@tool
def sauna_status() -> str:
    """Whether the sauna is on, and how hot it is."""
    return f"The sauna is at {SAUNA['celsius']} degrees." if SAUNA["on"] else "The sauna is off."


@tool
def start_mower(zone: Literal["front lawn", "back lawn", "orchard"]) -> str:
    """Start the robot mower on a part of the garden."""
    MOWER.update(zone=zone)
    return f"The mower is cutting the {zone}."


@tool
def where_is_mower() -> str:
    """Tell where the robot mower is and what it is doing."""
    return f"The mower is cutting the {MOWER['zone']}." if MOWER["zone"] else "The mower is in its shed."
'''


@pytest.fixture(scope="module")
def tools_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return written(tmp_path_factory.mktemp("tools"), "garden_spa.py", TOOLS)


# ------------------------------------------------------------------ the rules


def test_a_tool_reads_by_its_name_or_its_description(tools_file: Path, tmp_path: Path) -> None:
    tools = host(user_cfg(tools_file, tmp_path)).registry
    reading = {t.name for t in tools if reads_things(t)}
    assert {"sauna_status", "where_is_mower", "read_notes", "current_time"} <= reading
    assert not {"set_sauna", "sauna_off", "start_mower", "add_note", "delete_notes"} & reading


@pytest.mark.parametrize(
    ("said", "refused"),
    [
        ("Turn the sauna on to 80.", True),
        ("Okay, switch on the sauna.", True),
        ("Can you heat the sauna?", True),
        ("Is the sauna on?", False),
        ("How hot is the sauna?", False),
        ("Check the sauna and turn it on.", False),  # it asks for a reading too
    ],
)
def test_a_request_for_a_deed_is_not_answered_by_a_tool_that_reads(
    said: str, refused: bool, tools_file: Path, tmp_path: Path
) -> None:
    tools = host(user_cfg(tools_file, tmp_path)).registry
    assert (refused_for_deed(tools.get("sauna_status"), requested_verbs(said)) is not None) == refused
    assert refused_for_deed(tools.get("set_sauna"), requested_verbs(said)) is None


@pytest.mark.parametrize(
    ("name", "said", "opposite"),
    [
        ("sauna_off", "Turn the sauna on to 80.", True),
        ("sauna_off", "Turn the sauna off.", False),
        ("set_sauna", "Turn the sauna on.", False),
        ("open_gate", "Shut the gate.", True),
        ("lights_on", "Switch the lights on and off.", False),  # both said: nothing to go by
    ],
)
def test_a_tool_named_for_the_opposite_state(name: str, said: str, opposite: bool) -> None:
    assert says_the_opposite(name, Said([said])) == opposite


@pytest.mark.parametrize(
    ("said", "earlier", "meant"),
    [
        (
            "What is it doing now?",
            ["Start the mower on the back lawn in the garden."],
            "What is the mower doing now?",
        ),
        (
            "What is it doing now?",
            ["Start the mower in the orchard.", "Stop it."],
            "What is the mower doing now?",
        ),
        ("Send it to the front lawn.", ["Is the mower charged?"], "Send the mower to the front lawn."),
        ("Is it done?", ["Start it in the orchard."], "Is it done?"),  # only a place was ever named
        ("Turn it up.", ["Switch on the heating in the hall."], "Turn the heating up."),
    ],
)
def test_it_is_the_thing_named_not_where_it_was(said: str, earlier: list[str], meant: str) -> None:
    assert resolved(said, earlier) == meant


def test_a_question_whether_something_is_so_is_read_as_said(tmp_path: Path) -> None:
    """The built-in notes: "ready" and "red" are states asked about, not a misheard "read"; a misheard
    request ("Reed my notes.") and a question about the notes ("What's on my nodes?") still find them."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    tools = host(cfg)
    for said in ("Is it ready?", "Is it red?", "So, are they ready yet?"):
        assert tools.match(said) is None and "read_notes" not in (tools.callable(said) or set()), said
    for said in ("Reed my notes.", "What's on my nodes?"):
        found = tools.match(said)
        assert found is not None and found[0].tool.name == "read_notes", said


def test_it_asks_for_a_reading_when_it_is_meant(tools_file: Path, tmp_path: Path) -> None:
    tools = host(user_cfg(tools_file, tmp_path))
    assert refusal(tools.registry.get("where_is_mower"), "What is it doing?") is not None
    assert (
        refusal(tools.registry.get("where_is_mower"), "What is it doing?", "What is the mower doing?") is None
    )


# ------------------------------------------------------------------ the reply around them (scripted)


class ReadsFirst(ScriptedLLM):
    """Calls `first` for the user's request, writes "NULL" after its result, and calls what it is made to
    call with `arguments`, also after a tool's result (as the in-process llama.cpp backend now does)."""

    def __init__(self, first: str, arguments: dict[str, Any]) -> None:
        super().__init__("NULL", delay_s=0.001)
        self.first, self.arguments = first, arguments

    async def stream(
        self, messages: list[Message], tools: Sequence[Any] = (), allowed: Any = None, required: Any = None
    ) -> AsyncIterator[str | ToolRequest]:
        self.required.append(required)
        if required is not None:
            yield ToolRequest("call_2", required, json.dumps(self.arguments))
        elif messages[-1].role == "user":
            yield ToolRequest("call_1", self.first, "{}")
        else:
            yield "NULL"


async def test_a_deed_read_instead_is_done_by_the_one_tool_that_does_it(
    tools_file: Path, tmp_path: Path
) -> None:
    """`sauna_off` also acts on the sauna, but its name says the opposite of "on"."""
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    llm = ReadsFirst("sauna_status", {"celsius": 80})
    said = "Turn the sauna on to 80."
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host(cfg))
    read, done = reply.tool_calls
    assert read.name == "sauna_status" and read.extra.get("not_run"), read
    assert (done.name, done.arguments, done.error) == ("set_sauna", {"celsius": 80}, None)
    assert llm.required == [None, None, "set_sauna"] and heard == "The sauna is heating to 80 degrees."


POWER = """
from assistant.tools import tool


@tool
def fountain_power(on: bool) -> str:
    \"\"\"Turn the garden fountain on or off.\"\"\"
    return f"The fountain is {'on' if on else 'off'}."


@tool
def lantern_power(on: bool) -> str:
    \"\"\"Turn the garden lanterns on or off.\"\"\"
    return f"The lanterns are {'on' if on else 'off'}."
"""


async def test_an_elided_command_is_the_last_one_said_again(tmp_path: Path) -> None:
    """ "And the lanterns too." after "Switch off the fountain.": "Switch off the lanterns." The model's
    claim ("The lanterns are off.", no call) is not said, and the call it is made to write switches them
    off whatever it wrote (a newcomer's pool: "And the heater too." had been answered "The pool heater is
    off.", nothing called, trial of 2026-12-08)."""
    cfg = user_cfg(written(tmp_path, "garden_power.py", POWER), tmp_path, "tools.results=tool")
    llm = WritesUnlessMade("The lanterns are off.", {"on": True})
    said, before = "And the lanterns too.", ["Switch off the fountain."]
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host(cfg), earlier=before)
    assert reply.meant == "Switch off the lanterns."
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("lantern_power", {"on": False})]
    assert heard == "The lanterns are off." and llm.required == [None, "lantern_power"], (heard, llm.required)


# ------------------------------------------------------------------ the real model


async def test_qwen_calls_the_tool_it_is_made_to_after_a_refused_call(
    tools_file: Path, tmp_path: Path
) -> None:
    """In process, a tool's result was followed by words only: the call a refusal asked for could not be
    written."""
    cfg = user_cfg(tools_file, tmp_path, "llm.model=bundled:qwen2.5-0.5b")
    tools, llm = host(cfg), make_llm(cfg.llm)
    read = ToolRequest("call_1", "sauna_status", "{}")
    messages = [
        Message("system", system_prompt(cfg.llm)),
        Message("user", "Turn the sauna on to 80."),
        Message("assistant", "", tool_calls=(read,)),
        Message("tool", "not called: the user asked to turn something", tool_call_id="call_1"),
    ]
    pieces = [p async for p in llm.stream(messages, tools.llm_tools(), {"set_sauna"}, required="set_sauna")]
    (call,) = [p for p in pieces if isinstance(p, ToolRequest)]
    assert call.name == "set_sauna" and json.loads(call.arguments) == {"celsius": 80}, pieces


async def test_qwen_does_what_it_is_told_and_reads_what_it_is_asked(tools_file: Path, tmp_path: Path) -> None:
    """One conversation with the bundled Qwen: the deed is done by the tool that does it, "it" is the
    mower, and "Is it ready?" never reads the notes."""
    cfg = user_cfg(tools_file, tmp_path, "llm.model=bundled:qwen2.5-0.5b", "tools.results=tool")
    tools, llm = host(cfg), make_llm(cfg.llm)
    turns = {
        "Turn the sauna on to 80.": "set_sauna",
        "Is it ready?": "sauna_status",
        "Start the mower on the back lawn.": "start_mower",
        "What is it doing now?": "where_is_mower",
    }
    async for text, reply, heard in conversation(cfg, llm, tools, list(turns)):
        ran = [c.name for c in reply.tool_calls if not c.extra.get("not_run")]
        assert turns[text] in ran and "read_notes" not in ran, (text, reply.tool_calls, heard)
