"""Live information no tool gives: the assistant says it cannot check, and the model is never asked to
make it up (assistant/engine/live.py). Requests here are written for this test, not taken from a probe."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scripted import ScriptedLLM
from spoken import say, steady_voice
from test_tools_engine import asked_about, tool_cfg

from assistant.engine import Conversation
from assistant.engine.live import LIVE, cannot_check, tells_now
from assistant.engine.notices import ACKNOWLEDGED, FALLBACK_EMPTY
from assistant.tools import tool
from assistant.tools.registry import ToolRegistry
from assistant.transports.simulate import simulate

LIVE_REQUESTS = {
    "weather": [
        "Is it going to snow on Sunday?",
        "What's the weather doing in Glasgow?",
        "Is it still raining?",
    ],
    "news": ["Tell me the news.", "What are today's headlines?"],
    "traffic": ["How is the traffic into town?"],
    "markets": ["What's the current price of gold?", "How are the stock markets doing?"],
    "results": ["Who won the tennis final yesterday?", "What was the score in the rugby?"],
    "timetables": [
        "When is the next ferry to the island?",
        "Is the seven o'clock train on time?",
        "Look at my flight status.",  # Qwen had answered "Flight status: running." (2026-12-05)
        "What's the status of my flight to Rome?",
    ],
    "opening hours": ["When does the library open?", "Is the post office open today?"],
    "accounts": ["Read me my texts.", "Do I have any voicemails?"],
}
KNOWLEDGE = [
    "What is the weather normally like in Iceland in winter?",
    "How do weather forecasts work?",
    "Why does snow fall in flakes?",
    "What is a stock market?",
    "How do I read a train timetable?",
    "What does flight status mean?",
    "Who won the first football world cup?",
    "I watched the news last night.",
    "The traffic was awful this morning.",
    "Write a short poem about the rain.",
    "Set a timer for five minutes.",
    "Remind me to bring a raincoat tomorrow.",
    "remind me to look at the headlines tonight",
    "What was the result of the general election in 1945?",
]


@pytest.mark.parametrize("category", LIVE)
def test_each_category_of_live_information_is_said_to_be_out_of_reach(category):
    for text in LIVE_REQUESTS[category]:
        assert cannot_check(text) == LIVE[category].sentence, text


@pytest.mark.parametrize("text", KNOWLEDGE)
def test_knowledge_statements_and_tool_requests_go_on_to_the_model(text):
    assert cannot_check(text) is None


def test_a_tool_that_names_the_category_covers_it():
    @tool
    def get_weather(city: str) -> str:
        """Today's weather and forecast for a city."""
        return f"Sunny in {city}."

    weather = ToolRegistry().add(get_weather)
    assert cannot_check("Is it going to snow on Sunday?", [weather]) is None
    assert cannot_check("Tell me the news.", [weather]) == LIVE["news"].sentence


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=400)
    | st.lists(
        st.sampled_from(
            ["is", "the", "open", "weather", "now", "my", "it", "train", " ", "?", "news", "traffic", "a"]
        )
    ).map(" ".join)
)
def test_any_text_gets_a_category_sentence_or_none_quickly(text):
    started = time.perf_counter()
    said = cannot_check(text)
    assert said is None or said in {live.sentence for live in LIVE.values()}
    assert time.perf_counter() - started < 0.05, "a pattern backtracks"


@pytest.mark.parametrize("unit", ["is it open ", "any ", "news ", "weather now "])
def test_a_long_typed_text_is_read_in_bounded_time(unit):
    started = time.perf_counter()
    cannot_check(unit * 5000)
    assert time.perf_counter() - started < 0.05


def test_a_curly_apostrophe_reads_as_a_straight_one():
    assert cannot_check("What’s on my calendar today?") == LIVE["accounts"].sentence


async def test_a_spoken_weather_question_is_answered_without_the_model(tmp_path):
    """Through VAD and Whisper, with the built-in tools: the category's sentence is said, the model is not
    asked, and the next turn goes to the model as usual; a tool request that mentions live information
    is the tool's (the fast path comes first)."""
    voice = steady_voice()
    cfg = tool_cfg(None, tmp_path)
    llm = ScriptedLLM("Sure, here is a joke about owls.")
    questions = [
        say(voice, "What will the weather be like tomorrow?", tmp_path / "weather.wav"),
        say(voice, "Tell me a joke about owls.", tmp_path / "joke.wav"),
        say(voice, "Remind me to check my email at five o'clock.", tmp_path / "remind.wav"),
    ]
    result = await simulate(cfg, questions, conversation=Conversation(cfg, llm=llm))
    weather, joke, remind = [t for t in result.report["turns"] if t["user_text"]]
    assert [c["name"] for c in remind["tool_calls"]] == ["set_reminder"], remind
    assert weather["assistant_text"] == LIVE["weather"].sentence and not weather.get("tool_calls")
    assert "joke about owls" in joke["assistant_text"]
    assert asked_about(llm, [weather, joke]) == [joke["user_text"]]


@pytest.mark.parametrize(
    ("sentence", "tells"),
    [
        ("The current time is 20:48 AM, Tokyo.", True),
        ("It's 5 PM.", True),
        ("It is now about 7 o'clock.", True),
        ("Today is Tuesday.", True),
        ("I'm currently in Tokyo, Japan.", True),
        ("The sun sets at about 7 pm in summer.", False),
        ("The film starts at 8:30.", False),
        ("It is 100 degrees in the oven.", False),
        ("I'm in a good mood today.", False),
        ("I am at your service.", False),
    ],
)
def test_what_tells_the_time_of_now_or_a_place_of_its_own(sentence: str, tells: bool) -> None:
    assert tells_now(sentence) is tells


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=400))
def test_any_reply_text_is_read_quickly(text: str) -> None:
    started = time.perf_counter()
    tells_now(text * 3)
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize(
    ("said", "answer"), [("How are you today?", FALLBACK_EMPTY), ("I had a slow morning.", ACKNOWLEDGED)]
)
async def test_a_made_up_time_is_not_said(cfg, said: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    """No tool was called, so the model's time or place of its own is made up: it is cut, and the turn
    gets the answer it would get had the model said nothing fit to say."""
    from lone_reply import lone_reply

    from assistant.llm import Message

    llm = ScriptedLLM("The current time is 20:48 AM, Tokyo. Have a nice day.", delay_s=0.001)
    reply, heard = await lone_reply(cfg, [Message("user", said)], llm)
    assert (reply.cut, heard) == ("live", answer)
