"""Amounts said as a change ("by 20 percent", "10 minutes off", "5 more minutes") reach only a tool whose
examples say amounts that way (`change_timer`), never one that sets a value (`set_lights`, `set_timer`);
and a timer's state ("a timer going") is no label. The matcher is the real one, over the built-in tools
and examples/home_tools.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.tools import load_spec, make_tool
from assistant.tools.builtin import BUILTIN_TOOLS
from assistant.tools.intent import IntentMatcher

HOME_TOOLS = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"
MATCHER = IntentMatcher([make_tool(fn) for fn in BUILTIN_TOOLS] + load_spec(str(HOME_TOOLS)))


@pytest.mark.parametrize(
    ("said", "tool", "arguments"),
    [
        ("Take 10 minutes off the timer.", "change_timer", {"by": "PT10M", "shorter": True}),
        ("Add 5 minutes to the pasta timer.", "change_timer", {"by": "PT5M", "label": "pasta"}),
        ("Knock a minute off the timer please.", "change_timer", {"by": "PT1M", "shorter": True}),
        ("Extend the timer by 3 minutes.", "change_timer", {"by": "PT3M"}),
        # Said as values, the same words set them.
        ("Put 10 minutes on the timer.", "set_timer", {"duration": "PT10M"}),
        ("Set the kitchen lights to 40 percent.", "set_lights", {"room": "kitchen", "brightness": 40}),
        # "by" is how a distance to go is said, for a tool that never sets an amount.
        ("Move forward by 2 meters.", "move_robot", {"direction": "forward", "distance": 2.0}),
        # A change no tool makes goes to the LLM, which can say so.
        ("Dim the kitchen lights by 20 percent.", None, {}),
        ("Make the bedroom lights 10 percent brighter.", None, {}),
        ("Take ten percent off the kitchen lights.", None, {}),
        # An amount for another tool's thing is no note, and removing time cancels nothing.
        ("Add twenty percent to the lights.", None, {}),
        ("Remove 3 minutes from the timer.", "change_timer", {"by": "PT3M", "shorter": True}),
        # Whisper's mishearings of "subtract" and "add ... to my tea timer" start no timer.
        ("Subscribe to minutes from the timer.", None, {}),
        ("at 2 minutes to mighty timer", None, {}),
        ("Set a timer for 5 minutes from now.", "set_timer", {"duration": "PT5M"}),
        # An amount after "in" or "after" says where or when, for a tool whose examples never say so.
        ("Turn right in 300 meters.", None, {}),
        ("Turn left after 20 meters.", None, {}),
        ("How many feet in 2 meters?", "convert_units",
         {"value": 2.0, "from_unit": "meters", "to_unit": "feet"}),
        # How a timer is, not what it is called.
        ("Get a timer going for 20 minutes.", "set_timer", {"duration": "PT20M"}),
        ("Start a timer running for 5 minutes.", "set_timer", {"duration": "PT5M"}),
        ("Are any timers running?", "list_timers", {}),
        # Notes keep their own words.
        ("Add milk to my notes.", "add_note", {"text": "milk"}),
        ("Remind me to turn off the lights in 10 minutes.", "set_reminder",
         {"text": "turn off the lights", "after": "PT10M"}),
    ],
)  # fmt: skip
def test_a_change_reaches_only_a_tool_that_makes_changes(
    said: str, tool: str | None, arguments: dict[str, Any]
) -> None:
    found = MATCHER.match(said)
    if tool is None:
        assert found is None, found
    else:
        assert found is not None and found.tool.name == tool and found.arguments == arguments, found


_LIGHT_CHANGES = [
    "dim the {room} lights by {n} percent",
    "turn the {room} lights down by {n} percent",
    "make the {room} lights {n} percent {comparative}",
    "raise the {room} lights by {n} percent",
    "give the {room} lights another {n} percent",
]
_TIMER_CHANGES = [
    "take {n} minutes off the timer",
    "add {n} minutes to the timer",
    "give the timer {n} more minutes",
    "put {n} more minutes on the timer",
    "knock {n} seconds off the timer",
    "make the timer {n} minutes {comparative}",
]


@settings(max_examples=150, deadline=None)
@given(
    template=st.sampled_from(_LIGHT_CHANGES + _TIMER_CHANGES),
    room=st.sampled_from(["kitchen", "bedroom", "office", "living room"]),
    n=st.integers(min_value=1, max_value=99),
    comparative=st.sampled_from(["brighter", "dimmer", "longer", "shorter"]),
    polite=st.sampled_from(["", "please ", "can you "]),
)
def test_a_change_never_sets_the_amount_as_a_value(
    template: str, room: str, n: int, comparative: str, polite: str
) -> None:
    """Whatever the phrasing, an amount said as a change is never set as the brightness or started as a
    new timer; for a timer it is `change_timer` or nothing (the LLM)."""
    found = MATCHER.match(polite + template.format(room=room, n=n, comparative=comparative))
    assert found is None or found.tool.name == "change_timer", found


async def test_a_change_a_tool_cannot_make_is_said_so_without_the_model(tmp_path: Path) -> None:
    """ "Dim the kitchen lights by 20 percent." to `set_lights`, which sets a brightness: the assistant says
    what it can do, at once; the model, asked, had called nothing and said it had ("Kitchen lights dim by
    twenty percent."). A value said plainly still sets it."""
    import asyncio

    from lone_reply import lone_reply
    from scripted import ScriptedLLM

    from assistant.config import load_config
    from assistant.engine.tool_turn import cannot_change
    from assistant.engine.tooling import ToolHost, toolbox_for
    from assistant.llm import Message

    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    cfg.tools.load = [str(HOME_TOOLS)]
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda text: None, asyncio.ensure_future, True)
    llm = ScriptedLLM("Kitchen lights dim by twenty percent.")
    said = []
    for text in ("Dim the kitchen lights by 20 percent.", "Set the kitchen lights to 40 percent."):
        messages = [Message("system", "You are a helpful assistant."), Message("user", text)]
        reply, heard = await lone_reply(cfg, messages, llm, tools=host)
        said.append((heard, [c.name for c in reply.tool_calls]))
    host.close()
    assert said[0] == (cannot_change("brightness"), []), said
    assert said[1][1] == ["set_lights"], said
    assert llm.calls == [], llm.calls
    assert MATCHER.refused_change("Take ten percent off the kitchen lights.") is not None
    assert MATCHER.refused_change("Turn right in 300 meters.") is None  # a place, not a change
    assert MATCHER.refused_change("Move forward by 2 meters.") is None  # matched
