"""Filling a tool's parameters from an utterance, driven by each parameter's type, name and description.

Typed values are taken first (durations, times, choices, on/off, numbers, units, places); whatever is left,
minus the words that ask for the tool ("remind me to", "add a note"), is the free text of a `str`
parameter. Each token ends up either as a slot (and is masked as such for scoring) or as carrier words.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from rapidfuzz import fuzz

from assistant.tools.intent.gate import content_mask, discourse_mask, tag_mask
from assistant.tools.intent.numbers import fmt, is_number
from assistant.tools.intent.spans import Span, find_durations, find_times
from assistant.tools.intent.text import FUNCTION_WORDS, STOPWORDS, Tokens, polite, related, stem, tokenize

ENUM_MIN_SCORE = 80.0
"""rapidfuzz ratio (0-100) for a spoken phrase to count as one of a parameter's choices."""

CONNECTORS = frozenset(
    """a an the me my to that for about of please can could would will you hey ok okay so just quickly new
    and go ahead i want need like us let also now assistant some""".split()
)
"""Words that may sit between the words asking for a tool, without being part of the free text."""
LINKS = frozenset("to that me saying says about for called named which down up off on".split())
"""Words right after the request that introduce the free text: "remind me *to* ...", "a note *that* ..."."""
PARTICLES = frozenset("out".split())
"""The particle of the phrasal verb that opens a request ("work *out* 17 % of 300", "figure *out* ..."),
not part of the free text; after a later word it is ("add a note *out* of milk")."""
COMMAND_VERBS = frozenset(
    """set start stop cancel delete add make take write read list tell give turn switch put create check
    remind convert calculate open close save remember note roll throw dim""".split()
)
"""Verbs that open a request to any tool (after `stem`, so "remove" is "delete" and "show" is "list")."""
TRAILING = frozenset("please thanks now for me to the a an".split())
AUXILIARIES = frozenset("is are was were has have had will would can could should does did".split())
ARTICLES = frozenset("the a an my our this that".split())
RECIPIENTS = frozenset("him her them us".split())
"""Someone else, as the indirect object of a double-object verb: "write *her* a welcome message", "make
*them* a list" asks for something to be composed for them, not a note kept (not "me": "make me a note
to ..." is one)."""
_SMALL = CONNECTORS | LINKS | STOPWORDS
SPEAKERS = frozenset("you i we".split())
"""The person and the assistant: never part of a name ("again, you set a timer" names no timer)."""
NAMING = frozenset("called call named name labelled labeled label".split())
"""Before a label: "a timer for 45 minutes called laundry" (Whisper also writes "call laundry")."""
_ON = frozenset("on enable enabled activate start up".split())
_OFF = frozenset("off disable disabled deactivate stop out".split())
_NEGATION = frozenset("not no without never".split())
_SWITCH_NAMES = frozenset("on enabled enable active power state switch is_on turn_on".split())
_PLACE_WORDS = frozenset("timezone tz zone city location place country region where".split())
_UNIT_STOP = frozenset("to in into as is are equals equal please now and".split())
_UNIT_SEPARATORS = ("to", "in", "into", "as", "and")  # "and": Whisper's usual mishearing of "in"
_PLACE_EXCLUDED = frozenset("morning afternoon evening night moment world general".split())
_PLACE_FILLERS = (
    ("right", "now"),
    ("now",),
    ("please",),
    ("today",),
    ("currently",),
    ("at", "the", "moment"),
)


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


