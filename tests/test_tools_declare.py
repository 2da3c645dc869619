"""Plain functions become tools: schema from hints and docstrings, validation, hidden context, errors."""

from __future__ import annotations

import asyncio
import enum
import json
import time
from datetime import timedelta
from typing import Annotated, Literal

import pytest
from pydantic import Field

from assistant.engine.tooling import spoken_result
from assistant.tools import (
    ToolCall,
    ToolContext,
    ToolDefinitionError,
    ToolRegistry,
    make_tool,
    run_call,
    tool,
)
from assistant.tools.calls import MAX_RESULT_CHARS
from assistant.tools.loading import ToolLoadError
from assistant.tools.scheduler import Scheduler
from assistant.tts.chunker import ClauseChunker


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@tool(timeout_s=2.5, confirm=True, cancel_on_interrupt=False, examples=["paint the hall blue"])
async def paint(
    room: Annotated[str, "which room"],
    colour: Colour,
    ctx: ToolContext,
    coats: Annotated[int, Field(ge=1, le=5, description="layers of paint")] = 1,
    finish: Literal["matte", "gloss"] = "matte",
    note: str | None = None,
    drying: timedelta | None = None,
) -> str:
    """Paint a room.

    Longer explanation that the LLM does not need.

    Args:
        note: something to tell the painter
    """
    return f"{room} {colour.value} {coats} {finish}"


def test_schema_from_hints_and_docstring() -> None:
    t = make_tool(paint)
    schema = t.openai_schema()
    assert schema["function"]["name"] == "paint"
    assert schema["function"]["description"] == "Paint a room."
    params = schema["function"]["parameters"]
    props = params["properties"]
    assert set(props) == {"room", "colour", "coats", "finish", "note", "drying"}  # ctx is hidden
    assert t.context_params == ("ctx",)
    assert params["required"] == ["room", "colour"]
    assert props["room"] == {"description": "which room", "type": "string"}
    assert props["coats"]["description"] == "layers of paint"
    assert (props["coats"]["minimum"], props["coats"]["maximum"], props["coats"]["default"]) == (1, 5, 1)
    assert props["finish"]["enum"] == ["matte", "gloss"] and props["finish"]["default"] == "matte"
    assert props["note"]["description"] == "something to tell the painter"
    assert {"type": "null"} in props["note"]["anyOf"]
    assert params["$defs"]["Colour"]["enum"] == ["red", "blue"]
    assert params["additionalProperties"] is False
    assert (t.options.timeout_s, t.options.confirm, t.options.cancel_on_interrupt) == (2.5, True, False)
    assert t.options.examples == ("paint the hall blue",)


def test_decorator_leaves_a_plain_function() -> None:
    assert asyncio.run(paint("hall", Colour.RED, None)) == "hall red 1 matte"  # type: ignore[arg-type]


def test_validation_converts_and_refuses() -> None:
    t = make_tool(paint)
    args = t.validate({"room": "hall", "colour": "blue", "coats": "3", "drying": 90})
    assert args["colour"] is Colour.BLUE and args["coats"] == 3 and args["drying"] == timedelta(seconds=90)
    for bad in (
        {"room": "hall"},
        {"room": "hall", "colour": "green"},
        {"room": "x", "colour": "red", "coats": 9},
    ):
        with pytest.raises(ValueError):
            t.validate(bad)
    with pytest.raises(ValueError):
        t.validate({"room": "hall", "colour": "red", "unknown": 1})


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(x):\n    'Doc.'\n", "needs a type hint"),
        ("def f(x: int):\n    pass\n", "needs a docstring"),
        ("def f(*args: int):\n    'Doc.'\n", r"\*args"),
        ("class Opaque: pass\ndef f(x: Opaque):\n    'Doc.'\n", "cannot become a JSON schema"),
        ("def f(x: 'Missing'):\n    'Doc.'\n", "cannot be resolved"),
    ],
)
def test_functions_that_cannot_be_tools(source: str, reason: str) -> None:
    namespace: dict = {}
    exec(compile(source, "<tools>", "exec"), namespace)  # test input only
    with pytest.raises(ToolDefinitionError, match=reason) as err:
        make_tool(namespace["f"])
    assert "f" in str(err.value)


def test_registry_refuses_two_tools_with_one_name() -> None:
    def a(x: int) -> int:
        """One."""
        return x

    def b(x: int) -> int:
        """Two."""
        return x

    b.__name__ = "a"
    registry = ToolRegistry([make_tool(a)])
    with pytest.raises(ToolLoadError, match="two tools are named 'a'"):
        registry.add(b)


def _ctx(tmp_path) -> ToolContext:  # type: ignore[no-untyped-def]
    return ToolContext("s", tmp_path, "UTC", lambda text: None, Scheduler(lambda text: None))


