"""No tool without a request: interjections and short commands call nothing, and a destructive tool only
runs when the user's own words name what it destroys.

The spoken figure is measured on tests/data/non_requests.yaml (259 interjections, answers, short commands,
vague commands and sentences that mention a tool's words), said by the bundled Piper voice (seeded) and
by CMU Flite, transcribed by Whisper tiny.en as a final transcript (with the second look a near miss
gets), and given to the fast path. Run with `-s` to see the figures and what was heard.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_intent import seeded_piper_voice

from assistant.asr import Transcriber
from assistant.config import load_config
from assistant.engine.commands import is_stop_command
from assistant.engine.tooling import Toolbox, ToolHost, is_no, is_yes
from assistant.tools import Tool, ToolDefinitionError, ToolRegistry, load_spec, make_tool, tool
from assistant.tools.builtin import BUILTIN_TOOLS, delete_notes
from assistant.tools.intent import IntentMatcher
from assistant.tools.intent.evaluate import Case, flite, heard, load_cases
from assistant.tools.intent.gate import (
    FUNCTION_WORDS,
    INTERJECTIONS,
    RESPONSES,
    SOCIAL,
    STOPPING,
    is_destructive,
    is_request,
    names_object,
    object_words,
    refusal,
)
from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.speech_act import SUBJECTS, is_fragment, is_question, is_statement
from assistant.tools.intent.text import stem, tokenize
from assistant.tts import Synthesizer

DATA = Path(__file__).parent / "data"
HOME_TOOLS = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"
NO_TOOL_TARGET = 0.99
"""The issue's figure: no tool called for at least 99 % of the spoken non-requests, over both voices."""


@pytest.fixture(scope="module")
def tools() -> list[Tool]:
    return [make_tool(fn) for fn in BUILTIN_TOOLS] + load_spec(str(HOME_TOOLS))


@pytest.fixture(scope="module")
def matcher(tools: list[Tool]) -> IntentMatcher:
    return IntentMatcher(tools)


def _called(matcher: IntentMatcher, text: str) -> str | None:
    found = matcher.match_any([text])
    return found[0].tool.name if found else None


# ----------------------------------------------------------------------------------------- the faults


