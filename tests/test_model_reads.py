"""The fast path knows the tool, the model reads the words: a clear request whose arguments the fast path
could not read (a misheard unit) makes the model write that tool's call (`required`), never for a
destructive tool, and never when nothing in the words is unread (the model would make an argument up).

The real model writes such calls in tests/test_instruct_model.py (in process and through llama.cpp's
server) and tests/test_vllm.py; here the rule and the engine's plumbing, with the real tools and matcher.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.config import load_config
from assistant.engine.tooling import ToolHost, toolbox_for
from assistant.llm import Message, ToolRequest


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> ToolHost:
    data = tmp_path_factory.mktemp("data")
    cfg = load_config(overrides=[f"tools.data_dir={data}", "tools.entry_points=false"])
    loop = asyncio.new_event_loop()
    return ToolHost(
        cfg.tools, toolbox_for(cfg.tools), "s", lambda _: None, lambda c, n: loop.create_task(c), True
    )


@pytest.mark.parametrize(
    ("said", "tool"),
    [
        ("Convert 70 degrees Fahrenheit dysolsias.", "convert_units"),
        ("Could you please convert 5 miles, umm, inkilomiters?", "convert_units"),
        ("Set a timer.", None),  # nothing unread: the model would make the duration up
        ("Convert seventy degrees.", None),
        ("Umm, convert seventy degrees, erm.", None),  # a filler is not an unread word
        ("Take a note.", None),
        ("Tell me about the grombulators.", None),  # no tool clearly asked for
        ("What's the weather like in Zorblax?", None),
    ],
)
def test_the_model_writes_a_call_only_for_a_clear_request_with_unread_words(
    host: ToolHost, said: str, tool: str | None
) -> None:
    assert host.for_the_model(said) == tool


def test_a_misread_call_goes_to_the_model_only_with_unread_words(host: ToolHost) -> None:
    """The tool could not read the fast path's arguments: "kill umpers" is unread (the model reads it),
    "a marathon" is English, a question for the model to answer in words."""
    units = host.registry.get("convert_units")
    assert units is not None
    assert host.for_the_model("How many miles is ten kill umpers?", misread=units) == "convert_units"
    assert host.for_the_model("Convert twelve pounds to kilagrums.", misread=units) == "convert_units"
    assert host.for_the_model("How many kilometres is a marathon?", misread=units) is None


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["Delete all my notes", "Clear my notes", "Erase every note"]),
    st.text("qxzjvkw", min_size=5),
)
def test_a_destructive_tool_is_never_handed_to_the_model(host: ToolHost, request: str, garble: str) -> None:
    """Its arguments are never a guess, whatever unread words come with the request."""
    notes = host.registry.get("delete_notes")
    assert notes is not None
    assert host.for_the_model(f"{request} {garble}.", misread=notes) is None
    assert host.for_the_model(f"{request} {garble}.") != "delete_notes"


async def test_the_reply_requires_the_call_in_its_first_round_only(tmp_path: Path) -> None:
    """The engine's plumbing: the first round of the model is told which tool to call, the round that
    answers from its result is not; the result is said."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    host = ToolHost(
        cfg.tools, toolbox_for(cfg.tools), "s", lambda _: None, lambda c, n: asyncio.ensure_future(c), True
    )
    call = ToolRequest(
        "c1", "convert_units", '{"value": 70, "from_unit": "fahrenheit", "to_unit": "celsius"}'
    )
    llm = ScriptedLLM("That is about 21 degrees Celsius.", tool_requests=[call], tool_replies=1)
    said = "Convert 70 degrees Fahrenheit dysolsias."
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host)
    assert llm.required == ["convert_units", None]
    assert [c.name for c in reply.tool_calls] == ["convert_units"] and reply.tool_calls[0].error is None
    assert "21" in heard, heard
    # A request the fast path reads is answered without the model at all.
    llm = ScriptedLLM("unused")
    reply, heard = await lone_reply(
        cfg, [Message("user", "Convert 70 degrees Fahrenheit to Celsius.")], llm, tools=host
    )
    assert llm.required == [] and "21.1" in heard, heard


@pytest.mark.parametrize(
    ("arguments", "said", "ok"),
    [
        ({"duration": "PT30M", "label": "lasagna"}, "Set a timer for the lasagna in the ovven.", False),
        ({"duration": "PT10M"}, "Set a timer for ten minits.", True),
        ({"duration": "PT1H30M"}, "A timer for 1 hour and 30 minuts.", True),
        (
            {"value": 70, "from_unit": "fahrenheit", "to_unit": "celsius"},
            "Convert seventy degrees dysolsias.",
            True,
        ),
        ({"count": 3, "size": "large"}, "Order some large peetsas.", False),
        ({"on": True, "room": "kitchen"}, "Turn on the kitchin lihgts.", True),  # a flag is no number
    ],
)
def test_a_call_the_model_was_made_to_write_carries_only_numbers_the_user_said(
    arguments: dict, said: str, ok: bool
) -> None:
    assert ToolHost.said_numbers(arguments, said) is ok


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_number_not_said_is_never_taken(said: int, written: int) -> None:
    text = f"Set a timer for {said} minutes in the ovven."
    assert ToolHost.said_numbers({"duration": f"PT{written}M"}, text) is (said == written)


async def test_a_required_call_with_a_made_up_number_is_not_run(tmp_path: Path) -> None:
    """The model, made to write set_timer for words with no duration, invents one: the call is not run
    and nothing is claimed done."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    host = ToolHost(
        cfg.tools, toolbox_for(cfg.tools), "s", lambda _: None, lambda c, n: asyncio.ensure_future(c), True
    )
    said = "Set a timer for the lazanya."
    assert host.for_the_model(said) == "set_timer"
    made_up = ToolRequest("c1", "set_timer", '{"duration": "PT30M"}')
    llm = ScriptedLLM("The timer is set for thirty minutes.", tool_requests=[made_up], tool_replies=1)
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm, tools=host)
    assert llm.required[0] == "set_timer"
    (call,) = reply.tool_calls
    assert call.extra.get("not_run") and "did not say" in (call.error or ""), call
    assert "thirty" not in heard.lower() and "30" not in heard, heard
