"""Replies fit for speech: markdown, emoji, numbers, symbols; whole and token by token (NeMo's grammars)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.engine.tooling import NOTHING_BACK, spoken_result
from assistant.tools import ToolCall, ToolRegistry
from assistant.tts import ClauseChunker
from assistant.tts.markup import CODE_SKIPPED, written
from assistant.tts.normalise import Grammars, shared_grammars, spoken

SPEAKABLE = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff .,!?;:'\"()\-]*$")
"""Letters, spaces and punctuation Piper pauses on: no digit, symbol, markup or emoji."""


@pytest.fixture(scope="module")
def grammars() -> Grammars:
    g = shared_grammars()
    assert g.wait_ready(), "NeMo's grammars did not load"
    return g


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower().replace("-", " ")))


def say(text: str, grammars: Grammars | None, splits: list[int] | None = None) -> list[str]:
    """The spoken form of `text` as a reply would say it: chunked (at `splits` if given), written, spoken."""
    chunker = ClauseChunker()
    clauses = [c for piece in tokens(text, splits or []) for c in chunker.feed(piece)] + chunker.flush()
    return [spoken(written(c), grammars) for c in clauses]


def tokens(text: str, splits: list[int]) -> list[str]:
    return [text[a:b] for a, b in zip([0, *splits], [*splits, len(text)], strict=True)]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "It costs $49.95 after 8:00 tonight.",
            "forty nine dollars and ninety five cents after eight o'clock",
        ),
        ("Dr. Smith moved to the U.S. in 1999.", "doctor smith moved to the us in nineteen ninety nine"),
        ("The 1st prize is 50% off, e.g. this one.", "the first prize is fifty percent off for example"),
        ("It is 21°C outside.", "twenty one degrees celsius"),
        ("Add 3/4 cup of flour.", "three quarters cup of flour"),
        (
            "It's $49.95 after 8:00 on 3/4.",
            "forty nine dollars and ninety five cents after eight o'clock on march fourth",
        ),
        ("We met on 12/25/2024.", "december twenty fifth twenty twenty four"),
        ("The meeting is on Jan. 5th, 2025.", "january fifth twenty twenty five"),
        (
            "It's 3.5 km away, about 5-10 minutes.",
            "three point five kilometers away about five to ten minutes",
        ),
        ("The 22nd of May, at 10:30 pm.", "twenty second of may at ten thirty pm"),
        ("I paid £5 & €10.", "five pounds and ten euros"),
        (
            "You are my #1 fan, see https://www.example.com/a?b=1 now.",
            "number one fan see example dot com now",
        ),
    ],
)
def test_numbers_symbols_and_abbreviations_are_said_as_words(grammars, text, said) -> None:
    out = " ".join(say(text, grammars))
    assert said in words(out), out
    assert SPEAKABLE.match(out), out


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        (
            "# Steps\n- **Preheat** the oven 🙂\n- Mix *the* flour",
            ["Steps.", "Preheat the oven.", "Mix the flour."],
        ),
        ("1. Use [the docs](https://x.y/z) and `pip`.", ["Use the docs and pip."]),
        ("| Day | Temp |\n|---|---|\n| Mon | 20 |", ["Day, Temp.", "Mon, 20."]),
        ("> Note: ~~old~~ new <br> text", ["Note: old new text"]),
        ("Here:\n```python\nprint('$5')\n```\nThat's it 🎉🎉", ["Here:", CODE_SKIPPED, "That's it"]),
    ],
)
def test_markdown_and_emoji_are_not_read(markdown, shown) -> None:
    chunker = ClauseChunker()
    clauses = chunker.feed(markdown) + chunker.flush()
    assert " ".join(written(c) for c in clauses) == " ".join(shown)


def test_without_the_grammars_numbers_are_still_words() -> None:
    """The fallback (the grammars still loading, or given up) keeps the currency and the time: it had
    said "forty-nine point nine five after eight: zero"."""
    out = spoken("It costs $49.95 after 8:00, 50% off the 1st one!", None)
    assert SPEAKABLE.match(out) and "percent" in out, out
    assert "forty-nine dollars and ninety-five cents after eight o'clock" in out, out
    for text, said in [
        ("The total is $12.", "The total is twelve dollars."),
        ("80 × 0.15 = $12.", "eighty times zero point one five equals twelve dollars."),
        ("£1 or 99p, $0.99", "one pound or ninety-nine p, ninety-nine cents"),
        ("$1.5 million at 8:05", "one point five million dollars at eight oh five"),
    ]:
        assert spoken(text, None) == said, (text, spoken(text, None))


ATOMS = [
    "$49.95",
    "8:00",
    "3.5",
    "e.g.",
    "Dr. Smith",
    "the U.S.",
    "https://example.com/a/b.html",
    "**Preheat the oven**",
    "[the docs](https://x.y/z)",
    "`pip install`",
    "50%",
    "1st",
]
FILLER = ["well", "then", "we", "go", "to", "it", "is", "nice,", "done.", "so", "and", "a"]


@st.composite
def reply_with_splits(draw: st.DrawFn) -> tuple[str, list[int]]:
    parts = draw(st.lists(st.sampled_from(ATOMS + FILLER), min_size=3, max_size=30))
    text = " ".join(parts) + draw(st.sampled_from([".", "!", "", "\n- last item"]))
    splits = sorted(set(draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=len(text) // 2))))
    return text, splits


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply_with_splits())
def test_token_by_token_says_what_the_whole_text_says(grammars, case) -> None:
    """Random token boundaries: the same words are spoken, and no atom is cut between two clauses."""
    text, splits = case
    whole, streamed = say(text, grammars), say(text, grammars, splits)
    assert words(" ".join(streamed)) == words(" ".join(whole))
    chunker = ClauseChunker()
    clauses = [c for piece in tokens(text, splits) for c in chunker.feed(piece)] + chunker.flush()
    for atom in ATOMS:
        for _ in range(text.count(atom)):
            assert any(atom in clause for clause in clauses), (atom, clauses)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=200) | st.text(alphabet="#*_`~[]()!<>|-+=$%&@/\\:;.,0123456789 \n🙂👍🏽a", max_size=120)
)
@example(text="ɐ, the IPA's turned a (named LATIN by Unicode), and Việt")  # found by the test
def test_hostile_text_never_raises_and_nothing_unspeakable_is_said(grammars, text) -> None:
    for clause in say(text, grammars):
        assert SPEAKABLE.match(clause), clause


def test_code_fence_split_across_tokens_is_skipped() -> None:
    chunker = ClauseChunker()
    tokens = [
        "Try",
        " this",
        ":\n",
        "``",
        "`",
        "py",
        "\n",
        "x",
        " = ",
        "1",
        "\n",
        "``",
        "`\n",
        "It",
        " works",
        ".",
    ]
    clauses = [c for t in tokens for c in chunker.feed(t)] + chunker.flush()
    assert [written(c) for c in clauses] == ["Try this:", CODE_SKIPPED, "It works."]


def test_a_tool_result_is_never_said_empty() -> None:
    registry = ToolRegistry()

    def lookup(name: str) -> str:
        """Look something up."""
        return ""

    tool = registry.add(lookup)
    for result, said in [("", NOTHING_BACK), ("  ", NOTHING_BACK), (None, "Done."), ([], NOTHING_BACK)]:
        call = ToolCall("lookup", {"name": "x"}, via="llm")
        call.result = result
        assert spoken_result(tool, call) == said
    call = ToolCall("lookup", {"name": "x"}, via="llm")
    call.result = {"temperature": 21.5, "open": True, "days": ["Mon", "Tue"]}
    assert spoken_result(tool, call) == "The result is temperature 21.5, open yes, days Mon, Tue."


def test_the_first_clause_is_never_cut_after_a_title_or_inside_a_number() -> None:
    chunker = ClauseChunker()
    text = "Your meeting with Dr. Patel is on Tuesday, March 4th, 2025 at 10:30 am."
    clauses = [c for token in text.split(" ") for c in chunker.feed(token + " ")] + chunker.flush()
    assert clauses == ["Your meeting with Dr. Patel", "is on Tuesday, March 4th, 2025 at 10:30 am."]


def test_the_grammar_worker_leaves_quietly_when_its_conversation_has_gone(grammars) -> None:  # type: ignore[no-untyped-def]
    """A conversation that ends while the worker loads or answers closes the pipe under it: the worker
    exits without a traceback (one was printed at the end of `assistant simulate` on a fresh cache)."""
    import subprocess
    import sys

    import assistant.tts.grammar_worker as worker
    from assistant.tts.normalise import GRAMMARS_DIR

    proc = subprocess.Popen(
        [sys.executable, worker.__file__, str(GRAMMARS_DIR)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the conversation has gone: nobody reads the answers
    proc.stdin.write(b'"It costs $5."\n')
    proc.stdin.close()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in proc.stderr.read().decode(), "a worker whose reader left must exit quietly"