@pytest.mark.parametrize(
    "text",
    ["Stop.", "stop", "Never mind.", "Wait, stop.", "Cancel that.", "Delete.", "Clear it.", "Stop it.",
     "No thanks.", "Okay.", "Hmm.", "Hold on.", "Forget it.", "That's all.", "Don't delete my notes."],
)  # fmt: skip
def test_the_reported_interjections_call_no_tool(matcher, text) -> None:  # type: ignore[no-untyped-def]
    assert _called(matcher, text) is None
    assert not matcher.near_miss(text)  # not even worth a second decoding


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("never mind the timer", "cancel_timer", {}),  # no timer called "mind"
        ("Wait, stop the timer.", "cancel_timer", {}),  # no timer called "wait"
        ("okay, cancel my pasta timer", "cancel_timer", {"label": "pasta"}),
        ("Okay, take a note buy milk.", "add_note", {"text": "buy milk"}),
        ("add a note stop by the bank", "add_note", {"text": "stop by the bank"}),  # "stop" as a value
        ("note that the pasta was good", "add_note", {"text": "the pasta was good"}),
        ("delete my notes", "delete_notes", {}),
        ("please clear all of my notes", "delete_notes", {}),
    ],
)
def test_free_text_never_takes_an_interjection(matcher, text, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    found = matcher.match(text)
    assert found is not None and (found.tool.name, found.arguments) == (tool, arguments)


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("Let's play a game. Roll three dice for me.", "roll_dice", {"count": 3}),
        ("I'm running late. What time is it?", "current_time", {}),
        ("Okay. Set a timer for ten minutes.", "set_timer", {"duration": "PT10M"}),
        ("Set a timer for ten minutes. Thanks.", "set_timer", {"duration": "PT10M"}),
        ("Set a timer for ten minutes. Actually, never mind.", None, None),
        ("Set a timer for ten minutes. Cancel that.", None, None),
        ("Delete my notes. No wait, hold on.", None, None),
        ("My sister lives in Toronto. She loves it there.", None, None),
        # The same with commas, as Whisper writes it as often.
        ("Let's play a game, roll three dice for me.", "roll_dice", {"count": 3}),
        ("If you can, turn off the kitchen lights.", "set_lights", {"room": "kitchen", "on": False}),
        ("I'm bored, tell me the time.", "current_time", {}),
        ("Set a timer for 1,500 seconds, please.", "set_timer", {"duration": "PT25M"}),
        ("Set a timer for ten minutes, actually never mind.", None, None),
        ("Set a timer for ten minutes, no wait, cancel that.", None, None),
        ("No, don't turn off the lights.", None, None),
        ("When I got home, I set a timer for ten minutes.", None, None),
        ("If it rains tomorrow, I'll cancel the timer.", None, None),
    ],
)
def test_a_request_after_a_preface_is_heard_and_one_taken_back_is_not(matcher, text, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    """The last sentence, then the last clause, alone is tried when the whole turn matches nothing (a
    preface dilutes it), and a last clause that retracts ("never mind", "cancel that") leaves no tool,
    also for the model; a statement or a negative command in the last clause asks for nothing."""
    from assistant.tools.intent.gate import retracted

    found = matcher.match(text)
    assert (found and (found.tool.name, found.arguments)) == ((tool, arguments) if tool else None)
    takes_back = ("never mind", "cancel that", "hold on")
    assert retracted(text) == (tool is None and any(words in text.lower() for words in takes_back))


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("Can you write her a short welcome message?", None, None),
        ("Write them a thank you card with some jokes in it.", None, None),
        ("Make us a shopping list for the week.", None, None),
        ("Note down her phone number.", "add_note", {"text": "her phone number"}),
        ("Make me a note to call the bank.", "add_note", {"text": "call the bank"}),
    ],
)
def test_something_to_write_for_someone_is_not_a_note(matcher, text, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    """ "write *her* a message": a double-object verb whose first object is someone else asks for
    something composed for them (the model's job), not a note kept; "me" and a plain object still note."""
    found = matcher.match(text)
    assert (found and (found.tool.name, found.arguments)) == ((tool, arguments) if tool else None)


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("Figure out nine times eight.", "calculate", {"expression": "9 times 8"}),
        (
            "Please work out the square root of sixty four.",
            "calculate",
            {"expression": "the square root of 64"},
        ),
        ("add a note out of coffee", "add_note", {"text": "out of coffee"}),  # after the name it is the text
        (
            "remind me to put out the bins in an hour",
            "set_reminder",
            {"after": "PT1H", "text": "put out the bins"},
        ),
    ],
)
def test_the_particle_of_the_opening_verb_is_not_free_text(matcher, text, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    """ "work *out* ...": the request's own particle is not part of the expression (it was: "out 17 % of 300"
    could not be calculated)."""
    found = matcher.match(text)
    assert found is not None and (found.tool.name, found.arguments) == (tool, arguments)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("and how far is that in miles", True),
        ("who painted the Mona Lisa", True),
        ("so is it going to rain", True),
        ("how I spent the day", False),
        ("what you said was kind", False),
        ("the lights are on", False),
        ("What a day.", False),
        ("Where is it?", True),
    ],
)
def test_a_question_written_without_its_mark_is_a_question(text: str, asks: bool) -> None:
    """Whisper sometimes writes a final with no punctuation at all (four of one spoken pass): a question
    word or an auxiliary before its subject still asks; a full stop or a clause does not."""
    from assistant.tools.intent.speech_act import is_question

    assert is_question(text) is asks


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("Workout nine times eight.", "calculate", {"expression": "9 times 8"}),
        ("Can you workout the square root of 81?", "calculate", {"expression": "the square root of 81"}),
        ("Setup a timer for three minutes.", "set_timer", {"duration": "PT3M"}),
        ("Workout plans are fun.", None, None),
        ("My workout took twenty minutes.", None, None),
        ("The setup took 5 minutes.", None, None),
    ],
)
def test_a_phrasal_verb_written_as_its_noun_still_asks(matcher, text, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    """Whisper writes the verb that opens a command as one word ("Workout 17% of 300." in a spoken pass
    of 2026-12-04): before a determiner or a number it is the verb; the noun asks for nothing."""
    found = matcher.match(text)
    assert (found.tool.name, found.arguments) == (tool, arguments) if found else tool is None, found


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("stop", False), ("never mind", False), ("okay thanks", False), ("cancel that", False),
        ("hmm let me think", False), ("wait a minute", False), ("don't delete my notes", False),
        ("no, never mind", False), ("just a second", False), ("delete everything", False),
        ("stop the timer", True), ("what time is it", True), ("five minutes", True), ("go right", True),
        ("don't forget to buy milk", True), ("never mind the timer", True), ("in a minute", True),
    ],
)  # fmt: skip
def test_what_counts_as_a_request(text: str, asks: bool) -> None:
    assert is_request(text) is asks


