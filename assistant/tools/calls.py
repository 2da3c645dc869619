"""Running one tool call: validate the arguments, run with a timeout, turn any failure into a result.

Nothing a tool does can crash the session: invalid arguments, an exception or a timeout all come back as
an error text that the LLM (or the fast path) can say. Results are data for the model, never instructions.

A plain (sync) tool runs on a daemon thread of its own: a thread cannot be stopped, so a tool that hangs
past its timeout keeps its thread. On asyncio's shared pool a few such calls would stall everything else
that uses the pool, and the process could not exit; here the hung thread is only left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from assistant.tools.context import ToolContext
from assistant.tools.declare import NotUnderstood, Tool


def in_own_thread(fn: Callable[..., Any], kwargs: dict[str, Any], name: str) -> asyncio.Future[Any]:
    """Run a blocking function on a new daemon thread (with the caller's context variables); the
    future is cancellable, the thread runs on regardless and its result is then dropped."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: BaseException | None) -> None:
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(result)

    def target() -> None:
        result, error = None, None
        try:
            result = context.run(fn, **kwargs)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed while the tool hung
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name=f"tool-{name}", daemon=True).start()
    return future


@dataclass
class ToolCall:
    """One call as reported in `tool_calls`: what was asked, by which path, and how it ended."""

    name: str
    arguments: dict[str, Any]
    via: Literal["intent", "llm"]
    id: str = ""
    result: Any = None
    error: str | None = None
    ms: float = 0.0
    finished: bool = False
    misread: bool = False
    """The arguments were invalid or named nothing the tool knows (`NotUnderstood`): a guess was wrong."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "arguments": self.arguments}
        if self.error is not None or not self.finished:
            out["error"] = self.error or "not finished: the reply was interrupted"
        else:
            out["result"] = self.result
        out.update(ms=round(self.ms, 1), via=self.via, **self.extra)
        return out

    def result_text(self) -> str:
        """What goes back to the LLM as the tool message. An error goes without its exception's class,
        which is for the report: a small model says what it reads ("TypeError: Tell me when" was spoken)."""
        if self.error is not None:
            return json.dumps({"error": _EXCEPTION.sub("", self.error)})
        return json.dumps({"result": self.result}, default=str)


_EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(?:Error|Exception|Warning): ")


MAX_RESULT_CHARS = 2000
"""The most of a result that goes to the model and the voice (~300 words, two minutes of speech): a tool
that returned 1 MB of text had frozen the session for a minute while the clause chunker cut it up."""


class BinaryResultError(TypeError):
    """A tool returned bytes: nothing to say or to show the model."""


def _jsonable(value: Any) -> Any:
    """A result as JSON data (`_data`); one whose JSON runs past `MAX_RESULT_CHARS` cut there (`_cut`).
    Raises `BinaryResultError` for bytes anywhere in it."""
    data = _data(value)
    if isinstance(data, str):
        return _cut(data)
    text = json.dumps(data)
    return data if len(text) <= MAX_RESULT_CHARS else _cut(text)


def _data(value: Any, depth: int = 0) -> Any:
    """JSON data for a result: a pydantic model dumped, tuples and sets as lists, keys as text, a number
    JSON cannot hold (inf, NaN, thousands of digits) and any other object as its `str()`, and one with no
    `str()` of its own ("<object object at 0x...>") as None; nesting past 20 levels (a reference cycle)
    as "…"."""
    if depth > 20:
        return "…"
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 256 else "a very large number"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, bytes | bytearray | memoryview):
        raise BinaryResultError("the tool returned binary data, not text")
    if isinstance(value, dict):
        return {str(key): _data(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_data(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        return [_data(item, depth + 1) for item in sorted(value, key=str)]
    text = str(value)
    return None if _DEFAULT_REPR.fullmatch(text) else text


_DEFAULT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>")


def _cut(text: str) -> str:
    """`text` up to `MAX_RESULT_CHARS`, cut after the last sentence (else word) that fits, with "…"."""
    if len(text) <= MAX_RESULT_CHARS:
        return text
    head = text[:MAX_RESULT_CHARS]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "), head.rfind("\n"))
    end = end + 1 if end > MAX_RESULT_CHARS // 2 else head.rfind(" ")
    return head[: end if end > 0 else MAX_RESULT_CHARS].rstrip() + " …"


def describe_validation(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return "invalid arguments: " + "; ".join(problems)


async def run_call(tool: Tool, call: ToolCall, ctx: ToolContext) -> ToolCall:
    """Fill in `result` or `error` and `ms`; cancellation propagates (the caller decides about barge-in)."""
    t0 = time.perf_counter()
    try:
        try:
            kwargs = tool.validate(call.arguments)
        except ValidationError as exc:
            call.error, call.misread = describe_validation(exc), True
            return call  # `finally` below still stamps it
        kwargs.update({name: ctx for name in tool.context_params})
        async with asyncio.timeout(tool.options.timeout_s):
            if tool.is_async:
                value = await tool.fn(**kwargs)
            else:
                value = await in_own_thread(tool.fn, kwargs, tool.name)
        call.result = _jsonable(value)
    except TimeoutError:
        call.error = f"timed out after {tool.options.timeout_s:g} s"
    except NotUnderstood as exc:
        call.error, call.misread = f"ValueError: {exc}", True
    except (SystemExit, KeyboardInterrupt):  # uncaught, a tool's sys.exit() ended the whole process
        call.error = "RuntimeError: the tool tried to stop the assistant"
    except Exception as exc:
        call.error = f"{type(exc).__name__}: {exc}"
    finally:
        call.ms = (time.perf_counter() - t0) * 1000
        call.finished = True
    return call
