"""A program the model writes without a code fence is not read aloud (assistant.tts.code).

Found in the spoken dialogue pass of 2026-12-04: asked "How do I print hello world in Python? Show me the
code.", Qwen wrote the program as bare lines, and Piper read "def hello world", "print(python code)" and
"code.replace(" n", " n")".
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.bench.dialogue_set import load_dialogues
from assistant.bench.suite import references
from assistant.config import load_config
from assistant.llm import Message
from assistant.tools.intent.evaluate import load_cases
from assistant.tts import ClauseChunker
from assistant.tts.code import looks_like_code
from assistant.tts.markup import CODE_SKIPPED, written

DATA = Path(__file__).resolve().parent / "data"

UNFENCED = (
    'To print "hello world" in Python and show the code, you can use the following code:\n'
    'code = """\ndef hello_world():\n    print("Hello, world!")\nif name == "main":\n    hello_world()\n'
    'python_code = code.replace("\\n", "\\n")\nprint(python_code)'
)

CODE_LINES = [
    "def greet(name):",
    "import numpy as np",
    "// loop over the items",
    "SELECT name FROM users WHERE age > 18;",
    '<div class="container">',
    'String name = "Alice";',
    "x = [1, 2, 3]",
    'console.log("hi");',
    "const total = a + b;",
    "function add(a, b) {",
    "}",
    "my_list.append(4)",
    "result = add(2, 3)",
    "#include <stdio.h>",
    "public static void main(String[] args) {",
    'for name in names:\n    print(f"Hello, {name}")',
    '"duration": "1h"}.',  # the rest of a tool call Qwen wrote out, after the fence was skipped (2026-12-05)
]
PROSE = [
    'To print "hello world"',
    "you can use the following code:",
    "If x = 5, then y is 10.",
    "Use the print function.",
    "e.g. apples and pears",
    "It starts at 8:00.",
    "I like tea;",
    "let me know",
    "return to the menu",
    "The function f(x) grows fast.",
    "class is at nine:",
    "if you want:",
    "That works (mostly).",
    "It costs $5 (plus tax).",
    "The museum is closed on Mondays (except holidays);",
    "for the sauce (optional):",
    "return home",
    "import taxes",
    "See [the guide](https://docs.example.com/getting_started).",
    "Then f(x) = x + 1.",
    'Then say "yes" or "no".',
    'He said "yes": "no".',
    'The word "cat": a small animal.',
]


@pytest.mark.parametrize("line", CODE_LINES)
def test_a_line_of_a_program_is_skipped(line: str) -> None:
    assert looks_like_code(line) and written(line) == CODE_SKIPPED


@pytest.mark.parametrize("text", PROSE)
def test_prose_with_a_mark_of_code_is_read(text: str) -> None:
    assert not looks_like_code(text) and written(text) != CODE_SKIPPED


def _sentences() -> list[str]:
    """What people said in the project's real recordings and what its sets say (none of it code)."""
    texts = [line.strip() for f in DATA.rglob("*.txt") for line in f.read_text().splitlines()]
    texts += list(references().values())
    intents, none = load_cases()
    texts += [c.text for c in intents + none]
    texts += [t.say for d in load_dialogues() for t in d.turns]
    return [t for t in texts if t]


def test_no_sentence_people_said_looks_like_code() -> None:
    sentences = _sentences()
    assert len(sentences) > 200
    assert [s for s in sentences if looks_like_code(s)] == []


@given(st.text(max_size=300))
def test_any_text_is_judged_without_error(text: str) -> None:
    assert isinstance(looks_like_code(text), bool)
    assert isinstance(written(text), str)


@pytest.mark.parametrize(
    "crafted",
    ["class A" + "x" * 50_000, "from a import b" + " " * 50_000 + "!", "x()\n" * 12_500, "(" * 50_000],
)
def test_crafted_long_input_is_judged_at_once(crafted: str) -> None:
    """Patterns that backtrack took 1.4-5 s on 50,000 characters (found by a newcomer's probe)."""
    start = time.perf_counter()
    looks_like_code(crafted)
    assert time.perf_counter() - start < 0.5


def test_an_unfenced_program_streamed_token_by_token_is_skipped() -> None:
    chunker = ClauseChunker()
    tokens = [UNFENCED[i : i + 3] for i in range(0, len(UNFENCED), 3)]
    clauses = [written(c) for t in tokens for c in chunker.feed(t)] + [written(c) for c in chunker.flush()]
    said = " ".join(clauses)
    assert CODE_SKIPPED in clauses and clauses[0].startswith("To print"), clauses
    for piece in ("hello_world", "def ", "print(", "replace", '"""', " == "):
        assert piece not in said, (piece, clauses)


async def test_a_reply_says_it_skips_the_code_once(tmp_path: Path) -> None:
    """Through a reply: the prose is said, the program is skipped once, and what was heard (the page and
    the history) holds no code."""
    messages = [Message("system", "You are a helpful assistant."), Message("user", "Show me the code.")]
    _, heard = await lone_reply(load_config(), messages, ScriptedLLM(UNFENCED, delay_s=0.001))
    assert heard.count(CODE_SKIPPED) == 1 and heard.startswith("To print"), heard
    assert "hello_world" not in heard and "print(" not in heard, heard