def test_a_verb_alone_or_a_thing_alone_calls_nothing(matcher) -> None:  # type: ignore[no-untyped-def]
    """An action and what it acts on (or an argument): "read" names nothing, "the reminder" asks nothing."""
    for text in ("read", "list", "check", "roll it", "cancel everything", "stop the music",
                 "thanks for the reminder", "that's the right time", "timer"):  # fmt: skip
        assert _called(matcher, text) is None, text
    for text, name in (("read my notes", "read_notes"), ("roll two dice", "roll_dice"),
                       ("what did I write down", "read_notes"), ("go right", "move_robot")):  # fmt: skip
        assert _called(matcher, text) == name, text


# ----------------------------------------------------------------------------------------- generated

_CLOSED = sorted(
    w
    for w in INTERJECTIONS | RESPONSES | SOCIAL | STOPPING | FUNCTION_WORDS
    if not is_number(tokenize(w).norm[0])
)  # "one" is read as the number 1: an answer ("how many?"), so it is content
_PHRASES = ["never mind", "hold on", "hang on", "let me think", "I don't know", "shut up", "be quiet",
            "thank you", "no thanks", "that's all", "that's it", "wait a minute", "just a second",
            "one moment", "forget it", "of course", "I see", "got it", "go ahead", "sounds good"]  # fmt: skip
_SOUNDS = st.from_regex(r"\A(?:h+m+|u+h+|u+m+|m+|a+h+|o+h+|s+h+|m+h+m+|e+r+)\Z")
_PUNCT = st.sampled_from(["", ".", ",", "!", "?", "...", " -"])


@st.composite
def _interjection_like(draw: st.DrawFn) -> str:
    """1-6 pieces: closed-class words, discourse phrases and drawn-out sounds, in any case and punctuation."""
    pieces = draw(
        st.lists(
            st.one_of(st.sampled_from(_CLOSED), st.sampled_from(_PHRASES), _SOUNDS), min_size=1, max_size=6
        )
    )
    out = []
    for piece in pieces:
        piece = draw(st.sampled_from([piece, piece.capitalize(), piece.upper()]))
        out.append(piece + draw(_PUNCT))
    return " ".join(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_interjection_like())
def test_generated_interjections_never_call_a_tool(matcher, text) -> None:  # type: ignore[no-untyped-def]
    assert _called(matcher, text) is None
    assert not is_request(text)


_NOTES = make_tool(delete_notes)
_OTHER_WORDS = ["timer", "reminder", "music", "everything", "lights", "robot", "today", "list", "file",
                "messages", "emails", "history", "account", "that thing", "the stuff", "the kitchen",
                "my shopping", "away", "off", "up", "data", "my", "all of it", "things", "pasta"]  # fmt: skip
_DESTROY = ["delete", "clear", "remove", "erase", "wipe", "throw away", "get rid of", "stop", "cancel",
            "kill", "scrap", "trash", "empty", "reset", "purge", "drop"]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.sampled_from(_DESTROY), st.sampled_from(_OTHER_WORDS), st.sampled_from(_CLOSED)),
        min_size=1,
        max_size=7,
    )
)
def test_a_destructive_tool_is_never_called_without_its_object(matcher, words) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(words)
    assert _called(matcher, text) != "delete_notes"
    assert refusal(_NOTES, text) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=60))
