"""Generated hostile input for what reads untrusted text: the config loader (YAML, overrides, environment),
the tools' argument validation (JSON arguments against each built-in tool's schema) and the calculator
(typed and spoken arithmetic, checked against exact arithmetic, and any text at all).

The rule everywhere: a result, or the module's own error with a sentence that says what is wrong; never
another exception, never a hang.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import FUZZ, tally
from hypothesis import given
from hypothesis import strategies as st
from num2words import num2words
from pydantic import BaseModel, ValidationError

from assistant.config import Config, ConfigError, load_config
from assistant.tools import ToolCall, ToolContext, make_tool, run_call
from assistant.tools.builtin import BUILTIN_TOOLS
from assistant.tools.builtin.calculator import MAX_MAGNITUDE, compute
from assistant.tools.calls import MAX_RESULT_CHARS, BinaryResultError, _jsonable
from assistant.tools.scheduler import Scheduler

# ---------------------------------------------------------------- JSON-ish values

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "0", "-1", "1e309", "nan", "true", "null", "~", "\x00", "é" * 3, "💥", "\u202e"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)


# ---------------------------------------------------------------- the config loader


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _fields(annotation, f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return out


KEYS = _fields(Config)
SECTIONS = sorted({k.split(".")[0] for k in KEYS})
key_names = st.one_of(st.sampled_from(KEYS), st.sampled_from(SECTIONS), st.text(max_size=15))
yaml_snippets = st.sampled_from(
    [
        "a: [",
        "&a x",
        "*b",
        "!!python/object:os.system x",
        ": :",
        "- - -",
        "{",
        "'",
        "\t",
        "%YAML 9",
        "---\n---",
    ]
)


@st.composite
def config_sources(draw: st.DrawFn) -> tuple[str | bytes, list[str], dict[str, str]]:
    """A YAML file (a tree of known and unknown keys, or raw text/bytes), flag overrides and environment."""
    tree: dict[Any, Any] = {}
    for key in draw(st.lists(key_names, max_size=6)):
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else node
        node[leaf] = draw(json_values)
    file = draw(
        st.one_of(
            st.just(yaml.safe_dump(tree)),
            st.builds(lambda t, s: yaml.safe_dump(t) + s, st.just(tree), yaml_snippets),
            st.text(max_size=80),
            st.binary(max_size=40),
            st.builds(yaml.safe_dump, json_values),
        )
    )
    value_text = st.one_of(st.text(max_size=20), st.builds(json.dumps, json_values), yaml_snippets)
    override = st.one_of(st.builds(lambda k, v: f"{k}={v}", key_names, value_text), st.text(max_size=20))
    env_key = st.builds(lambda k: "ASSISTANT__" + k.upper().replace(".", "__"), key_names)
    return file, draw(st.lists(override, max_size=4)), draw(st.dictionaries(env_key, value_text, max_size=3))


@FUZZ
@given(source=config_sources())
def test_config_loader_takes_anything_and_names_what_is_wrong(source, config_tally, config_file):
    text, overrides, environ = source
    config_file.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        cfg = load_config(config_file, overrides, environ)
    except ConfigError as exc:
        assert str(exc)
        config_tally.count("refused")
        return
    assert isinstance(cfg, Config)
    config_tally.count("loaded")


@FUZZ
@given(
    values=st.tuples(*[st.integers(1, 4096)] * 3),
    sources=st.lists(st.sampled_from(["file", "env", "flag"]), min_size=1, max_size=3, unique=True),
)
def test_config_precedence_is_flags_then_environment_then_file(
    values, sources, config_file, precedence_tally
):
    file_value, env_value, flag_value = values
    config_file.write_text(yaml.safe_dump({"llm": {"max_tokens": file_value}} if "file" in sources else {}))
    environ = {"ASSISTANT__LLM__MAX_TOKENS": str(env_value)} if "env" in sources else {}
    overrides = [f"llm.max_tokens={flag_value}"] if "flag" in sources else []
    cfg = load_config(config_file, overrides, environ)
    expected = flag_value if "flag" in sources else env_value if "env" in sources else file_value
    assert cfg.llm.max_tokens == expected
    precedence_tally.count("+".join(sources))


@pytest.fixture(scope="module")
def config_file():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "config.yaml"


@pytest.fixture(scope="module")
def config_tally():
    result = tally("config loader (YAML, overrides, environment)")
    yield result
    assert result.cases >= 1000 and result.outcomes.get("loaded") and result.outcomes.get("refused")


@pytest.fixture(scope="module")
def precedence_tally():
    result = tally("config precedence (file < environment < flags)")
    yield result
    assert result.cases >= 1000


def test_unreadable_config_files_are_named(tmp_path):
    """What the fuzzer's files cannot be: a folder, and bytes that are not UTF-8."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(b"llm:\n  model: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin1.yaml.*UTF-8"):
        load_config(tmp_path / "latin1.yaml")