@dataclass(frozen=True)
class Utterance:
    """One transcript, tokenised once, with the tool-independent spans found once."""

    text: str
    tokens: Tokens
    durations: list[Span]
    times: list[Span]
    polite: list[bool]
    keys: tuple[str, ...]
    """Each token's stem, or the known word it was probably misheard for ("gansel" -> "cancel")."""
    discourse: list[bool]
    """Interjections, answers, thanks, idioms ("never mind", "hold on"): never part of a value."""
    tags: list[bool]
    """The discourse tokens that may also end a sentence ("..., okay?", "thanks")."""
    content: list[bool]
    """Tokens that can name a thing or give a value (gate.content_mask)."""

    @classmethod
    def parse(cls, text: str, correct: Callable[[str], str] | None = None) -> Utterance:
        tokens = tokenize(text)
        keys = tuple(stem(t) for t in tokens.norm)
        if correct is not None:
            keys = tuple(correct(k) for k in keys)
        norm = tokens.norm
        return cls(
            text, tokens, find_durations(norm), find_times(norm), polite(norm), keys,
            discourse_mask(norm), tag_mask(norm), content_mask(norm),
        )  # fmt: skip


@dataclass
class Fill:
    """The arguments found for one tool, and each token's slot label (None: carrier word)."""

    arguments: dict[str, Any] = field(default_factory=dict)
    labels: list[str | None] = field(default_factory=list)
    text_values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolWords:
    """The words that ask for one tool (from its name, description and examples), to cut free text."""

    triggers: frozenset[str]
    name_words: frozenset[str]
    needs_digit: frozenset[str] = frozenset()
    """str parameters whose example values all hold a number (an expression): a value without one is wrong."""
    max_words: dict[str, int] = field(default_factory=dict)
    """Optional str parameters (labels): longer values are not this parameter ("a reminder to ...")."""


