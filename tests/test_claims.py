"""A reply does not claim a deed that no tool did ("Book me a taxi." -> "The taxi is booked.")."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from test_reply_guard import admit_all, one_reply

from assistant.engine.claims import (
    ACTION_VERBS,
    WORD_VERBS,
    claims,
    reports_change,
    reports_done,
    reports_state,
    requested_change,
    requested_deeds,
    requested_verbs,
)
from assistant.engine.guard import ReplyGuard
from assistant.engine.notices import UNABLE

FALSE_CLAIMS = [
    ("Book me a taxi to the station.", "The taxi is booked."),
    ("Could you please call my dentist?", "Calling your dentist now."),
    ("Okay, switch off the fan in the hall.", "Fan switched off."),
    ("Set the table for four people.", "Table set for four people."),
    ("Shut the garage door.", "Garage door shut."),
    ("I want you to lock the back door.", "The back door is locked."),
    ("Send an email to Sam.", "Sure, I'd be happy to send an email to Sam."),
    ("Can you put the heating on?", "I've turned the heating on."),  # another verb: not this rule's
]
NOT_CLAIMS = [
    ("Book me a taxi to the station.", "I can't book taxis, but the station has a rank."),
    ("Can you book a table for two?", "You can book a table on the restaurant's website."),
    ("Let's play a game.", "Sure, I'd love to play a game!"),
    ("Tell me a joke.", "Sure, I'll tell you one."),
    ("Remind me, what's my cousin called?", "Your cousin is called Ana."),
    ("Did you set the alarm?", "Yes, I set it."),
    ("How do I open a jar?", "Twist the lid hard."),
    ("Set the table for four people.", "You can set it with the good plates."),
    ("Put the kettle on.", "I'd love to, but I can't put it on myself."),
]


def test_a_deed_said_done_or_promised_without_a_tool_is_a_claim() -> None:
    for heard, reply in FALSE_CLAIMS[:-1]:
        assert claims(reply, requested_deeds(heard)), (heard, reply)
    for heard, reply in NOT_CLAIMS:
        assert not claims(reply, requested_deeds(heard)), (heard, reply)


def test_the_guard_does_not_say_a_claim_unless_a_tool_answered() -> None:
    guard = ReplyGuard(heard="Play some jazz music.")
    assert admit_all(guard, ["The music is playing."]) == "" and guard.stopped == "claim"
    guard = ReplyGuard(heard="Order a pizza for me.")  # a sentence cut into clauses is judged whole
    assert admit_all(guard, ["Sure, I'd be happy", "to order a pizza for you."]) == ""
    guard = ReplyGuard(heard="Play some jazz music.")
    guard.tool_answered()
    assert admit_all(guard, ["The music is playing."]) == "The music is playing."


CHANGES_CLAIMED = [  # Qwen2.5-Coder 0.5B's answers when the fast path left the change to it, no tool run
    ("Dim the kitchen lights by 20 percent.", "Kitchen lights dim by twenty percent."),
    ("Subtract one minute from the timer.", "Timer subtracted one minute."),
    ("Dim the lights a bit.", "The lights are now dimmed."),
    ("Could you start the washing machine?", "The washing machine starts in five minutes."),
    ("Subtract one minute from the timer.", "I subtracted one minute from your 10 minute timer."),
    ("Make the bedroom lights ten percent brighter.", "I made the bedroom lights ten percent brighter."),
    ("Set a timer for ten minutes.", "I set a timer for 10 minutes."),  # "set": its own past
]
CHANGES_NOT_CLAIMED = [
    ("Subtract 5 from 12.", "Subtracting 5 from 12 gives 7."),  # arithmetic names no thing
    ("Subtract 5 from 12.", "I subtracted 5 from 12 and got 7."),
    ("Make me a sandwich.", "I make great sandwiches in my dreams."),
    ("Check my bank balance.", "Your bank balance is not something I can see."),
    ("Make the timer longer.", "The timer makes a sound when it ends."),  # "make" says no deed
    ("Dim the kitchen lights.", "Do the kitchen lights dim?"),
    ("Tell me about the kitchen lights.", "Kitchen lights dim when the bulbs age."),  # words asked for
]


def test_a_thing_said_changed_without_a_tool_is_a_claim() -> None:
    for heard, reply in CHANGES_CLAIMED:
        assert reports_change(reply, *requested_change(heard)), (heard, reply)
    for heard, reply in CHANGES_NOT_CLAIMED:
        assert not reports_change(reply, *requested_change(heard)), (heard, reply)
    guard = ReplyGuard(heard="Subtract one minute from the timer.")
    assert admit_all(guard, ["Timer subtracted one minute.", "It has 9 minutes left."]) == ""
    assert guard.stopped == "claim"
    guard = ReplyGuard(heard="Subtract one minute from the timer.")
    guard.tool_answered("I took 1 minute off your 10 minute timer; it has 9 minutes left.")
    said = "I took one minute off your timer. It has 9 minutes left."
    assert admit_all(guard, [said]) == said


def test_any_deed_said_done_without_a_tool_is_a_claim_when_a_deed_was_asked_for() -> None:
    """Whatever the verb: Qwen to "Make the bedroom lights ten percent brighter." (no tool ran) said
    "Make the bedroom lights ten percent brighter; they have now been turned on." """
    for reply in (
        "They have now been turned on.",
        "The door is locked.",
        "Your message has been saved.",
        "The fan is now high at 75%.",
        "The heating is now on.",
    ):
        assert reports_done(reply), reply
    for reply in (
        "The lights have been on all day.",
        "Is the door locked?",
        "I have not turned it on.",
        "The timer has been running for two minutes.",
        "The card game is called poker.",
    ):
        assert not reports_done(reply), reply
    heard = "Make the bedroom lights ten percent brighter."
    guard = ReplyGuard(heard=heard)
    assert admit_all(guard, [f"{heard[:-1]};", "they have now been turned on."]) == ""
    assert guard.stopped == "claim"
    guard = ReplyGuard(heard="What happens to a letter after I post it?")  # words asked for, not a deed
    assert (
        admit_all(guard, ["It is posted on to a sorting office."]) == "It is posted on to a sorting office."
    )


@given(
    st.sampled_from(sorted(ACTION_VERBS)),
    st.sampled_from(["", "Okay, ", "Please ", "Could you ", "Can you please ", "I need you to "]),
    st.sampled_from(["I can't", "I cannot", "I'm not able to", "I'm unable to", "I will never"]),
)
def test_a_refusal_is_never_a_claim(verb: str, frame: str, refusal: str) -> None:
    heard = f"{frame}{verb} the thing."
    assert verb in requested_deeds(heard) or frame in ("", "Okay, ")  # "Cool the thing." may be "Cool!"
    assert not claims(f"Sorry, {refusal} {verb} the thing.", requested_deeds(heard))


async def test_a_claimed_deed_becomes_an_apology(cfg) -> None:
    cut, heard = await one_reply(cfg, "Order a pizza for me.", "Sure, I'd be happy to order a pizza for you.")
    assert (cut, heard) == ("claim", UNABLE)


async def test_a_refused_call_lets_no_claim_through(tmp_path) -> None:
    """The model calls delete_notes for "Delete it." (which names nothing), the call is refused, and the
    model says the deed is done anyway: it is not said."""
    import asyncio

    from lone_reply import lone_reply
    from scripted import ScriptedLLM

    from assistant.config import load_config
    from assistant.engine.tooling import ToolHost, toolbox_for
    from assistant.llm import Message, ToolRequest

    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda text: None, asyncio.ensure_future, True)
    llm = ScriptedLLM("Your notes are deleted.", tool_requests=[ToolRequest("c1", "delete_notes", "{}")])
    messages = [Message("system", "You are a helpful assistant."), Message("user", "Delete it.")]
    reply, heard = await lone_reply(cfg, messages, llm, tools=host)
    host.close()
    assert [c.name for c in reply.tool_calls] == ["delete_notes"] and reply.tool_calls[0].error
    assert "deleted" not in heard and reply.cut == "claim", heard


@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=200))
def test_any_text_is_judged_without_error(heard: str, reply: str, before: str) -> None:
    """Hostile or garbled transcripts and model output (any Unicode, empty, punctuation only)."""
    deeds = requested_deeds(heard)
    assert deeds <= requested_verbs(heard) and not deeds & WORD_VERBS
    assert isinstance(claims(reply, deeds), bool)
    assert isinstance(reports_change(reply, *requested_change(heard)), bool)
    assert isinstance(reports_done(reply), bool)
    guard = ReplyGuard(heard=heard, before=before, asked_before=heard)
    said = admit_all(guard, [reply, before])
    assert isinstance(said, str) and guard.stopped in (
        None,
        "loop",
        "overlong",
        "echo",
        "claim",
        "leak",
        "tool_talk",
        "number",
        "foreign",
        "live",
    )


def test_a_state_given_to_what_the_user_asked_to_change_is_a_claim() -> None:
    """Qwen to "Turn the fan up to high." with no tool called: "The fan is high." (2026-12-07)."""
    for heard, reply in [
        ("Turn the fan up to high.", "The fan is high."),
        ("Turn the heating on.", "The heating is on."),
        ("Set the oven to 180 degrees.", "The oven is at 180 degrees now."),
    ]:
        assert reports_state(reply, requested_change(heard)[1], heard), reply
        guard = ReplyGuard(heard=heard)
        assert admit_all(guard, [reply]) == "" and guard.stopped == "claim", reply
    for heard, reply in [
        ("Turn the fan up to high.", "The fan is a useful device."),
        ("Turn the fan up to high.", "Is the fan high?"),
        ("Turn the fan up to high.", "The fan is not high."),
        ("What is the capital of France?", "The capital of France is Paris."),
    ]:
        assert not reports_state(reply, requested_change(heard)[1], heard), reply
    guard = ReplyGuard(heard="Turn the fan up to high.")
    guard.tool_answered("The fan is high.")
    assert admit_all(guard, ["The fan is high."]) == "The fan is high."