def test_any_text_deletes_notes_only_if_it_says_notes(matcher, text) -> None:  # type: ignore[no-untyped-def]
    if _called(matcher, text) == "delete_notes":
        assert "note" in {stem(t) for t in tokenize(text).norm}


# ----------------------------------------------------------------------------------------- destructive


def test_destructive_is_declared_or_follows_confirm() -> None:
    notes = make_tool(delete_notes)
    assert is_destructive(notes) and object_words(notes) == {"note"}
    assert names_object(notes, "Delete all my notes.") and not names_object(notes, "Delete it.")
    assert refusal(notes, "clear all notes") is None
    assert "did not name" in (refusal(notes, "delete the old stuff") or "")
    assert "name nothing" in (refusal(notes, "Stop.") or "")
    assert not any(is_destructive(make_tool(f)) for f in BUILTIN_TOOLS if f is not delete_notes)

    @tool(destructive=True, objects=["history", "browsing data"])
    def wipe() -> str:
        """Wipe the browsing history."""
        return "wiped"

    wiped = make_tool(wipe)
    assert object_words(wiped) == {"history", "browse", "data"}  # as keys: "browsing" is a form of "browse"
    assert names_object(wiped, "wipe my history") and not names_object(wiped, "wipe it")

    @tool(destructive=True)
    def erase() -> str:
        """Erase everything."""
        return "gone"

    with pytest.raises(ToolDefinitionError, match="must say what it acts on"):
        make_tool(erase)

    @tool(confirm=True, destructive=False)
    def order_pizza(size: str) -> str:
        """Order a pizza."""
        return size

    assert not is_destructive(make_tool(order_pizza))


def test_a_destructive_tool_is_not_called_from_a_guessed_hypothesis(matcher) -> None:  # type: ignore[no-untyped-def]
    """ASR's alternatives may find a request the best transcript missed, but not one that destroys."""
    assert matcher.match_any(["Delete my nose.", "Delete my notes."]) is None
    found = matcher.match_any(["Can't sell the timer.", "Cancel the timer."])
    assert found is not None and found[0].tool.name == "cancel_timer"


def test_no_tool_may_be_called_for_words_that_ask_for_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}"])
    registry = ToolRegistry()
    registry.add(delete_notes)
    host = ToolHost(cfg.tools, Toolbox(registry, None), "s", lambda _: None, lambda c, n: None, True)  # type: ignore[arg-type,return-value]
    assert host.callable("Stop.") == set() and host.callable("Okay, thanks!") == set()
    assert not host.may_call("delete_notes", "Okay, thanks!")
    assert host.may_call("delete_notes", "How do I delete my notes?")
    (notes,) = host.llm_tools()  # always in the prompt, whatever the words: the prompt's cached prefix
    assert host.refusal(notes, "delete it") and host.refusal(notes, "never mind")
    assert host.refusal(notes, "yes, delete all of my notes") is None


@pytest.mark.parametrize(
    ("text", "tells"),
    [
        ("Feels like these days go on forever.", True),
        ("My sister is visiting next week. She loves museums.", True),
        ("Well, it is late.", True),
        ("There's a dog outside", True),
        ("I'll be back in five minutes.", True),
        ("My headache is awful. Can I take two?", False),  # one sentence asks
        ("I'd like a timer for ten minutes.", False),
        ("I need a twenty five minute timer, please.", False),
        ("I was wondering what time it is in Lima.", False),
        ("We want to know how far that is in miles", False),
        ("It's three o'clock, remind me at four.", False),
        ("Set a timer for five minutes.", False),
        ("Five minutes.", False),
        ("What time is it?", False),
        ("", False),
        # A noun phrase for a subject, then a finite verb: telling too.
        ("The porch light was left on all night.", True),
        ("Cats will sleep anywhere.", True),
        ("The lamp is on, switch it off.", False),  # a clause commands
        ("Dice the onions.", False),  # an imperative, no finite verb
        ("How long is a marathon", False),  # a question without its question mark
        ("Is the oven still on", False),
        # A command run on after a remark, the full stop lost; and statements that only look like it.
        ("It's far too loud turn it down a bit", False),
        ("The room is dark switch them on", False),
        ("I usually turn it off at night.", True),
        ("My neighbours leave them on all night.", True),
        # A question tag only asks to be agreed with; a question to the assistant asks.
        ("Dice are older than writing, aren't they?", True),
        ("The bus was late again, wasn't it?", True),
        ("You can set a timer, can't you?", False),
    ],
)
def test_statements_tell_rather_than_ask(text: str, tells: bool) -> None:
    assert is_statement(text) is tells


