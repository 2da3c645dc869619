"""A newcomer's tools in a conversation: one more item, a kind named for its thing, names that are not
units, values nobody said, readings told as fragments, and the model's errors never said.

A newcomer's music player and shopping list (probe of 2026-12-08), with Qwen2.5-Coder 0.5B: "And milk."
after "Put eggs on the shopping list." was answered "Added milk." with nothing added; "What's on it?" got
"On eggs and milk." and "Is bread on the list?" "Your list has bread.", no tool called; "Pause it." after
"Play some jazz." played other music (`artist="The Beatles"`, never said), as did "Turn it down a
little."; "Play Miles Davis." could call no tool (the miles were a unit's); "What's playing?" was said
back as "What is playing?"; and a call the model wrote badly was said aloud as "Invalid arguments:
Unterminated string starting at: line 1 column 100". The tools here are another newcomer's: a radio and
a grocery list.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lone_reply import lone_reply
from user_tools import WritesUnlessMade, conversation, host, user_cfg, written

from assistant.engine.claims import reports_reading
from assistant.engine.guard import ReplyGuard
from assistant.engine.guard_context import asked_about
from assistant.engine.referent import resolved
from assistant.engine.tool_turn import _the_reader
from assistant.engine.unsaid import Said, made_up_text, says_the_opposite, takes_what_was_said, unsaid_options
from assistant.llm import Message, ToolRequest, make_llm
from assistant.tools.intent.deeds import reads_things

TOOLS = '''
from typing import Literal

from assistant.tools import tool

RADIO = {"on": None, "volume": 30}
GROCERIES: list[str] = []


@tool
def tune_radio(station: str | None = None, genre: Literal["jazz", "news", "folk"] | None = None) -> str:
    """Tune the kitchen radio to a station or a genre."""
    RADIO["on"] = station or genre or "the last station"
    return f"Tuned to {RADIO['on']}."


@tool
def pause_radio() -> str:
    """Pause the kitchen radio."""
    RADIO["on"] = None
    return "The radio is paused."


@tool
def radio_volume(percent: int) -> str:
    """Set the kitchen radio's volume, in percent."""
    RADIO["volume"] = percent
    return f"The volume is {percent} percent."


@tool
def on_air() -> str:
    """What the kitchen radio is playing, and how loud."""
    return f"{RADIO['on']} at {RADIO['volume']} percent." if RADIO["on"] else "The radio is off."


@tool
def add_to_grocery_list(item: str) -> str:
    """Put an item on the grocery list."""
    GROCERIES.append(item)
    return f"{item} is on the list."


@tool
def leave_voice_note(person: str, words: str) -> str:
    """Leave a voice note for someone in the house, saying some words."""
    return f"I'll tell {person}."


@tool
def chores_due(day: Literal["monday", "tuesday", "wednesday", "thursday", "friday"]) -> str:
    """Which chores are due on a weekday."""
    return "Bins on Tuesday." if day == "tuesday" else "No chores."


@tool
def grocery_list() -> str:
    """Read the grocery list."""
    return "The list has " + ", ".join(GROCERIES) + "." if GROCERIES else "The list is empty."
