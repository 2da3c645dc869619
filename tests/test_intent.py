"""The speech-to-intent fast path: text, three TTS voices through real ASR, real speech, speed, user tools.

The acceptance figures are measured on tests/data/intents.yaml: every phrasing is synthesised with the
bundled Piper voice, with CMU Flite and with espeak-ng, transcribed by the default Whisper tiny.en as a
final transcript (a near miss of a tool is decoded again with a beam, whose hypotheses are tried best
first), and matched. Run with `-s` (or look at a failure)
to see the per-case failures and the accuracy of each voice.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest

from assistant.asr import Transcriber
from assistant.asr.wer import normalise
from assistant.config import load_config
from assistant.models import resolve_piper
from assistant.tools import Tool, load_spec, make_tool, tool
from assistant.tools.builtin import BUILTIN_TOOLS
from assistant.tools.intent import IntentMatcher
from assistant.tools.intent.evaluate import (
    Case,
    Report,
    espeak,
    evaluate,
    flite,
    heard,
    load_cases,
    load_recordings,
    match_times_ms,
    summary_ms,
)
from assistant.tools.intent.slots import Utterance
from assistant.tts import Synthesizer

DATA = Path(__file__).parent / "data"
HOME_TOOLS = Path(__file__).resolve().parents[1] / "examples" / "home_tools.py"
TARGET = 0.90
"""The issue's acceptance figure: the spoken set (Piper, Flite and the real recordings) taken together."""
FLOORS = {"piper": 0.86, "flite": 0.85, "espeak": 0.65}
"""Asserted per voice: Whisper tiny.en mishears some phrasings ("buy" -> "by", "write" -> "right", "two" ->
"due"), which no matcher can undo. Measured on a 2-core CPU through the engine's final pass: Piper 90.8 %
seeded, Flite 90.8 %, espeak-ng 81.6 % (a robotic voice); on what Whisper heard word for word, 100 %."""
HEARD_RIGHT = 0.95
"""Accuracy asserted on the phrasings Whisper transcribed word for word: the fast path's own share."""


@pytest.fixture(scope="module")
def tools() -> list[Tool]:
    return [make_tool(fn) for fn in BUILTIN_TOOLS] + load_spec(str(HOME_TOOLS))


@pytest.fixture(scope="module")
def matcher(tools: list[Tool]) -> IntentMatcher:
    return IntentMatcher(tools)


@pytest.fixture(scope="module")
def cases() -> tuple[list[Case], list[Case]]:
    return load_cases(DATA / "intents.yaml")


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(load_config().asr)


def _show(*reports: Report) -> None:
    for report in reports:
        print("\n".join(report.lines()))


def test_the_set_covers_every_tool(cases, tools) -> None:  # type: ignore[no-untyped-def]
    intents, none = cases
    assert len(intents) >= 60 and len(none) >= 30
    assert {c.tool for c in intents} == {t.name for t in tools}


def test_text_phrasings_call_the_right_tool_with_the_right_arguments(matcher, cases) -> None:  # type: ignore[no-untyped-def]
    intents, none = cases
    report = evaluate("text", intents, matcher)
    no_tool = evaluate("text, no tool needed", none, matcher)
    _show(report, no_tool)
    assert not report.failures
    assert no_tool.accuracy >= 0.95


def _spoken(name: str, cases: list[Case], matcher: IntentMatcher, transcriber: Transcriber, synth) -> Report:  # type: ignore[no-untyped-def]
    best: dict[str, str] = {}

    def hear(case: Case) -> list[str]:
        hypotheses = heard(case, transcriber, matcher, synth)
        best[case.text] = hypotheses[0]
        return hypotheses

    report = evaluate(name, cases, matcher, hear)
    exact = [c for c in cases if normalise(best[c.text]) == normalise(c.text)]
    right = evaluate(f"{name}, heard word for word", exact, matcher, lambda c: [best[c.text]])
    _show(report, right)
    print(f"{name}: {report.accuracy:.1%} (the issue's target: {TARGET:.0%})")
    assert right.accuracy >= HEARD_RIGHT
    return report


PIPER_SEED = 0
"""Piper samples its voice's variation at random, so two runs hear slightly different audio (91-94 % on
this set, one run in ten lower). Seeded, CI hears the same voice every run."""