# ---------------------------------------------------------------- the tools' arguments

TOOLS = {t.name: t for t in (make_tool(f) for f in BUILTIN_TOOLS)}
durations = st.one_of(
    st.builds(
        lambda d, h, m, s: "P" + (f"{d}D" if d else "") + "T" + f"{h}H{m}M{s}S",
        st.integers(0, 9),
        st.integers(0, 30),
        st.integers(0, 90),
        st.integers(0, 90),
    ),
    st.sampled_from(["PT0S", "PT10M", "P8D", "-PT5M", "PT", "P", "10 minutes", "1:30", "PT1e9S"]),
    st.integers(-100, 10**7).map(str),
)
clock_times = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 70)),
    st.sampled_from(["7 pm", "25:00", "12:00:00Z", "00:00", "noon"]),
)


def schema_values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one property's JSON schema (the subset tools use), valid most of the time."""
    if "anyOf" in schema:
        return st.one_of([schema_values(option) for option in schema["anyOf"]])
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string":
        special = {"duration": durations, "time": clock_times}.get(fmt, st.nothing())
        return st.one_of(
            special, st.text(max_size=60), st.sampled_from(["Tokyo", "Europe/Paris", "buy milk"])
        )
    if kind in ("number", "integer"):
        return st.one_of(st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values


@st.composite
def tool_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A tool and its arguments: by its schema, by its schema with one value replaced, or anything."""
    name = draw(st.sampled_from(sorted(TOOLS)))
    schema = TOOLS[name].parameters_schema()
    properties, required = schema.get("properties", {}), set(schema.get("required", []))
    by_schema = st.fixed_dictionaries(
        {k: schema_values(v) for k, v in properties.items() if k in required},
        optional={k: schema_values(v) for k, v in properties.items() if k not in required},
    )
    how = draw(st.sampled_from(["schema"] * 4 + ["one value replaced", "anything"]))
    if how == "anything":
        return name, draw(st.dictionaries(st.text(max_size=12), json_values, max_size=4))
    arguments = draw(by_schema)
    if how == "one value replaced":
        arguments[draw(st.sampled_from(sorted(properties) or ["extra"]))] = draw(json_values)
    return name, arguments


@FUZZ
@given(call=tool_calls())
def test_tool_arguments_are_validated_and_every_call_ends_in_a_result_or_an_error(call, tool_runner):
    name, arguments = call
    tool = TOOLS[name]
    try:
        tool.validate(arguments)
        valid = True
    except ValidationError:
        valid = False
    done = tool_runner.run(tool, arguments)
    assert done.finished and (done.error is None) != (done.result is None), done
    if not valid:
        assert done.error.startswith("invalid arguments: "), done.error
    json.dumps(done.as_dict())  # what goes to the client and the LLM is JSON
    tool_runner.tally.count(f"{'valid' if valid else 'invalid'}/{'ok' if done.error is None else 'error'}")


class ToolRunner:
    """Runs tool calls on one event loop, with one context whose notes live in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.scheduler = Scheduler(lambda _: None)
        self.ctx = ToolContext("fuzz", folder, "UTC", lambda _: None, self.scheduler)
        self.tally = tally("tool arguments (built-in tools, run)")

    def run(self, tool, arguments: dict[str, Any]) -> ToolCall:
        t0 = time.monotonic()
        done = self.loop.run_until_complete(run_call(tool, ToolCall(tool.name, arguments, "llm"), self.ctx))
        assert time.monotonic() - t0 < tool.options.timeout_s + 1
        return done

    def close(self) -> None:
        self.scheduler.close()
        self.loop.close()


@pytest.fixture(scope="module")
def tool_runner():
    with tempfile.TemporaryDirectory() as folder:
        runner = ToolRunner(Path(folder))
        yield runner
        runner.close()
    assert runner.tally.cases >= 1000


# ---------------------------------------------------------------- the calculator

numbers = st.one_of(st.integers(0, 10**6), st.integers(0, 100), st.decimals(0, 1000, places=2).map(Fraction))
trees = st.recursive(
    numbers,
    lambda inner: (
        st.tuples(st.sampled_from("+-*/"), inner, inner) | st.tuples(st.just("^"), inner, st.integers(-3, 6))
    ),
    max_leaves=5,
)


def exact(tree: Any) -> tuple[Fraction, Fraction]:
    """(the value, the largest magnitude on the way) in exact arithmetic; ZeroDivisionError and
    OverflowError where the calculator must refuse."""
    if not isinstance(tree, tuple):
        value = Fraction(tree)
        return value, abs(value)
    op, left, right = tree
    (a, big_a), (b, big_b) = exact(left), exact(right)
    if op == "^":
        if b.denominator != 1 or abs(b) > 50 or (a == 0 and b < 0):
            raise ValueError("not generated: the exact value is irrational or undefined")
        value = a**b.numerator
    else:
        value = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]
        if value is None:
            raise ZeroDivisionError
    if abs(value) > MAX_MAGNITUDE:
        raise OverflowError
    return value, max(big_a, big_b, abs(value))