_words = st.lists(
    st.sampled_from(sorted(FUNCTION_WORDS | {"timer", "notes", "paris", "minutes", "rain"})), max_size=8
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SUBJECTS)), _words, st.sampled_from(["?", ".", "!", ""]))
def test_a_question_or_a_request_frame_is_never_a_statement(subject: str, words: list[str], end: str) -> None:
    """Whatever a sentence opens with, a question mark or "please" makes it ask."""
    text = " ".join([subject, *words])
    assert not is_statement(text + "?")
    assert not is_statement(f"{text}, please{end}")
    assert not is_statement(f"{text}. Can you help{end or '?'}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Seven of clubs.", True),
        ("Two large pizzas with extra cheese.", True),
        ("Tomorrow at seven.", True),
        ("Go forward ten meters.", False),  # an imperative
        ("Okay, turn the lights off.", False),
        ("I'd like two large pizzas.", False),  # a request frame
        ("My sister is visiting.", False),  # a statement
        ("Two pizzas?", False),  # a question
        ("Thanks.", False),  # names nothing
        ("Never mind.", False),
    ],
)
def test_a_fragment_names_something_and_asks_nothing(text: str, fragment: bool) -> None:
    assert is_fragment(text) is fragment


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_fragment_is_never_a_question_or_a_statement(text: str) -> None:
    """Any text at all (generated): the reply's fallbacks need these kinds to exclude each other."""
    if is_fragment(text):
        assert not is_question(text) and not is_statement(text)


def test_a_statement_may_call_no_tool(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Telling shares words with tools ("days" and the clock, "next week" and reminders): the LLM is
    offered none of them for it; the same words asked for get them."""
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    registry = ToolRegistry()
    for fn in BUILTIN_TOOLS:
        registry.add(fn)
    host = ToolHost(
        cfg.tools,
        Toolbox(registry, IntentMatcher(list(registry))),
        "s",
        lambda _: None,
        lambda c, n: None,
        True,
    )  # type: ignore[arg-type,return-value]
    assert host.callable("Feels like these days go on forever.") == set()
    assert host.callable("My flight leaves at seven on Saturday.") == set()
    assert "set_reminder" in (
        host.callable("Please remind me at seven on Saturday about my flight.") or set()
    )
    assert "current_time" in (host.callable("What day is it today?") or set())


async def test_a_yes_only_approves_a_question_whose_request_named_the_object(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Defence in depth: a pending question that somehow came from "clear it" is not run by a yes."""
    from scripted import ScriptedLLM

    from assistant.engine.output import OutputBuffer
    from assistant.engine.reply import Reply
    from assistant.engine.tooling import PendingConfirmation
    from assistant.llm import Message
    from assistant.tools import ToolCall

    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}"])
    registry = ToolRegistry()
    registry.add(delete_notes)
    host = ToolHost(
        cfg.tools, Toolbox(registry, None), "s", print, lambda c, n: asyncio.ensure_future(c), False
    )
    tts = Synthesizer(cfg.tts, 16000)
    said = []
    for request, runs in (("clear it", False), ("clear all my notes", True)):
        host.pending = PendingConfirmation(_NOTES, ToolCall("delete_notes", {}, "intent"), request)
        output = OutputBuffer(16000)
        reply = Reply(1, [Message("user", "Yes.")], ScriptedLLM("Okay."), tts, output, print, tools=host)
        reply.release()
        await asyncio.gather(*reply._tasks)
        assert any(c.name == "delete_notes" and c.error is None for c in reply.tool_calls) is runs
        said.append(reply.text)
    assert said[1] == "You have no notes."


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("Yes.", True, False), ("Yes, delete all my notes.", True, False), ("Sure, go ahead.", True, False),
        ("Okay, do it.", True, False), ("Yeah, I was thinking about dinner.", False, False),
        ("Yes, but not the shopping list.", False, False), ("Okay, stop.", False, True),
        ("Okay, that's enough.", False, True), ("No.", False, True), ("Uh, no.", False, True),
        ("Please don't.", False, True), ("Never mind.", False, True), ("Be quiet.", False, True),
        ("Right.", False, False), ("What did you say?", False, False),
    ],
)  # fmt: skip
def test_spoken_yes_and_no(text: str, yes: bool, no: bool) -> None:
    notes = make_tool(delete_notes)
    assert is_yes(text, notes) is yes
    assert is_no(text) is no