def seeded_piper_voice():  # type: ignore[no-untyped-def]
    import onnxruntime
    from piper import PiperVoice

    onnxruntime.set_seed(PIPER_SEED)  # read when the session is created
    return PiperVoice.load(resolve_piper(load_config().tts.voice))


@pytest.fixture(scope="module")
def piper_reports(matcher, cases, transcriber) -> tuple[Report, Report]:  # type: ignore[no-untyped-def]
    intents, none = cases
    voice = Synthesizer(load_config().tts, 16000, seeded_piper_voice())
    return (
        _spoken("piper", intents, matcher, transcriber, voice.synthesize_sync),
        _spoken("piper, no tool needed", none, matcher, transcriber, voice.synthesize_sync),
    )


@pytest.fixture(scope="module")
def flite_reports(matcher, cases, transcriber) -> tuple[Report, Report]:  # type: ignore[no-untyped-def]
    intents, none = cases
    return (
        _spoken("flite", intents, matcher, transcriber, flite),
        _spoken("flite, no tool needed", none, matcher, transcriber, flite),
    )


@pytest.fixture(scope="module")
def recordings_report(matcher, transcriber) -> Report:  # type: ignore[no-untyped-def]
    return _spoken("real recordings", load_recordings(), matcher, transcriber, None)


def test_spoken_with_piper(piper_reports) -> None:  # type: ignore[no-untyped-def]
    report, no_tool = piper_reports
    assert report.accuracy >= FLOORS["piper"]
    assert no_tool.accuracy >= 0.95


def test_spoken_with_flite(flite_reports) -> None:  # type: ignore[no-untyped-def]
    report, no_tool = flite_reports
    assert report.accuracy >= FLOORS["flite"]
    assert no_tool.accuracy >= 0.95


def test_real_recordings_ask_for_a_tool_only_when_they_do(recordings_report) -> None:  # type: ignore[no-untyped-def]
    """A person saying "go forward ten meters" drives the example robot; book sentences and card names,
    read by people, call nothing."""
    assert any(c.tool for c in load_recordings()) and any(c.tool is None for c in load_recordings())
    assert not recordings_report.failures


def test_the_issue_figure_over_both_voices_and_the_recordings(  # type: ignore[no-untyped-def]
    piper_reports, flite_reports, recordings_report
) -> None:
    """The issue's figure: right tool and arguments for 90 % of the spoken set (bundled voice, a second
    voice, real speech); no tool for 95 % of the requests that need none."""
    asking = [piper_reports[0], flite_reports[0]]
    needing_none = [piper_reports[1], flite_reports[1]]
    right = sum(r.total - len(r.failures) for r in asking)
    total = sum(r.total for r in asking)
    real = load_recordings()
    real_failed = {c.text for c, _, _ in recordings_report.failures}
    right += sum(c.tool is not None and c.text not in real_failed for c in real)
    total += sum(c.tool is not None for c in real)
    quiet = sum(r.total - len(r.failures) for r in needing_none)
    quiet += sum(c.tool is None and c.text not in real_failed for c in real)
    quiet_total = sum(r.total for r in needing_none) + sum(c.tool is None for c in real)
    print(f"spoken set: {right}/{total} = {right / total:.1%}; no tool: {quiet}/{quiet_total}")
    assert right / total >= TARGET
    assert quiet / quiet_total >= 0.95


def test_spoken_with_espeak(matcher, cases, transcriber) -> None:  # type: ignore[no-untyped-def]
    intents, _ = cases
    report = _spoken("espeak-ng", intents, matcher, transcriber, espeak)
    assert report.accuracy >= FLOORS["espeak"]