def typed(tree: Any) -> str:
    if not isinstance(tree, tuple):
        return str(float(tree)) if Fraction(tree).denominator != 1 else str(tree)
    op, left, right = tree
    return f"({typed(left)} {op} {typed(right)})"


SPOKEN_OPS = {"+": ["plus"], "-": ["minus"], "*": ["times", "multiplied by"], "/": ["divided by", "over"]}


@st.composite
def spoken(draw: st.DrawFn) -> tuple[str, str]:
    """A flat spoken question ("what's twenty-five times three plus seven?") and its typed form."""
    count = draw(st.integers(1, 4))
    values = [draw(st.integers(0, 999)) for _ in range(count)]
    ops = [draw(st.sampled_from("+-*/")) for _ in range(count - 1)]
    words = [num2words(values[0]) if draw(st.booleans()) else str(values[0])]
    typed_form = [str(values[0])]
    for op, value in zip(ops, values[1:], strict=True):
        words += [
            draw(st.sampled_from(SPOKEN_OPS[op])),
            num2words(value) if draw(st.booleans()) else str(value),
        ]
        typed_form += [op, str(value)]
    prefix = draw(st.sampled_from(["", "what's ", "what is ", "calculate ", "hey what is ", "how much is "]))
    suffix = draw(st.sampled_from(["", "?", ".", " equals"]))
    return prefix + " ".join(words) + suffix, " ".join(typed_form)


def flat_exact(typed_form: str) -> tuple[Fraction, Fraction]:
    """Standard precedence over a flat "a op b op c" (what the spoken form means)."""
    tokens = typed_form.split()
    terms: list[Any] = [int(tokens[0])]
    for op, value in zip(tokens[1::2], tokens[2::2], strict=True):
        if op in "*/":
            terms[-1] = (op, terms[-1], int(value))
        else:
            terms += [op, int(value)]
    tree = terms[0]
    for op, right in zip(terms[1::2], terms[2::2], strict=True):
        tree = (op, tree, right)
    return exact(tree)