@pytest.mark.parametrize(
    ("text", "stops"),
    [
        ("Stop.", True), ("Wait, stop!", True), ("No, wait.", True), ("Okay, that's enough.", True),
        ("Never mind.", True), ("Be quiet.", True), ("Shut up.", True), ("Cancel.", True),
        ("Hold on a second.", True), ("Shhh.", True), ("Please stop talking.", True),
        ("Stop the timer.", False), ("Wait, what time is it?", False), ("Okay.", False),
        ("No thanks.", False), ("Fair enough.", False), ("Delete it.", False), ("", False),
    ],
)  # fmt: skip
def test_stop_commands(text: str, stops: bool) -> None:
    assert is_stop_command(text) is stops


# ----------------------------------------------------------------------------------------- spoken


@pytest.fixture(scope="module")
def non_requests() -> list[Case]:
    intents, none = load_cases(DATA / "non_requests.yaml")
    assert not intents
    return none


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(load_config().asr)


def _spoken(name: str, cases: list[Case], matcher: IntentMatcher, transcriber: Transcriber, synth):  # type: ignore[no-untyped-def]
    """(called, destructive, withheld): the cases that called a tool (with what was heard), those that
    called a destructive one, and how many transcripts the LLM may call no tool for either."""
    called, destructive, withheld = [], [], 0
    for case in cases:
        hypotheses = heard(case, transcriber, matcher, synth)
        withheld += not is_request(hypotheses[0])
        found = matcher.match_any(hypotheses)
        if found is not None:
            called.append((case.text, found[1], found[0].tool.name, found[0].arguments))
            if is_destructive(found[0].tool):
                destructive.append(case.text)
    quiet = len(cases) - len(called)
    print(f"\n{name}: no tool for {quiet}/{len(cases)} = {quiet / len(cases):.1%}; destructive calls "
          f"{len(destructive)}; no tool callable by the LLM for {withheld}/{len(cases)}")  # fmt: skip
    for text, said, tool_name, arguments in called:
        print(f"  CALLED {tool_name}({arguments}) for {text!r} heard {said!r}")
    return called, destructive


@pytest.fixture(scope="module")
def spoken_results(non_requests, matcher, transcriber):  # type: ignore[no-untyped-def]
    voice = Synthesizer(load_config().tts, 16000, seeded_piper_voice())
    return {
        "piper": _spoken("piper", non_requests, matcher, transcriber, voice.synthesize_sync),
        "flite": _spoken("flite", non_requests, matcher, transcriber, flite),
    }


def test_spoken_non_requests_call_no_tool_and_never_a_destructive_one(non_requests, spoken_results) -> None:  # type: ignore[no-untyped-def]
    """The issue's figure: at least 99 % with no tool over both voices, and no destructive call at all."""
    assert len(non_requests) >= 100
    total = 2 * len(non_requests)
    called = sum(len(c) for c, _ in spoken_results.values())
    print(f"both voices: no tool for {total - called}/{total} = {1 - called / total:.1%}")
    assert 1 - called / total >= NO_TOOL_TARGET
    assert all(not destructive for _, destructive in spoken_results.values())
    for voice_called, _ in spoken_results.values():
        assert 1 - len(voice_called) / len(non_requests) >= 0.98