def test_a_later_hypothesis_can_ask_for_the_tool_the_best_one_missed(matcher) -> None:  # type: ignore[no-untyped-def]
    """Whisper's best guess was "can't sell the timer"; the beam's third was right."""
    hypotheses = ["Can't sell the timer.", "Can sell the timer.", "Cancel the timer."]
    assert matcher.match(hypotheses[0]) is None
    match, heard = matcher.match_any(hypotheses)
    assert match.tool.name == "cancel_timer" and heard == "Cancel the timer."
    # The best hypothesis wins when it asks for a tool, and a list with no request asks for none.
    match, heard = matcher.match_any(["Set a timer for five minutes.", "Cancel the timer."])
    assert match.tool.name == "set_timer" and heard == "Set a timer for five minutes."
    assert matcher.match_any(["Tell me a story about the sea.", "Tell me a story about the see."]) is None
    # A later one may not drop a verb of the best one: the best asked to read, not to add.
    heard = ["Could you read back the last thing I said?", "Could you add back the last thing I said?"]
    assert matcher.match(heard[1]) is not None and matcher.match_any(heard) is None
    # And where the best one asks for reading by another form of the words, it is read.
    match, _ = matcher.match_any(["Could you read back what I've written down?", "Could you add back ..."])
    assert match.tool.name == "read_notes"
    # A verb's past form tells of a deed and asks for nothing: "got" is no "get" the later one drops.
    match, heard = matcher.match_any(["Bro got go left", "Robot go left."])
    assert match.tool.name == "move_robot" and heard == "Robot go left."
    # Only near misses are worth the second decoding: not chat, not a clear request.
    assert matcher.near_miss("Can't sell the timer.")
    assert not matcher.near_miss("Tell me a story about the sea.")
    assert not matcher.near_miss("Set a timer for five minutes.")


