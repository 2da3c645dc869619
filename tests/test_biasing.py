"""Contextual biasing: the tools' words, taken from their schemas, in Whisper's prompt for one more
hypothesis on a second look (`assistant/asr/biasing.py`, `assistant/tools/vocabulary.py`)."""

from __future__ import annotations

import enum
import string
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.asr import Transcriber
from assistant.asr.biasing import MAX_GLOSSARY_TOKENS, glossary_prompt
from assistant.asr.streaming import StreamingRecognizer
from assistant.config import load_config
from assistant.engine.tooling import toolbox_for
from assistant.tools import make_tool
from assistant.tools.intent.evaluate import PAD, espeak
from assistant.tools.vocabulary import spoken_vocabulary


def order_pizza(
    size: Literal["small", "large", "family size"],
    count: int,
    topping: Annotated[str, "e.g. pepperoni, mushrooms or olives"] = "cheese",
) -> str:
    """Order pizzas."""
    return "ordered"


def work_out(expression: Annotated[str, "e.g. 12 * (3 + 4), square root of 81, Large"]) -> str:
    """Arithmetic."""
    return "done"


def local_time(zone: Annotated[str, "a city or time zone, e.g. Tokyo or Europe/Paris"]) -> str:
    """The time somewhere."""
    return "noon"


def test_the_tools_words_come_from_their_schemas() -> None:
    """Each tool's name in words, then its parameters' choices and the examples of their descriptions;
    a value said once (case aside), and only values said in words (no sums, no paths)."""
    text = spoken_vocabulary([make_tool(order_pizza), make_tool(work_out), make_tool(local_time)])
    assert text == (
        "Order pizza: small, large, family size, pepperoni, mushrooms, olives. Work out. Local time: Tokyo."
    )


class Fan(enum.Enum):
    LOW = "low"
    HIGH = "high speed"


def set_fan(speed: Fan) -> str:
    """Set the fan."""
    return "set"


def test_an_enum_parameter_names_its_values() -> None:
    assert spoken_vocabulary([make_tool(set_fan)]) == "Set fan: low, high speed."


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + " -'/*.", min_size=1, max_size=14),
        min_size=1,
        max_size=6,
        unique_by=str.lower,
    )
)
def test_each_choice_in_words_is_written_once(values: list[str]) -> None:
    def pick(item: str) -> str:
        """Pick one."""
        return item

    pick.__annotations__ = {"item": Literal[tuple(values)], "return": str}
    text = spoken_vocabulary([make_tool(pick)])
    assert text.startswith("Pick") and text.endswith(".")
    listed = text[:-1].partition(": ")[2]
    said = listed.split(", ") if listed else []
    for value in values:
        in_words = value[:1].isalpha() and all(c.isalpha() or c in " -'" for c in value)
        assert said.count(value) == int(in_words), (value, text)


@cache
def whisper() -> Transcriber:
    return Transcriber(load_config().asr)


def _prompt(previous: str) -> tuple[list[int], Any]:
    from faster_whisper.tokenizer import Tokenizer

    model = whisper().model
    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    ids = tokenizer.encode(" " + previous.strip())[-223:] if previous.strip() else []
    return model.get_prompt(tokenizer, ids, without_timestamps=True), tokenizer


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600), st.text(max_size=600))
def test_the_glossary_goes_before_the_words_said_before(previous: str, vocabulary: str) -> None:
    """Whatever the texts: what follows <|startoftranscript|> is untouched, the glossary opens the
    previous text (at most MAX_GLOSSARY_TOKENS of it), the latest words said before stay, and the
    previous text fits Whisper's 223 tokens."""
    prompt, tokenizer = _prompt(previous)
    out = glossary_prompt(prompt, tokenizer, vocabulary)
    if not vocabulary.strip():
        assert out == prompt
        return
    sot, was = out.index(tokenizer.sot), prompt.index(tokenizer.sot)
    assert out[sot:] == prompt[was:]
    assert out[0] == tokenizer.sot_prev and 1 < sot <= 224
    glossary = tokenizer.encode(" " + vocabulary.strip())[:MAX_GLOSSARY_TOKENS]
    assert out[1 : 1 + len(glossary)] == glossary
    before = prompt[1:was]
    kept = out[1 + len(glossary) : sot]
    assert kept == (before[-len(kept) :] if kept else []) and len(kept) == min(
        len(before), 223 - len(glossary)
    )


def test_a_misheard_request_is_read_from_the_biased_hypothesis(tmp_path: Path) -> None:
    """Real Whisper through the final pass's second look: a robotic voice's "roll a die" is "Roll up
    tight." and the beam's four others ("Roll the tide.", "Roll at high.", ...) ask for no tool; with the
    tools' words in the prompt, one more hypothesis is "Roll dice.", and the fast path reads it."""
    tools = Path(__file__).parents[1] / "examples" / "home_tools.py"
    cfg = load_config(overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false"])
    cfg.tools.load = [str(tools)]
    matcher = toolbox_for(cfg.tools).matcher
    assert matcher is not None and "Roll dice." in matcher.spoken_vocabulary
    audio = np.concatenate([PAD, espeak("roll a die"), PAD])

    def hypotheses(vocabulary: str) -> tuple[str, ...]:
        recognizer = StreamingRecognizer(whisper(), vocabulary=vocabulary)
        final = recognizer.final_sync(audio, second_look=matcher.near_miss).transcript
        return (final.text, *final.alternatives)

    plain = hypotheses("")
    assert len(plain) > 1 and matcher.match_any(plain) is None, plain
    biased = hypotheses(matcher.spoken_vocabulary)
    assert biased[: len(plain)] == plain and len(biased) == len(plain) + 1, biased
    found = matcher.match_any(biased)
    assert found is not None and found[0].tool.name == "roll_dice" and found[1] == biased[-1], found
