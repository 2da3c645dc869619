"""A tool's parameters as the slot filler sees them: each one's kind, from its type, and for a `str` its
role (free text, a place or a unit), from its name and description.
"""

from __future__ import annotations

import enum
import types
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from assistant.tools.intent.text import STOPWORDS, stem, tokenize

_PLACE_WORDS = frozenset("timezone tz zone city location place country region where".split())


@dataclass(frozen=True)
class Param:
    """What the matcher knows about one parameter; one left unfilled keeps its default (it is left out)."""

    name: str
    kind: Literal["duration", "time", "enum", "bool", "int", "float", "str", "other"]
    required: bool
    role: str = ""
    """For str: "text", "place", "unit", "unit_from" or "unit_to"."""
    choices: tuple[Any, ...] = ()
    keywords: frozenset[str] = frozenset()
    """Stems of the name's parts and the description's words: what a number's neighbours are compared to."""


def _base_type(annotation: Any) -> Any:
    """`Annotated[int | None, "x"]` -> int; unions of several real types stay as they are."""
    if get_origin(annotation) is Annotated:
        return _base_type(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        real = [a for a in get_args(annotation) if a is not type(None)]
        return _base_type(real[0]) if len(real) == 1 else annotation
    return annotation


def describe_params(arguments: type[BaseModel]) -> list[Param]:
    """How to look for each parameter, from its type; for a str, its name and description say whether it
    is a unit ("from_unit"), a place ("timezone", "city") or free text."""
    params = []
    for name, info in arguments.model_fields.items():
        base = _base_type(info.annotation)
        choices: tuple[Any, ...] = ()
        if get_origin(base) is Literal:
            kind, choices = "enum", get_args(base)
        elif isinstance(base, type) and issubclass(base, enum.Enum):
            kind, choices = "enum", tuple(m.value for m in base)
        elif base is bool:
            kind = "bool"
        elif base in (int, float):
            kind = base.__name__
        elif base is timedelta:
            kind = "duration"
        elif base is time:
            kind = "time"
        elif base is str:
            kind = "str"
        else:
            kind = "other"
        parts = name.lower().split("_")
        description = info.description or ""
        described = {stem(w) for w in tokenize(description).norm if w not in STOPWORDS}
        role = ""
        if kind == "str":
            role = "text"
            if "unit" in parts or "units" in parts or "unit" in described:
                role = "unit"
                if {"from", "source", "src", "input"} & set(parts):
                    role = "unit_from"
                elif {"to", "target", "into", "output", "dest"} & set(parts):
                    role = "unit_to"
            elif _PLACE_WORDS & set(parts) or _PLACE_WORDS & described:
                role = "place"
        keywords = frozenset({stem(p) for p in parts if p not in STOPWORDS} | described)
        params.append(Param(name, kind, info.is_required(), role, choices, keywords))  # type: ignore[arg-type]
    return params
