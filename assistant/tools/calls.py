"""Running one tool call: validate the arguments, run with a timeout, turn any failure into a result.

Nothing a tool does can crash the session: invalid arguments, an exception or a timeout all come back as
an error text that the LLM (or the fast path) can say. Results are data for the model, never instructions.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from assistant.tools.context import ToolContext
from assistant.tools.declare import Tool


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
        """What goes back to the LLM as the tool message."""
        if self.error is not None:
            return json.dumps({"error": self.error})
        return json.dumps({"result": self.result}, default=str)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


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
            call.error = describe_validation(exc)
            return call  # `finally` below still stamps it
        kwargs.update({name: ctx for name in tool.context_params})
        async with asyncio.timeout(tool.options.timeout_s):
            if tool.is_async:
                value = await tool.fn(**kwargs)
            else:
                value = await asyncio.to_thread(tool.fn, **kwargs)
        call.result = _jsonable(value)
    except TimeoutError:
        call.error = f"timed out after {tool.options.timeout_s:g} s"
    except Exception as exc:
        call.error = f"{type(exc).__name__}: {exc}"
    finally:
        call.ms = (time.perf_counter() - t0) * 1000
        call.finished = True
    return call