class _Filler:
    """One tool's parameters being taken from one utterance, token by token."""

    def __init__(self, utterance: Utterance, words: ToolWords) -> None:
        self.u = utterance
        self.norm = utterance.tokens.norm
        self.words = words
        self.fill = Fill(labels=[None] * len(self.norm))

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.norm) and self.fill.labels[i] is None

    def take(self, start: int, end: int, label: str) -> None:
        for i in range(start, end):
            self.fill.labels[i] = label

    def span_free(self, span: Span) -> bool:
        return all(self.free(i) for i in range(span.start, span.end))

    # typed values -------------------------------------------------------------------------------------
    def spans(self, spans: list[Span], label: str) -> Any:
        """The first span not taken yet: a reminder's `after` and a timer's `duration` alike."""
        for span in spans:
            if self.span_free(span):
                self.take(span.start, span.end, label)
                return span.value
        return None

    def choice(self, param: Param) -> Any:
        best: tuple[float, int, int, Any] | None = None
        n = len(self.norm)
        for value in param.choices:
            target = " ".join(tokenize(str(value)).norm)
            size = len(target.split())
            for width in {max(1, size - 1), size, size + 1}:
                for start in range(0, n - width + 1):
                    if not all(self.free(i) for i in range(start, start + width)):
                        continue
                    window = self.norm[start : start + width]
                    score = max(fuzz.ratio(" ".join(window), target), fuzz.ratio("".join(window), target))
                    if score >= ENUM_MIN_SCORE and (
                        best is None or (score, width) > (best[0], best[2] - best[1])
                    ):
                        best = (score, start, start + width, value)
        if best is None:
            return None
        self.take(best[1], best[2], "<enum>")
        return best[3]

    def switch(self, param: Param) -> bool | None:
        if param.name.lower() in _SWITCH_NAMES or {"on", "off"} <= param.keywords:
            for i in reversed(range(len(self.norm))):
                if self.free(i) and (self.norm[i] in _ON or self.norm[i] in _OFF):
                    self.take(i, i + 1, "<bool>")
                    return self.norm[i] in _ON
            return None
        for i in range(len(self.norm)):
            if self.free(i) and self.u.keys[i] in param.keywords:
                negated = any(self.norm[k] in _NEGATION for k in range(max(0, i - 2), i))
                self.take(i, i + 1, "<bool>")
                return not negated
        return None

    def numbers(self, params: list[Param]) -> dict[str, Any]:
        """Numbers go to the parameter their neighbours name ("20 sided" -> sides), the rest in order."""
        candidates = [i for i, tok in enumerate(self.norm) if self.free(i) and is_number(tok)]
        scores: list[tuple[float, int, int]] = []
        for p_index, param in enumerate(params):
            for i in candidates:
                score = 0.0
                for offset, weight in ((1, 1.0), (2, 0.6), (-1, 0.5), (-2, 0.3)):
                    k = i + offset
                    if 0 <= k < len(self.norm) and self.free(k) and not is_number(self.norm[k]):
                        word = self.u.keys[k]
                        if word not in STOPWORDS and any(related(word, kw) for kw in param.keywords):
                            score += weight
                scores.append((score, p_index, i))
        pairs = [
            (p_index, i) for score, p_index, i in sorted(scores, key=lambda s: (-s[0], s[2])) if score > 0
        ]
        pairs += [(p_index, i) for p_index in range(len(params)) for i in candidates]  # then in order
        found: dict[str, Any] = {}
        for p_index, i in pairs:
            param = params[p_index]
            if param.name not in found and self.free(i) and _fits(param, self.norm[i]):
                found[param.name] = _number(param, self.norm[i])
                self.take(i, i + 1, "<num>")
        return found

    # strings --------------------------------------------------------------------------------------------
    def phrase(self, start: int, stop: frozenset[str], limit: int = 3) -> tuple[int, int]:
        end = start
        while end < len(self.norm) and end - start < limit and self.free(end) and self.norm[end] not in stop:
            if is_number(self.norm[end]):
                break
            end += 1
        while start < end and self.norm[start] in ARTICLES:
            start += 1
        return start, end

    def one(self) -> int | None:
        """The "a" of "in a liter", "is a mile": an amount of one."""
        for i in range(1, len(self.norm) - 1):
            if (
                self.norm[i] in ("a", "an", "one")
                and self.norm[i - 1] in ("in", "is", "are")
                and self.free(i)
            ):
                self.take(i, i + 1, "<num>")
                return i
        return None

    def units(self, params: list[Param], anchor: int | None) -> dict[str, str]:
        """ "5 miles to kilometers", "how many feet in 3 meters": the words around the number."""
        if anchor is None:
            numbers = [i for i, tok in enumerate(self.norm) if is_number(tok)]
            if not numbers:
                return {}
            anchor = numbers[0]
        source = self.phrase(anchor + 1, _UNIT_STOP)
        target: tuple[int, int] | None = None
        if source[1] < len(self.norm) and self.norm[source[1]] in _UNIT_SEPARATORS:
            target = self.phrase(source[1] + 1, _UNIT_STOP | TRAILING)
        else:
            for k in range(anchor - 1):
                if self.norm[k] == "how" and self.norm[k + 1] in ("many", "much"):
                    target = self.phrase(k + 2, _UNIT_STOP)
        found: dict[str, str] = {}
        for param in params:
            span = target if param.role == "unit_to" else source
            if span and span[1] > span[0] and param.name not in found:
                found[param.name] = self.u.tokens.text(range(*span))
                self.take(span[0], span[1], "<unit>")
        return found

    def place(self) -> str | None:
        """ "what time is it in New York (right now)": the words after the last in/at/for."""
        end = len(self.norm)
        for words in _PLACE_FILLERS:
            if end >= len(words) and self.norm[end - len(words) : end] == words:
                end -= len(words)
        surface = self.u.tokens.surface
        for k in range(end - 2, -1, -1):
            misheard = self.norm[k] == "and" and surface[k + 1][:1].isupper()  # "the time and Sydney"
            if (self.norm[k] in ("in", "at", "for") or misheard) and self.free(k):
                start = k + 1 + (self.norm[k + 1] == "the")
                span = range(start, end)
                if (
                    0 < len(span) <= 4
                    and all(self.free(i) and not is_number(self.norm[i]) for i in span)
                    and self.norm[start] not in STOPWORDS
                    and not _PLACE_EXCLUDED & set(self.norm[start:end])
                ):
                    self.take(k, end, "<place>")
                    value = self.u.tokens.text(span)
                    return value.title() if value.islower() else value
                return None
        return None

    def free_text(self, param: Param) -> str | None:
        """The words left once the request for the tool ("remind me to") and other slots are taken out."""
        lead = next((i for i, flag in enumerate(self.u.polite) if not flag), len(self.norm))
        left = [i for i in range(lead, len(self.norm)) if self.free(i)]  # not "and then could you"
        words = [self.norm[i] for i in left]
        keys = [self.u.keys[i] for i in left]
        triggers = self.words.triggers
        opens = next((i for i, k in enumerate(keys) if k not in CONNECTORS), len(keys))
        opening = keys[opens] if opens < len(keys) else ""
        if opening in COMMAND_VERBS:  # "delete my timer", "show me my timers": asking, whatever the tool
            triggers = triggers | {opening}
        run = 0
        while run < len(words) and (keys[run] in triggers or words[run] in CONNECTORS):
            run += 1
        cut = 0
        for k in range(run):
            if keys[k] in triggers and words[k] not in CONNECTORS:
                cut = k + 1
        while cut < len(words) and (
            words[cut] in LINKS
            or (words[cut] in PARTICLES and cut > 0 and keys[cut - 1] in triggers and cut - 1 == opens)
        ):
            cut += 1
        end = len(words)
        while end > cut and (words[end - 1] in TRAILING or keys[end - 1] in self.words.name_words):
            end -= 1
        start = cut
        if not param.required:  # a label: "the pasta timer", "set it 90 second timer" (a misheard "a")
            speaker = [k for k in range(start, end) if words[k] in SPEAKERS]
            if speaker:  # "and then you set a timer": whatever comes before "you" addresses the assistant
                start = speaker[-1] + 1
            while start < end and (words[start] in ARTICLES | FUNCTION_WORDS | NAMING):
                start += 1
        chosen = left[start:end]
        while chosen and self.u.discourse[chosen[0]]:  # "never mind the timer" names no timer "mind"
            chosen = chosen[1:]
        while chosen and self.u.tags[chosen[-1]]:
            chosen = chosen[:-1]
        if not any(self.u.content[i] for i in chosen):
            return None  # "wait, stop", "cancel that": function words and interjections are no value
        if len(chosen) > self.words.max_words.get(param.name, len(chosen)):
            return None
        if words[cut] in AUXILIARIES:
            return None  # "notes are useful", "the timer is annoying": said about the thing, not asked
        if words[cut] in RECIPIENTS and cut + 1 < len(words) and words[cut + 1] in ARTICLES | {"some"}:
            return None  # "write her a short message": for her, not for the notes
        asking = [k for k in range(len(words)) if keys[k] in triggers and words[k] not in _SMALL]
        if param.required and asking and asking[0] >= end:
            return None  # asked only after the text: "player all of my notes" (a misheard "clear")
        if param.name in self.words.needs_digit and not any(is_number(self.norm[i]) for i in chosen):
            return None
        self.take(chosen[0], chosen[-1] + 1, "<text>")
        return self.u.tokens.text(chosen)


def _fits(param: Param, token: str) -> bool:
    return param.kind == "float" or float(token).is_integer()


def _number(param: Param, token: str) -> int | float:
    value = float(token)
    return int(value) if param.kind == "int" else value


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
            args[p.name] = _iso_duration(value)
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
                args[missing[0].name] = _number(missing[0], "1")
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


def _iso_duration(value: timedelta) -> str:
    """ISO 8601, the JSON schema's spelling of a duration: 5400 s -> "PT1H30M"."""
    seconds = value.total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if secs or out == "PT":
        out += f"{fmt(round(secs, 3))}S"
    return out
