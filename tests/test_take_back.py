"""Taking back the last deed: "cancel that" soon after a timer, a reminder, a note or a change was made
undoes it and says so (assistant.engine.take_back); a bare "cancel" or "stop" only stops the speech."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM
from spoken import say, steady_voice

from assistant.config import load_config
from assistant.engine import Conversation
from assistant.engine.claims import TOOL_FAILED
from assistant.engine.take_back import takes_back
from assistant.engine.tooling import ToolHost, toolbox_for
from assistant.llm import Message
from assistant.tools.intent.text import tokenize
from assistant.transports.simulate import SimulationOptions, simulate


@pytest.mark.parametrize(
    "text",
    [
        "Cancel that.",
        "No wait, cancel that!",
        "Oh, scratch that, please.",
        "Undo.",
        "Undo it.",
        "Take that back.",
        "Actually, forget that.",
        "Hmm, never mind that.",
        "Delete that.",
    ],
)
def test_words_that_take_the_last_deed_back(text: str) -> None:
    assert takes_back(text)


@pytest.mark.parametrize(
    "text",
    [
        "Cancel.",
        "Stop.",
        "Never mind.",
        "Wait.",
        "Cancel the timer.",
        "Forget it, what time is it?",
        "Cancel that and set one for five minutes.",
        "That is not what I said.",
        "",
    ],
)
def test_words_that_do_not(text: str) -> None:
    assert not takes_back(text)


_OPENERS = st.lists(st.sampled_from(["no", "wait", "oh", "actually", "sorry", "okay", "um"]), max_size=3)
_PHRASES = st.sampled_from(["cancel that", "undo it", "scratch that", "take it back", "forget this", "undo"])


@given(_OPENERS, _PHRASES, st.booleans(), st.text(min_size=1, max_size=12))
def test_a_take_back_with_more_words_is_a_request_of_its_own(
    openers: list[str], phrase: str, please: bool, extra: str
) -> None:
    """Any openers and a closing "please" keep it a take-back; any word of something else after it makes
    it a request the fast path or the model reads ("cancel that timer", "undo it twice")."""
    text = ", ".join([*openers, phrase]) + (", please" if please else "") + "."
    assert takes_back(text)
    more = [w for w in tokenize(extra).norm if w not in ("please", "now", "it", "that", "this")]
    if more:
        assert not takes_back(f"{text[:-1]} {' '.join(more)}.")


def _spawn(coro: Any, name: str) -> asyncio.Task[Any]:
    return asyncio.get_running_loop().create_task(coro, name=name)


@pytest.fixture
def host(tmp_path: Path) -> Any:
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    made = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda text: None, _spawn, True)
    yield cfg, made
    made.close()


async def _say(host: Any, text: str) -> tuple[str, list[dict[str, Any]]]:
    """The reply to `text` alone (the model scripted, for turns the fast path does not take)."""
    cfg, tools = host
    messages = [Message("system", "You are a helpful assistant."), Message("user", text)]
    reply, heard = await lone_reply(cfg, messages, ScriptedLLM("Okay."), tools=tools)
    return heard, [c.as_dict() for c in reply.tool_calls]


async def test_a_timer_just_set_is_cancelled_by_cancel_that_once(host: Any) -> None:
    _, tools = host
    heard, calls = await _say(host, "Set a timer for ten minutes.")
    assert [c["name"] for c in calls] == ["set_timer"] and len(tools.scheduler.pending()) == 1, heard
    assert tools.can_take_back("No wait, cancel that.") and not tools.can_take_back("Cancel.")
    heard, calls = await _say(host, "No wait, cancel that.")
    assert heard.startswith("I cancelled that") and "timer" in heard, heard
    assert calls[0]["undo"] and calls[0]["name"] == "set_timer" and not tools.scheduler.pending()
    assert not tools.can_take_back("Cancel that.")  # once: it is taken back already


async def test_a_note_taken_back_leaves_the_others(host: Any, tmp_path: Path) -> None:
    await _say(host, "Note that I parked on level 3.")
    await _say(host, "Note that the plumber comes on Monday.")
    heard, _ = await _say(host, "Scratch that.")
    assert heard.startswith("I took that note off") and "plumber" in heard, heard
    heard, calls = await _say(host, "Read my notes.")
    assert [c["name"] for c in calls] == ["read_notes"] and "level 3" in heard and "plumber" not in heard


async def test_a_change_to_a_timer_is_changed_back(host: Any) -> None:
    _, tools = host
    await _say(host, "Set a timer for ten minutes.")
    heard, calls = await _say(host, "Add five minutes to the timer.")
    assert [c["name"] for c in calls] == ["change_timer"], heard
    heard, _ = await _say(host, "Undo that.")
    (timer,) = tools.scheduler.pending()
    assert heard.startswith("I changed your") and 590 < timer.remaining_s() <= 600, heard


async def test_another_call_in_between_ends_the_take_back(host: Any) -> None:
    """ "Cancel that" after "what is two plus two" points at the sum, not at the timer before it."""
    _, tools = host
    await _say(host, "Set a timer for ten minutes.")
    _, calls = await _say(host, "What is two plus two?")
    assert calls and calls[0]["name"] == "calculate"
    assert not tools.can_take_back("Cancel that.") and len(tools.scheduler.pending()) == 1


async def test_a_deed_that_cannot_be_taken_back_any_more_is_said_so(host: Any) -> None:
    await _say(host, "Set a timer for one second.")
    await asyncio.sleep(1.3)
    heard, calls = await _say(host, "Cancel that.")
    assert heard.startswith(TOOL_FAILED) and "already gone off" in heard, heard
    assert "error" in calls[0] and calls[0]["undo"]


async def test_cancel_that_said_over_the_timer_confirmation_cancels_the_timer(tmp_path: Path) -> None:
    """Spoken, through VAD, Whisper and Piper: "Set a timer for ten minutes." and, 0.6 s into "Timer set
    for ten minutes.", "No wait, cancel that.": the reply is cut, and the timer, set but never heard
    confirmed, is cancelled and said to be. (Before: a stop command; the timer ran on, unheard.)"""
    voice = steady_voice()
    cfg = load_config(
        overrides=["llm.temperature=0", f"tools.data_dir={tmp_path / 'data'}", "tools.entry_points=false"]
    )
    llm = ScriptedLLM("Okay.")
    timer = say(voice, "Set a timer for ten minutes.", tmp_path / "timer.wav")
    back = say(voice, "No wait, cancel that.", tmp_path / "back.wav")
    conv = Conversation(cfg, llm=llm)
    result = await simulate(cfg, [timer, back], SimulationOptions(barge_in_after_s=0.6), conv)
    turns = result.report["turns"]
    said = [(t["user_text"], t["assistant_text"], t["interrupted"]) for t in turns]
    assert len(turns) == 2 and turns[0]["interrupted"], said
    assert [c["name"] for c in turns[0]["tool_calls"]] == ["set_timer"], said
    (undo,) = turns[1]["tool_calls"]
    assert undo.get("undo") and turns[1]["assistant_text"].startswith("I cancelled that"), said
    assert not conv.tools.scheduler.pending(), said