@pytest.mark.parametrize(
    ("heard", "tool", "arguments"),
    [
        ("Again, you set a timer for half an hour.", "set_timer", {"duration": "PT30M"}),  # "can you"
        (
            "and then could you start a tea timer for 3 minutes",
            "set_timer",
            {"duration": "PT3M", "label": "tea"},
        ),
        ("Start at three minute countdown.", "set_timer", {"duration": "PT3M"}),  # no timer "countdown"
        ("Go right for meters.", "move_robot", {"direction": "right", "distance": 4.0}),  # "four meters"
        ("Player all of my notes.", None, {}),  # "clear all of my notes": never a note "player all of my"
        # "into" heard as "in 2"; "in 2 hours" after a distance is a pace, not a unit
        ("Make 5 kilometers in 2 miles for me.", "convert_units",
         {"value": 5.0, "from_unit": "kilometers", "to_unit": "miles"}),
        ("Convert 100 miles in 2 hours.", None, {}),
    ],
)  # fmt: skip
def test_what_whisper_gets_wrong_does_not_become_an_argument(matcher, heard, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    if tool is None:
        assert matcher.match(heard) is None
        assert all("text" in m.missing for m in matcher.candidates(heard) if m.tool.name == "add_note")
        return
    best = matcher.best(heard)
    assert best is not None and best.tool.name == tool and best.arguments == arguments


@pytest.mark.parametrize(
    ("said", "text"),
    [
        ("Jot this down: call the bank on Friday.", "call the bank on Friday"),
        ("Please write it down, the code is 1234.", "the code is 1234"),
        ("Note that it is raining.", "it is raining"),
    ],
)
def test_this_or_it_before_down_stands_for_the_note(matcher, said: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """The words "Jot this down: ..." had noted "this down call the bank on Friday" (probe of 2026-12-03)."""
    best = matcher.best(said)
    assert best is not None and best.tool.name == "add_note" and best.arguments == {"text": text}


@pytest.mark.parametrize(
    ("said", "tool", "arguments"),
    [
        # A want or a need said to an assistant asks for it, as "set a timer" does.
        ("I need a forty minute timer.", "set_timer", {"duration": "PT40M"}),
        ("I would like a two minute timer please.", "set_timer", {"duration": "PT2M"}),
        # "Which" asks what "what" asks.
        ("Which notes do I have?", "read_notes", {}),
        # Another form of a verb the examples use: "written" is "write", "got" is "get".
        ("What have I written down?", "read_notes", {}),
        # Framing that says nothing about the tool: "at the moment", "so far", "currently".
        ("What timers have I got at the moment?", "list_timers", {}),
        ("Read me my notes so far.", "read_notes", {}),
        # A choice said with an ending ("backwards" is the choice "back"); "change ... into" converts.
        ("Drive the robot backwards two meters.", "move_robot", {"direction": "back", "distance": 2.0}),
        ("Move forwards 3 meters.", "move_robot", {"direction": "forward", "distance": 3.0}),
        (
            "Change 5 pounds into kilograms.",
            "convert_units",
            {"value": 5.0, "from_unit": "pounds", "to_unit": "kilograms"},
        ),
        # A light verb ("turn", "give", "switch", "make") before a number and two units, or the values
        # alone after a need, ask for the conversion the values say.
        (
            "Turn 20 kilometers into miles.",
            "convert_units",
            {"value": 20.0, "from_unit": "kilometers", "to_unit": "miles"},
        ),
        (
            "Turn the temperature of 50 Celsius into Fahrenheit.",
            "convert_units",
            {"value": 50.0, "from_unit": "Celsius", "to_unit": "Fahrenheit"},
        ),
        (
            "Give me 10 feet in meters.",
            "convert_units",
            {"value": 10.0, "from_unit": "feet", "to_unit": "meters"},
        ),
        (
            "I need 3 miles in kilometers.",
            "convert_units",
            {"value": 3.0, "from_unit": "miles", "to_unit": "kilometers"},
        ),
        (
            "Convert 60 kilometers per hour to miles per hour.",
            "convert_units",
            {"value": 60.0, "from_unit": "kilometers per hour", "to_unit": "miles per hour"},
        ),
        # Not when a value is no unit, or the light verb acts on something else.
        ("Make it 25 degrees in here.", None, {}),
        ("Get 4 kilometers in before dinner.", None, {}),
        ("Give 2 cups of water to the plants.", None, {}),
        ("I ran 5 miles in 40 minutes.", None, {}),
        ("Take 3 kilos of potatoes to my mother.", None, {}),
        # A light verb means nothing without what it acts on: "take" is a note's only with the note.
        ("Take five minutes to relax.", None, {}),
        ("Take the second exit after three miles.", None, {}),
        ("Take a note that the car needs new tyres.", "add_note", {"text": "the car needs new tyres"}),
        ("Get me a timer for 5 minutes.", "set_timer", {"duration": "PT5M"}),
        ("Change the bedroom lights to 50 percent.", "set_lights", {"room": "bedroom", "brightness": 50}),
        # And none of it makes a statement or a wish a request.
        ("I need a break from all these timers.", None, {}),
        ("Which of my friends wrote that note?", None, {}),
        ("I wrote a note to my neighbour.", None, {}),
        ("Stop asking me about notes.", None, {}),  # the tool's own description says it asks first
        # Gratitude asks for nothing; a request after it is a clause of its own.
        ("Thanks for the note.", None, {}),
        ("Thank you for setting that timer.", None, {}),
        ("Thanks for that, now set a timer for 5 minutes.", "set_timer", {"duration": "PT5M"}),
        # Whisper writes "nine minus fourteen" as "9-14"; asked as a sum, it is one, and not otherwise.
        ("What is 9-14?", "calculate", {"expression": "9 minus 14"}),
        ("How much is 12-3-1?", "calculate", {"expression": "12 minus 3 minus 1"}),
        ("What is 9−14?", "calculate", {"expression": "9 minus 14"}),  # the minus sign, U+2212
        ("What's 2-3 weeks?", None, {}),
        ("My number is 555-1234.", None, {}),
    ],
)
def test_request_forms_that_examples_do_not_spell_out(matcher, said, tool, arguments) -> None:  # type: ignore[no-untyped-def]
    found = matcher.match(said)
    if tool is None:
        assert found is None
    else:
        assert found is not None and found.tool.name == tool and found.arguments == arguments


@tool(examples=["play some jazz", "play Bohemian Rhapsody", "put on music by Miles Davis"])
def play_music(query: str) -> str:
    """Play a song, an artist or a genre."""
    return query


@tool(
    examples=[
        "set the thermostat to 21 degrees",
        "make it 19 degrees in the bedroom",
        "heat the office to 22",
    ]
)
def set_thermostat(temperature: float, room: Literal["bedroom", "office", "hall"] = "hall") -> str:
    """Set the heating to a temperature in degrees Celsius."""
    return f"{room} {temperature}"


@tool(examples=["turn the volume up to 7", "set the volume to 3", "volume 5"])
def set_volume(level: int) -> str:
    """Set the speaker volume from 0 to 10."""
    return str(level)


@tool(examples=["lock the front door", "lock the garage", "is the back door locked"])
def lock_door(door: Literal["front", "back", "garage"]) -> str:
    """Lock a door of the house."""
    return door


@tool(examples=["vacuum the kitchen", "start the vacuum in the bedroom", "clean the living room"])
def start_vacuum(room: Literal["kitchen", "living room", "bedroom", "office"]) -> str:
    """Send the robot vacuum to clean a room."""
    return room


@tool(examples=["add eggs to the shopping list", "put milk on my shopping list", "we need more coffee"])
def add_to_shopping_list(item: str) -> str:
    """Add an item to the shopping list."""
    return item


@tool(examples=["translate good morning into French", "how do you say thank you in Spanish"])
def translate(text: str, language: str) -> str:
    """Translate a phrase into another language."""
    return text


@tool(examples=["call mom", "phone Sam", "ring the office"])
def call_contact(name: str) -> str:
    """Phone someone from the contacts."""
    return name


MORE_TOOLS = [
    play_music,
    set_thermostat,
    set_volume,
    lock_door,
    start_vacuum,
    add_to_shopping_list,
    translate,
    call_contact,
]
"""Eight more tools a user might add, for a realistic 20 or so: neither slower nor less accurate with them."""


def test_the_fast_path_takes_well_under_10_ms_with_20_tools(tools, cases) -> None:  # type: ignore[no-untyped-def]
    assert len(tools) + len(MORE_TOOLS) >= 20
    matcher = IntentMatcher(tools + [make_tool(f) for f in MORE_TOOLS])
    intents, none = cases
    times = match_times_ms(matcher, [c.text for c in intents + none])
    median, p95 = summary_ms(times)
    print(f"match time over {len(times)} calls, 20 tools: median {median:.2f} ms, p95 {p95:.2f} ms")
    assert median < 10
    assert p95 < 50  # loose: a shared CI machine has hiccups
    assert not evaluate("text, 20 tools", intents, matcher).failures
    assert evaluate("text, 20 tools, no tool needed", none, matcher).accuracy >= 0.95
    found = matcher.match("lock the back door")
    assert found is not None and (found.tool.name, found.arguments) == ("lock_door", {"door": "back"})


def test_custom_tools_fill_enum_bool_and_int_slots(matcher, tools, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expect = {
        "turn off the living room lights": ("set_lights", {"room": "living room", "on": False}),
        "set the livingroom lights to 40%": ("set_lights", {"room": "living room", "brightness": 40}),
        "switch the kitchen light on": ("set_lights", {"room": "kitchen", "on": True}),
        "roll 2 dice with 12 sides": ("roll_dice", {"count": 2, "sides": 12}),
        "roll a die": ("roll_dice", {}),
    }
    for text, (name, arguments) in expect.items():
        found = matcher.match(text)
        assert found is not None and (found.tool.name, found.arguments) == (name, arguments), text
    by_name = {t.name: t for t in tools}
    monkeypatch.setenv("HOME_TOOLS_STATE", str(tmp_path / "lights.json"))
    lights = by_name["set_lights"]
    found = matcher.match("dim the bedroom lights to 25 percent")
    assert found is not None
    said = lights.fn(**lights.validate(found.arguments))
    assert said == "The bedroom lights are on at 25 percent."
    assert json.loads((tmp_path / "lights.json").read_text())["bedroom"] == {"on": True, "brightness": 25}
    dice = by_name["roll_dice"]
    assert "in total" in dice.fn(**dice.validate({"count": 3, "sides": 6}))


def test_a_tool_written_by_a_user_is_understood_from_its_signature() -> None:
    @tool(examples=["run the fan on fast", "set the fan to slow for 20 minutes", "turn the fan to medium"])
    def set_fan(speed: Literal["slow", "medium", "fast"], minutes: int | None = None) -> str:
        """Run the ceiling fan at a speed, for a while or until turned off.

        Args:
            speed: how fast
            minutes: how many minutes to run
        """
        return speed

    @tool(examples=["water the front yard with 3 liters", "give the back yard 10 liters of water"])
    def water_garden(zone: Literal["front yard", "back yard"], liters: float) -> str:
        """Open the garden sprinklers of one zone until so many liters have run."""
        return zone

    @tool(intent=False, examples=["order a pizza"])
    def order_pizza(size: str) -> str:
        """Order a pizza (never from the fast path: it costs money)."""
        return size

    def send_list(items: list[str]) -> str:
        """Send a list somewhere."""
        return ",".join(items)

    matcher = IntentMatcher([make_tool(f) for f in (set_fan, water_garden, order_pizza, send_list)])
    found = matcher.match("set the fan to medium for 45 minutes")
    assert found is not None and found.arguments == {"speed": "medium", "minutes": 45}
    found = matcher.match("water the back yard with two and a half liters")
    assert found is not None and found.arguments == {"zone": "back yard", "liters": 2.5}
    assert matcher.match("order a pizza large") is None
    assert matcher.match("water the garden") is None  # which zone: a question for the LLM
    assert matcher.best("water the garden") is not None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("in twenty five minutes", 1500),
        ("for an hour and a half", 5400),
        ("90 seconds", 90),
        ("two and a half minutes", 150),
        ("half an hour", 1800),
        ("1 hour 30 minutes", 5400),
        ("a quarter of an hour", 900),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    spans = Utterance.parse(text).durations
    assert [s.value for s in spans] == [timedelta(seconds=seconds)]


@pytest.mark.parametrize(
    ("text", "clock"),
    [("at 3 pm", "15:00"), ("at 7:30", "07:30"), ("at noon", "12:00"), ("at 9 in the morning", "09:00"),
     ("at half past six", "06:30"), ("at seven thirty pm", "19:30"), ("by midnight", "00:00"),
     ("at 7 tonight", "19:00"), ("at four", "04:00")],
)  # fmt: skip
def test_times_of_day(text: str, clock: str) -> None:
    spans = Utterance.parse(text).times
    assert [s.value.strftime("%H:%M") for s in spans] == [clock]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text", ["set the table for four people", "book a table for 2 guests", "at 3 tables in the hall"]
)
def test_a_number_of_things_is_no_time_of_day(text: str) -> None:
    """The words "Set the table for four people." had set a reminder for 4 AM (probe of 2026-12-03)."""
    assert Utterance.parse(text).times == []


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("twenty five", ["25"]),
        ("three point five", ["3.5"]),
        ("one hundred and forty four", ["144"]),
        ("a thousand", ["1000"]),
        ("12 × 7", ["12", "times", "7"]),
        ("30%", ["30", "percent"]),
        ("go back to meters", ["go", "back", "2", "meters"]),  # Whisper's spelling of a spoken "two"
        ("a timer for for minutes", ["a", "timer", "for", "4", "minutes"]),
        ("convert feet to meters", ["convert", "feet", "to", "meters"]),
        ("15 to 20 minutes", ["15", "to", "20", "minutes"]),
        (
            "kilometers per hour to miles per hour",
            ["kilometers", "per", "hour", "to", "miles", "per", "hour"],
        ),
        # A sign where no number comes before it; after one, "minus" is a sum.
        ("minus ten degrees", ["-10", "degrees"]),
        ("negative forty", ["-40"]),
        ("minus 3.5", ["-3.5"]),
        ("five minus three", ["5", "minus", "3"]),
        ("12 minus minus 4", ["12", "minus", "-4"]),
        ("minus the fee", ["minus", "the", "fee"]),
    ],
)
def test_numbers_are_read_as_digits(text: str, tokens: list[str]) -> None:
    assert list(Utterance.parse(text).tokens.norm) == tokens


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("How many Fahrenheit is minus 10 Celsius?", -10.0),
        ("Convert minus five degrees Celsius to Fahrenheit.", -5.0),
        ("What's negative forty Celsius in Fahrenheit?", -40.0),
        ("Convert 5 Celsius to Fahrenheit.", 5.0),
    ],
)
def test_a_temperature_below_zero_keeps_its_sign(matcher, said: str, value: float) -> None:  # type: ignore[no-untyped-def]
    """Whisper writes a spoken "minus ten" in words: the sign was dropped, and -10 °C was said to be 50 °F."""
    found = matcher.match(said)
    assert found is not None and found.tool.name == "convert_units" and found.arguments["value"] == value