@pytest.mark.parametrize("stop", [SystemExit(3), KeyboardInterrupt()])
@pytest.mark.parametrize("is_async", [False, True])
async def test_a_tool_that_tries_to_stop_the_process_is_an_error(tmp_path, stop, is_async) -> None:  # type: ignore[no-untyped-def]
    """A tool's sys.exit() or KeyboardInterrupt had ended the whole assistant (rc 3, rc 130, no report)."""

    def leave(n: int) -> int:
        """Stops."""
        raise stop

    async def leave_async(n: int) -> int:
        """Stops."""
        raise stop

    fn = leave_async if is_async else leave
    call = await run_call(make_tool(fn), ToolCall(fn.__name__, {"n": 1}, "llm"), _ctx(tmp_path))
    assert call.finished and call.result is None
    assert (
        spoken_result(make_tool(fn), call) == "Sorry, that didn't work: the tool tried to stop the assistant"
    )


async def test_what_a_tool_returns_is_said_as_data_at_a_bounded_length(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """1 MB of text had frozen the session for a minute (the clause chunker rescans its buffer); an object
    in a dict made the whole dict its Python repr, said aloud with "object at 0x7f..."; bytes were said
    as "b'00binary'" and the model copied that into its next, unrelated reply."""
    results = {
        "huge": "Forward. " * 120_000,
        "mapping": {"moved": 10.0, "ok": True, "path": (1, 2), "tags": {"b", "a"}, "obj": object()},
        "binary": b"\x00\xff binary",
    }

    def report(kind: str) -> object:
        """Returns odd things."""
        return results[kind]

    tool_ = make_tool(report)
    huge = await run_call(tool_, ToolCall("report", {"kind": "huge"}, "llm"), _ctx(tmp_path))
    assert len(huge.result) <= MAX_RESULT_CHARS + 2 and huge.result.endswith(". …"), huge.result[-20:]
    clauses = ClauseChunker()
    started = time.perf_counter()
    said = clauses.feed(spoken_result(tool_, huge)) + clauses.flush()
    assert time.perf_counter() - started < 1.0 and len(said) > 10
    mapping = await run_call(tool_, ToolCall("report", {"kind": "mapping"}, "llm"), _ctx(tmp_path))
    assert mapping.result == {"moved": 10.0, "ok": True, "path": [1, 2], "tags": ["a", "b"], "obj": None}
    assert spoken_result(tool_, mapping) == "The result is moved 10.0, ok yes, path 1, 2, tags a, b."
    binary = await run_call(tool_, ToolCall("report", {"kind": "binary"}, "llm"), _ctx(tmp_path))
    assert binary.result is None and "binary data" in spoken_result(tool_, binary)
    assert json.loads(binary.result_text()) == {"error": "the tool returned binary data, not text"}


async def test_a_raising_tool_and_a_slow_one_become_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def broken(n: int) -> int:
        """Always fails."""
        raise RuntimeError("the printer is on fire")

    @tool(timeout_s=0.2)
    async def slow(n: int) -> int:
        """Takes too long."""
        await asyncio.sleep(5)
        return n

    call = await run_call(make_tool(broken), ToolCall("broken", {"n": 1}, "llm"), _ctx(tmp_path))
    assert call.error == "RuntimeError: the printer is on fire" and call.result is None
    assert call.as_dict()["error"] == call.error and "result" not in call.as_dict()
    # The model reads the message, not the exception's class (a small model says what it reads).
    assert json.loads(call.result_text()) == {"error": "the printer is on fire"}
    call = await run_call(make_tool(slow), ToolCall("slow", {"n": 1}, "llm"), _ctx(tmp_path))
    assert call.error == "timed out after 0.2 s" and 150 < call.ms < 1000
    call = await run_call(make_tool(broken), ToolCall("broken", {"n": "many"}, "llm"), _ctx(tmp_path))
    assert call.error is not None and call.error.startswith("invalid arguments: n:")
    ok = await run_call(
        make_tool(paint), ToolCall("paint", {"room": "hall", "colour": "red"}, "intent"), _ctx(tmp_path)
    )
    assert ok.as_dict() == {
        "name": "paint",
        "arguments": {"room": "hall", "colour": "red"},
        "result": "hall red 1 matte",
        "ms": ok.as_dict()["ms"],
        "via": "intent",
    }


def test_a_tool_call_cut_short_is_still_a_request_that_fails_validation() -> None:
    """The token limit can cut a grammar-constrained call mid-string: it must become an invalid call that
    goes back to the model, not an LLM failure that ends the reply."""
    import json

    from assistant.llm.prompt import parse_tool_json

    whole = parse_tool_json('{"name": "calculate", "arguments": {"expression": "2 + 2"}}', "c1")
    assert (whole.name, json.loads(whole.arguments)) == ("calculate", {"expression": "2 + 2"})
    cut = parse_tool_json(' {"name": "calculate", "arguments": { "expression": "},}}', "c2")
    assert cut.name == "calculate" and cut.arguments.startswith('{"name"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.arguments)


def test_only_a_reply_that_starts_with_a_brace_is_a_call() -> None:
    from assistant.llm.prompt import CallDetector

    speech = CallDetector(tools_offered=True)
    assert [speech.feed(p) for p in [" Sure", ", {braces}", " too."]] == [" Sure", ", {braces}", " too."]
    assert speech.call is None
    call = CallDetector(tools_offered=True)
    assert [call.feed(p) for p in [" ", '{"name":', ' "x"}']] == [" ", "", ""]
    assert call.call == '{"name": "x"}'
    assert CallDetector(tools_offered=False).feed("{not a call}") == "{not a call}"
