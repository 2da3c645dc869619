"""Filling a tool's parameters from an utterance, driven by each parameter's type, name and description.

Typed values are taken first (durations, times, choices, on/off, numbers, units, places); whatever is left,
minus the words that ask for the tool ("remind me to", "add a note"), is the free text of a `str`
parameter. Each token ends up either as a slot (and is masked as such for scoring) or as carrier words.
Each kind of value is looked for in its own module (`typed_values`, `strings`); this one takes them in
order.
"""

from __future__ import annotations

from typing import Any

from assistant.tools.intent.filling import Fill, ToolWords, Utterance
from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.params import Param, describe_params
from assistant.tools.intent.strings import CONNECTORS, LINKS, NAMING, Strings, state_word
from assistant.tools.intent.typed_values import TypedValues, as_number, iso_duration

__all__ = [
    "CONNECTORS",
    "LINKS",
    "NAMING",
    "Fill",
    "Param",
    "ToolWords",
    "Utterance",
    "describe_params",
    "fill_slots",
    "state_word",
]


class _Filler(TypedValues, Strings):
    """One tool's parameters being taken from one utterance, token by token."""


def fill_slots(utterance: Utterance, params: list[Param], words: ToolWords) -> Fill:
    """Arguments (JSON-able) for the parameters the utterance gives; the caller checks what is missing."""
    f = _Filler(utterance, words)
    args: dict[str, Any] = {}
    by_kind: dict[str, list[Param]] = {}
    for p in params:
        by_kind.setdefault(p.role or p.kind, []).append(p)
    for p in by_kind.get("duration", []):
        value = f.spans(utterance.durations, "<dur>")
        if value is not None:
            args[p.name] = iso_duration(value)
    for p in by_kind.get("time", []):
        value = f.spans(utterance.times, "<time>")
        if value is not None:
            args[p.name] = value.strftime("%H:%M")
    for p in by_kind.get("enum", []):
        value = f.choice(p)
        if value is not None:
            args[p.name] = value
    for p in by_kind.get("bool", []):
        switch = f.switch(p)
        if switch is not None:
            args[p.name] = switch
    numeric = [p for p in params if p.kind in ("int", "float")]
    args.update(f.numbers(numeric))
    units = [p for p in params if p.role.startswith("unit")]
    if units:
        anchor = next((i for i, label in enumerate(f.fill.labels) if label == "<num>"), None)
        missing = [p for p in numeric if p.name not in args]
        if anchor is None and missing:
            anchor = f.one()  # "how many cups are in a liter"
            if anchor is not None:
                args[missing[0].name] = as_number(missing[0], "1")
        args.update(f.units(units, anchor))
    for p in by_kind.get("place", []):
        value = f.place()
        if value is not None:
            args[p.name] = value
    for p in sorted(by_kind.get("text", []), key=lambda p: not p.required):
        value = f.free_text(p)
        if value is not None:
            args[p.name] = value
            f.fill.text_values[p.name] = value
    for i, tok in enumerate(utterance.tokens.norm):
        if f.fill.labels[i] is None and is_number(tok):
            f.fill.labels[i] = "<num>"
    f.fill.arguments = args
    return f.fill