def check_answer(text: str, expected: Any) -> str:
    """The calculator's answer to `text` against exact arithmetic; returns the outcome's name."""
    t0 = time.monotonic()
    try:
        value, biggest = expected()
    except ZeroDivisionError:
        with pytest.raises(ValueError, match="divide by zero"):
            compute(text)
        return "divide by zero"
    except OverflowError:
        with pytest.raises(ValueError, match="too big"):
            compute(text)
        return "too big"
    _, got = compute(text)
    assert time.monotonic() - t0 < 2.0
    assert math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=1e-9 * float(max(1, biggest))), (
        text,
        got,
        float(value),
    )
    return "answered"


@FUZZ
@given(tree=trees)
def test_calculator_agrees_with_exact_arithmetic(tree, typed_tally):
    try:
        exact(tree)
    except ValueError:
        typed_tally.count("not generated")
        return
    except (ZeroDivisionError, OverflowError):
        pass
    typed_tally.count(check_answer(typed(tree), lambda: exact(tree)))


@FUZZ
@given(question=spoken())
def test_calculator_understands_spoken_questions(question, spoken_tally):
    text, typed_form = question
    spoken_tally.count(check_answer(text, lambda: flat_exact(typed_form)))


CALCULATOR_WORDS = [
    *"1 2.5 1e308 9999999999999999999999999 ( ) + - * / ^ % ° sqrt log round , pi e mod of percent".split(),
    *"times squared minus twenty thousand point five sin degrees x ** ÷ −".split(),
    *["to the power of", "square root of", " "],
]
calculator_text = st.one_of(
    st.text(max_size=120), st.lists(st.sampled_from(CALCULATOR_WORDS), max_size=40).map(" ".join)
)


@FUZZ
@given(text=calculator_text)
def test_calculator_answers_or_says_why_not(text, text_tally):
    t0 = time.monotonic()
    try:
        _, value = compute(text)
    except ValueError as exc:
        message = str(exc)
        assert message and message[0].isupper() and message.endswith((".", "?")), message
        text_tally.count("refused")
    else:
        assert isinstance(value, int | float) and math.isfinite(value) and abs(value) <= MAX_MAGNITUDE
        text_tally.count("answered")
    assert time.monotonic() - t0 < 2.0, text


@pytest.fixture(scope="module")
def typed_tally():
    result = tally("calculator, typed expressions vs exact arithmetic")
    yield result
    assert result.cases >= 1000 and result.outcomes["answered"] > 500


@pytest.fixture(scope="module")
def spoken_tally():
    result = tally("calculator, spoken questions vs exact arithmetic")
    yield result
    assert result.cases >= 1000


@pytest.fixture(scope="module")
def text_tally():
    result = tally("calculator, any text")
    yield result
    assert result.cases >= 1000


# ---------------------------------------------------------------- what tools return

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=3000),
    st.builds(object),
    st.builds(Fraction, st.integers(), st.integers(1, 99)),
)
returned = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=40)
        | st.tuples(inner, inner)
        | st.dictionaries(st.one_of(st.text(max_size=20), st.integers()), inner, max_size=8)
        | st.frozensets(st.integers(), max_size=5)
    ),
    max_leaves=60,
)


@FUZZ
@given(value=returned, binary=st.booleans())
def test_whatever_a_tool_returns_becomes_bounded_json_or_an_error(value: Any, binary: bool) -> None:
    """Any result is JSON the model can read and the voice can say, at most `MAX_RESULT_CHARS` of it, with
    no Python repr of an object in it; bytes anywhere are refused as such."""
    if binary:
        value = [value, {"data": b"\x00\xff"}]
        with pytest.raises(BinaryResultError):
            _jsonable(value)
        return
    data = _jsonable(value)
    text = data if isinstance(data, str) else json.dumps(data, allow_nan=False)
    assert len(text) <= MAX_RESULT_CHARS + 2
    assert "object at 0x" not in text