'''


@pytest.fixture(scope="module")
def tools_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return written(tmp_path_factory.mktemp("tools"), "kitchen_radio.py", TOOLS)


@pytest.fixture
def tools(tools_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return host(user_cfg(tools_file, tmp_path))


# ------------------------------------------------------------------ the rules


def test_a_description_that_says_what_it_tells_reads(tools) -> None:  # type: ignore[no-untyped-def]
    assert reads_things(tools.registry.get("on_air")) and reads_things(tools.registry.get("grocery_list"))
    assert not reads_things(tools.registry.get("tune_radio"))


def test_one_more_item_is_added_and_half_a_deed_is_not(tools) -> None:  # type: ignore[no-untyped-def]
    """After `add_to_grocery_list(item="rice")`, as the model called it for "Put rice on the grocery
    list."."""
    matcher, rice = tools.matcher, {"item": "rice"}
    for then, item in [("And flour.", "flour"), ("Also some olive oil.", "some olive oil")]:
        found = matcher.follow_up(then, "add_to_grocery_list", rice)
        assert found is not None and found.arguments == {"item": item}, then
    for then in ("And what about dinner?", "And call mom.", "And is it cold outside?"):
        assert matcher.follow_up(then, "add_to_grocery_list", rice) is None, then
    assert (
        matcher.follow_up("And the electrician.", "add_to_grocery_list", {"item": "call the plumber"}) is None
    )


def test_a_choice_named_before_is_read_with_its_thing(tools) -> None:  # type: ignore[no-untyped-def]
    assert tools.kinds["jazz"] == "radio" and "kitchen" not in tools.kinds
    assert resolved("Pause it.", ["Put on some jazz."], tools.kinds) == "Pause the jazz radio."
    assert resolved("Pause it.", ["Put on some jazz."]) == "Pause the jazz."
    assert (
        resolved("How loud are they?", ["Are the bedroom speakers on?"])
        == "How loud are the bedroom speakers?"
    )
    assert says_the_opposite("tune_radio", Said(["Pause the jazz radio."])) is False
    assert says_the_opposite("play_radio", Said(["Pause the jazz radio."])) is True


def test_a_tool_made_to_answer_a_claim_takes_what_the_user_said(tools) -> None:  # type: ignore[no-untyped-def]
    tune, volume = tools.registry.get("tune_radio"), tools.registry.get("radio_volume")
    assert not takes_what_was_said(tune, "Turn it down a little.")
    assert takes_what_was_said(tune, "Put the folk on.") and takes_what_was_said(
        volume, "Make it 20 percent."
    )
    reminder = tools.registry.get("set_reminder")
    assert not takes_what_was_said(reminder, "Set it to 20 percent.")  # its "set" is not its deed
    assert takes_what_was_said(reminder, "Remind me in ten minutes.")


def test_free_text_nobody_said_is_left_out(tools) -> None:  # type: ignore[no-untyped-def]
    tune = tools.registry.get("tune_radio")
    said = Said(["Put on some jazz.", "Turn it down a little."])
    assert unsaid_options(tune, {"station": "BBC Radio Four"}, said) == {"station": "BBC Radio Four"}
    assert unsaid_options(tune, {"station": "Radio Four"}, Said(["Put on radio four."])) == {}


def test_a_name_is_not_a_unit(tools) -> None:  # type: ignore[no-untyped-def]
    """Whisper writes names with capitals: "Miles" is an artist; "miles" (a unit) is no station."""
    assert "tune_radio" in (tools.callable("Tune in to Miles Davis.") or set())
    assert "tune_radio" not in (tools.callable("tune in to twenty miles.") or set())


def test_the_list_asked_about_is_the_lists_tool(tools) -> None:  # type: ignore[no-untyped-def]
    """ "list" is also a verb ("list my timers"); after "the", it is `grocery_list`'s thing."""
    assert "grocery_list" in (tools.callable("Is bread on the list?") or set())
    assert "list_timers" not in (tools.callable("Give me a list of five healthy snacks.") or set())


def test_a_question_that_names_no_thing_asks_about_the_one_reader_it_gives_a_value(tools) -> None:  # type: ignore[no-untyped-def]
    """ "Do I have anything on Tuesday?" names no thing; `chores_due` reads, and takes "tuesday"."""
    said = "Do I have anything on Tuesday?"
    asked = asked_about(said, tools, tools.callable(said))
    assert "tuesday" in asked, asked
    assert reports_reading("Yes, you have the laundry on Tuesday.", asked)
    assert reports_reading("I have a list of chores for Tuesday.", asked)
    assert not reports_reading("Would you like me to check Tuesday?", asked)


@pytest.mark.parametrize(
    ("sentence", "made_up"),
    [
        ("On eggs and milk.", True),
        ("Rice and flour.", True),
        ("Your list has bread.", True),
        ("Not yet.", True),
        ("Sorry, I can't check that.", False),
        ("Would you like me to read it?", False),
        ("A list helps you remember what to buy.", False),
    ],
)
def test_a_reading_told_as_a_fragment(sentence: str, made_up: bool) -> None:
    assert reports_reading(sentence, frozenset({"list"})) is made_up


def test_what_the_model_was_told_of_a_refused_call_is_never_said() -> None:
    guard = ReplyGuard(heard="Set it to 20 percent.")
    guard.tool_called("invalid arguments: Unterminated string starting at: line 1 column 100 (char 99)")
    verdict = guard.admit("Invalid arguments: Unterminated string starting at: line 1 column 100.", last=True)
    assert (verdict.text, verdict.stop) == ("", "leak")
    fine = ReplyGuard(heard="Set it to 20 percent.")
    fine.tool_called()
    assert fine.admit("The volume is 20 percent.", last=True).text == "The volume is 20 percent."


def test_a_question_said_back_with_its_contraction_spelled_out_is_an_echo() -> None:
    for heard, reply in [("What's on the radio?", "What is on the radio?"), ("What is on?", "What's on?")]:
        assert ReplyGuard(heard=heard).admit(reply, last=True).stop == "echo", (heard, reply)


def test_words_to_pass_on_must_be_the_users(tools) -> None:  # type: ignore[no-untyped-def]
    note = tools.registry.get("leave_voice_note")
    asked = Said(["Leave a voice note for Tom."])
    assert made_up_text(note, {"person": "Tom", "words": "Hello, how are you?"}, asked) == "words"
    said = Said(["Tell Tom that dinner is at eight."])
    assert made_up_text(note, {"person": "Tom", "words": "Dinner is at 8."}, said) is None


def test_a_reading_is_not_taken_for_a_command_to_change(tools) -> None:  # type: ignore[no-untyped-def]
    """The fast path, and a follow-up of a reading: "Move it to the news." after `on_air` read the radio
    is no reading of the news."""
    matcher = tools.matcher
    on_air = tools.registry.get("on_air")
    assert matcher.follow_up("Move it to the news.", "on_air", {}) is None
    assert matcher.follow_up("Switch it to folk.", "tune_radio", {"genre": "jazz"}) is not None
    assert on_air is not None and not reads_things(tools.registry.get("pause_radio"))


@settings(max_examples=150, deadline=None)
@given(
    said=st.text(max_size=80) | st.sampled_from(["And the ", "and the radio too", "Is it", "they're on?"]),
    earlier=st.lists(st.text(max_size=60) | st.just("Switch off the radio."), max_size=3),
)
def test_any_words_are_read_without_error(tools_file: Path, said: str, earlier: list[str]) -> None:
    """Hostile or broken transcripts through every rule this file tests: no exception, answers of the
    right kind."""
    tools = host(user_cfg(tools_file, tools_file.parent))
    meant = resolved(said, earlier, tools.kinds)
    assert isinstance(meant, str)
    may = tools.callable(meant)
    asked = asked_about(meant, tools, may)
    assert isinstance(reports_reading(said, asked | {"radio"}), bool)
    for tool in tools.registry:
        assert isinstance(takes_what_was_said(tool, said), bool)
    found = tools.matcher.follow_up(said, "add_to_grocery_list", {"item": "rice"})
    assert found is None or isinstance(found.arguments.get("item"), str)


# ------------------------------------------------------------------ the reply around them (scripted)


async def test_words_nobody_said_are_asked_for_not_passed_on(tools_file: Path, tmp_path: Path) -> None:
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    llm = WritesUnlessMade("Done.", {})
    note = '{"person": "Tom", "words": "Hello, see you soon!"}'
    llm.tool_requests = [ToolRequest("call_1", "leave_voice_note", note)]
    reply, heard = await lone_reply(
        cfg, [Message("user", "Leave a voice note for Tom.")], llm, tools=host(cfg)
    )
    (call,) = reply.tool_calls
    assert call.extra.get("not_run") and call.extra.get("ask_for") == "words", call
    assert heard == "What should the words be?", heard


async def test_a_question_said_back_makes_the_model_call_the_tool_that_reads(
    tools_file: Path, tmp_path: Path
) -> None:
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    llm = WritesUnlessMade("What is on the radio?", {})
    reply, heard = await lone_reply(cfg, [Message("user", "What's on the radio?")], llm, tools=host(cfg))
    assert llm.required == [None, "on_air"] and [c.name for c in reply.tool_calls] == ["on_air"]
    assert heard == "The radio is off.", heard


async def test_a_claim_makes_no_call_of_a_tool_the_user_gave_nothing(
    tools_file: Path, tmp_path: Path
) -> None:
    """ "Turn it down a little." after "Put on some jazz." (the jazz radio): `tune_radio` acts on the
    radio, but the user's words give it nothing it takes; made to call it, a model had played other music.
    The claim is not said, and nothing is called."""
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    down = WritesUnlessMade("I turned it down.", {"station": "Jazz FM"})
    reply, heard = await lone_reply(
        cfg, [Message("user", "Turn it down a little.")], down, tools=host(cfg), earlier=["Put on some jazz."]
    )
    assert down.required == [None] and reply.tool_calls == [], (down.required, reply.tool_calls)
    assert "turned" not in heard, heard


async def test_of_several_readers_the_one_that_names_the_thing_reads_it(
    tools_file: Path, tmp_path: Path
) -> None:
    """`on_air`, `grocery_list` and `chores_due` all read; "the radio" is named only by `on_air`'s
    docstring. With several readers, "Sorry, I couldn't check that." had been said (a newcomer's pool,
    trial of 2026-12-08)."""
    cfg = user_cfg(tools_file, tmp_path, "tools.results=tool")
    tools = host(cfg)
    assert _the_reader(tools, {"tune_radio", "pause_radio"}, frozenset({"radio"})) == "on_air"
    assert _the_reader(tools, {"tune_radio"}, frozenset({"weather"})) is None
    llm = WritesUnlessMade("The radio is on.", {})
    _, heard = await lone_reply(cfg, [Message("user", "Is the radio on?")], llm, tools=tools)
    assert llm.required == [None, "on_air"] and heard == "The radio is off.", (llm.required, heard)


# ------------------------------------------------------------------ the real model


async def test_qwen_keeps_a_list_and_reads_it_back(tools_file: Path, tmp_path: Path) -> None:
    """One conversation with the bundled Qwen: two items added (the second by "And flour."), and the
    questions about the list answered by reading it, never from the model's head."""
    cfg = user_cfg(tools_file, tmp_path, "llm.model=bundled:qwen2.5-0.5b", "tools.results=tool")
    tools, llm = host(cfg), make_llm(cfg.llm)
    turns = {
        "Put rice on the grocery list.": ("add_to_grocery_list", {"item": "rice"}),
        "And flour.": ("add_to_grocery_list", {"item": "flour"}),
        "What's on it?": ("grocery_list", {}),
        "Is sugar on the list?": ("grocery_list", {}),
    }
    heard = ""
    async for text, reply, heard in conversation(cfg, llm, tools, list(turns)):
        ran = [(c.name, c.arguments) for c in reply.tool_calls if not c.extra.get("not_run")]
        assert ran == [turns[text]], (text, reply.tool_calls, heard)
    assert "rice" in heard.lower() and "flour" in heard.lower() and "sugar" not in heard.lower(), heard
