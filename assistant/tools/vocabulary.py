"""The tools' words, written for Whisper's prompt (`assistant.asr.biasing`).

A request names a tool's action and the values of its parameters: "roll a twelve sided die", "convert
seventy Fahrenheit to Celsius", "the living room lights". Those words come from the tool's own schema,
so a tools file brings its vocabulary with it: each tool's name in words, and the values its parameters
take, from their choices (`Literal`, `Enum`) and the examples their descriptions give after "e.g.".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.tools.declare import Tool
from assistant.tools.intent.params import describe_params

_EXAMPLES = re.compile(r"\be\.g\.,?\s*([^;()]*)", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z][A-Za-z '-]*")
"""A value said in words: arithmetic, codes and paths ("12 * 3", "Europe/Paris") are no spelling hint."""


def spoken_vocabulary(tools: Iterable[Tool]) -> str:
    """One line per tool, as prompt text: "Convert units: miles, kg, degrees Fahrenheit, kilometers,
    pounds, Celsius. Roll dice." Each value once, in the order the tools and parameters come."""
    seen: set[str] = set()
    lines = []
    for tool in tools:
        values = []
        for value in _values(tool):
            if value.lower() not in seen and _WORDS.fullmatch(value):
                seen.add(value.lower())
                values.append(value)
        name = tool.name.replace("_", " ").strip().capitalize()
        lines.append(f"{name}: {', '.join(values)}." if values else f"{name}.")
    return " ".join(lines)


def _values(tool: Tool) -> list[str]:
    """The values a tool's parameters name: each one's choices (`Literal`, `Enum`, as the fast path reads
    them: `describe_params`), then its description's examples."""
    fields = tool.arguments.model_fields
    out = []
    for param in describe_params(tool.arguments):
        out += [str(v) for v in param.choices if isinstance(v, str)]
        found = _EXAMPLES.search(fields[param.name].description or "")
        if found:
            out += [v.strip(" .") for v in re.split(r",|\bor\b|\band\b", found.group(1))]
    return [v for v in out if v]
